from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from crossdock.model.base import EntityType
from crossdock.model.customer import Customer
from crossdock.model.invoice import Invoice
from crossdock.model.order import OrderStatus, can_transition
from crossdock.model.paths import flatten_record, unflatten
from crossdock.model.price_list import PriceList
from crossdock.model.product import Product, UnknownUnitError
from crossdock.model.registry import ENTITY_MODELS, json_schemas, model_for


def widget(**extra: object) -> Product:
    return Product.model_validate(
        {
            "sku": "W-1",
            "base_uom": "EA",
            "units": [
                {"code": "EA", "factor": "1"},
                {"code": "CS", "factor": "12"},
                {"code": "PL", "factor": "480"},
            ],
            **extra,
        }
    )


def loc(exc: pytest.ExceptionInfo[ValidationError]) -> list[str]:
    return [".".join(str(p) for p in e["loc"]) for e in exc.value.errors()]


def test_units_convert_per_item() -> None:
    p = widget()
    assert p.to_base(Decimal(2), "CS") == 24
    assert p.to_base(Decimal(1), "PL") == 480
    assert p.to_base(Decimal(5), "EA") == 5
    with pytest.raises(UnknownUnitError) as err:
        p.to_base(Decimal(1), "BX")
    assert "'BX'" in str(err.value) and "'W-1'" in str(err.value)


@given(st.integers(1, 10_000), st.integers(1, 1000))
def test_conversion_is_linear(qty: int, factor: int) -> None:
    p = Product.model_validate({"sku": "X", "units": [{"code": "CS", "factor": str(factor)}]})
    assert p.to_base(Decimal(qty), "CS") == p.to_base(Decimal(1), "CS") * qty == qty * factor


def test_validators_name_the_field() -> None:
    with pytest.raises(ValidationError) as e1:
        Product.model_validate({"sku": "X", "cost": 1.5})
    assert loc(e1) == ["cost"] and "float" in str(e1.value)
    with pytest.raises(ValidationError) as e2:
        Product.model_validate({"sku": "X", "units": [{"code": "CS", "factor": "0"}]})
    assert loc(e2) == ["units.0.factor"]
    with pytest.raises(ValidationError) as e3:
        Product.model_validate(
            {"sku": "X", "units": [{"code": "CS", "factor": "1"}, {"code": "CS", "factor": "2"}]}
        )
    assert loc(e3) == ["units"] and "CS" in str(e3.value)
    with pytest.raises(ValidationError) as e4:
        Product.model_validate({"description": "no sku"})
    assert loc(e4) == ["sku"]
    with pytest.raises(ValidationError) as e5:
        Product.model_validate({"sku": "X", "colour": "red"})
    assert loc(e5) == ["colour"]


def test_json_round_trip_keeps_decimals_as_strings() -> None:
    p = widget(cost="4.20", list_price="10", weight={"value": "1.50"})
    doc = p.model_dump(mode="json", exclude_none=True)
    assert doc["cost"] == "4.20" and doc["weight"]["value"] == "1.50"
    assert Product.model_validate(doc) == p


def test_natural_keys() -> None:
    assert Product.natural_keys({"sku": "A", "identifiers": {"gtin": "04000000000012"}}) == [
        ("sku", "A"),
        ("gtin", "04000000000012"),
    ]
    assert Customer.natural_keys({"account_number": "C1"}) == [("account_number", "C1")]
    assert Customer.natural_keys({"name": "no account"}) == []


def test_price_list_rules() -> None:
    ok = PriceList.model_validate(
        {
            "code": "BASE",
            "entries": [
                {
                    "sku": "A",
                    "breaks": [
                        {"min_quantity": "1", "value": "10"},
                        {"min_quantity": "10", "value": "9"},
                    ],
                }
            ],
        }
    )
    assert ok.entries[0].breaks[1].value == Decimal(9)
    with pytest.raises(ValidationError, match="ascending"):
        PriceList.model_validate(
            {
                "code": "X",
                "entries": [
                    {
                        "sku": "A",
                        "breaks": [
                            {"min_quantity": "10", "value": "9"},
                            {"min_quantity": "1", "value": "10"},
                        ],
                    }
                ],
            }
        )
    with pytest.raises(ValidationError, match="exactly one of sku or category"):
        PriceList.model_validate(
            {
                "code": "X",
                "entries": [
                    {"sku": "A", "category": "c", "breaks": [{"min_quantity": "1", "value": "1"}]}
                ],
            }
        )
    with pytest.raises(ValidationError, match="base_list"):
        PriceList.model_validate(
            {
                "code": "X",
                "entries": [
                    {
                        "sku": "A",
                        "method": "percent_off",
                        "breaks": [{"min_quantity": "1", "value": "5"}],
                    }
                ],
            }
        )
    with pytest.raises(ValidationError, match="IANA"):
        PriceList.model_validate({"code": "X", "timezone": "Mars/Olympus"})


def test_invoice_subtotal_must_match_lines() -> None:
    line = {"line_number": 1, "quantity": "2", "unit_price": "5", "extended_price": "10"}
    Invoice.model_validate({"invoice_number": "I1", "lines": [line], "totals": {"subtotal": "10"}})
    with pytest.raises(ValidationError, match="subtotal"):
        Invoice.model_validate(
            {"invoice_number": "I1", "lines": [line], "totals": {"subtotal": "11"}}
        )


def test_order_lifecycle() -> None:
    assert can_transition(OrderStatus.SUBMITTED, OrderStatus.CONFIRMED)
    assert not can_transition(OrderStatus.SHIPPED, OrderStatus.SUBMITTED)
    assert not can_transition(OrderStatus.CANCELLED, OrderStatus.CONFIRMED)


def test_every_entity_has_a_model_and_schema() -> None:
    schemas = json_schemas()
    for et in EntityType:
        assert model_for(et).entity_type is et
        assert schemas[et.value]["type"] == "object"
    assert set(ENTITY_MODELS) == set(EntityType)


def test_flatten_record_expands_cleared_objects_by_schema() -> None:
    flat = flatten_record(Product, {"sku": "A", "weight": None, "identifiers": {"gtin": None}})
    assert flat == {"sku": "A", "weight.value": None, "weight.unit": None, "identifiers.gtin": None}
    assert flatten_record(Product, {"identifiers": {"channel_ids": {"amazon": "B0"}}}) == {
        "identifiers.channel_ids": {"amazon": "B0"}
    }
    assert unflatten({"a.b": 1, "a.c": 2, "d": 3}) == {"a": {"b": 1, "c": 2}, "d": 3}
