"""An item's order minimum and multiple, checked in base units whatever unit a line asks."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crossdock.model.product import Product

ITEM = Product.model_validate(
    {
        "sku": "BOLT",
        "units": [{"code": "CS", "factor": "12"}],
        "min_order_quantity": "24",
        "order_multiple": "6",
    }
)


@pytest.mark.parametrize(
    ("quantity", "unit", "problem"),
    [
        ("24", "EA", None),
        ("2", "CS", None),
        ("30", "EA", None),
        ("1", "CS", "12 EA is below the minimum order of 24 EA"),
        ("26", "EA", "26 EA is not a multiple of 6 EA"),
        ("2.5", "CS", None),  # 30 EA
    ],
)
def test_minimum_and_multiple(quantity: str, unit: str, problem: str | None) -> None:
    assert ITEM.order_quantity_problem(Decimal(quantity), unit) == problem


@given(st.integers(1, 10_000))
def test_a_quantity_passes_exactly_when_it_is_a_big_enough_multiple(n: int) -> None:
    ok = n >= 24 and n % 6 == 0
    assert (ITEM.order_quantity_problem(Decimal(n), "EA") is None) is ok


def test_an_item_without_them_takes_any_quantity() -> None:
    plain = Product.model_validate({"sku": "X"})
    assert plain.order_quantity_problem(Decimal("0.001"), "EA") is None
    with pytest.raises(ValueError, match="greater than 0"):
        Product.model_validate({"sku": "X", "order_multiple": "0"})
