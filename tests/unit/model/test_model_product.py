"""Product: per-item units of measure, identifiers, validators and natural keys."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from crossdock.model import Product, ProductStatus, UnknownUnitError, WeightUnit


def widget(**extra: object) -> Product:
    return Product.model_validate(
        {
            "sku": "W-1",
            "base_uom": "EA",
            "units": [
                {"code": "EA", "factor": "1"},
                {"code": "CS", "factor": "12", "gtin": "10012345678902"},
                {"code": "PL", "factor": "480"},
            ],
            **extra,
        }
    )


def locs(exc: pytest.ExceptionInfo[ValidationError]) -> list[tuple[int | str, ...]]:
    return [tuple(e["loc"]) for e in exc.value.errors()]


def test_a_full_product_is_valid() -> None:
    p = widget(
        identifiers={
            "gtin": "00012345678905",
            "upc": "012345678905",
            "mpn": "MX-9",
            "supplier_codes": [{"supplier": "ACME", "code": "A-77"}],
            "channel_ids": {"amazon": "B00X", "shopify": "gid://1"},
        },
        description="Widget",
        brand="Acme",
        weight={"value": "1.25", "unit": "KG"},
        dimensions={"length": "10", "width": "4", "height": "2.5", "unit": "CM"},
        status="active",
        channels=["b2b", "amazon"],
        cost="4.20",
        list_price="9.99",
        currency="USD",
    )
    assert p.status is ProductStatus.ACTIVE
    assert p.weight is not None and p.weight.unit is WeightUnit.KG
    assert p.cost == Decimal("4.20")
    assert p.identifiers is not None and p.identifiers.channel_ids["amazon"] == "B00X"


def test_only_the_sku_is_required() -> None:
    p = Product.model_validate({"sku": "X"})
    assert p.base_uom == "EA" and p.units == [] and p.cost is None and p.status is None
    with pytest.raises(ValidationError) as err:
        Product.model_validate({"description": "no sku"})
    assert locs(err) == [("sku",)]


def test_two_cases_of_twelve_are_24_each() -> None:
    p = widget()
    assert p.to_base(Decimal(2), "CS") == Decimal(24)
    assert p.to_base(Decimal(1), "PL") == Decimal(480)
    assert p.to_base(Decimal(5), "EA") == Decimal(5)
    assert p.factor("CS") == Decimal(12)


def test_units_are_per_item() -> None:
    other = Product.model_validate({"sku": "B-2", "units": [{"code": "CS", "factor": "50"}]})
    assert widget().to_base(Decimal(2), "CS") == 24
    assert other.to_base(Decimal(2), "CS") == 100


def test_the_base_unit_converts_without_being_listed() -> None:
    p = Product.model_validate({"sku": "K", "base_uom": "LB"})
    assert p.to_base(Decimal("2.5"), "LB") == Decimal("2.5")


def test_an_unknown_unit_names_the_unit_and_the_sku() -> None:
    with pytest.raises(UnknownUnitError) as err:
        widget().to_base(Decimal(1), "BX")
    assert err.value.unit == "BX" and err.value.sku == "W-1"
    assert "'BX'" in str(err.value) and "'W-1'" in str(err.value)
    assert isinstance(err.value, ValueError)


def test_unit_validators_name_the_field() -> None:
    with pytest.raises(ValidationError) as dup:
        Product.model_validate(
            {"sku": "X", "units": [{"code": "CS", "factor": "1"}, {"code": "CS", "factor": "2"}]}
        )
    assert locs(dup) == [("units",)] and "repeated: CS" in str(dup.value)
    with pytest.raises(ValidationError) as base:
        Product.model_validate({"sku": "X", "units": [{"code": "EA", "factor": "6"}]})
    assert locs(base) == [("units",)] and "base unit EA must have factor 1" in str(base.value)
    with pytest.raises(ValidationError) as zero:
        Product.model_validate({"sku": "X", "units": [{"code": "CS", "factor": "0"}]})
    assert locs(zero) == [("units", 0, "factor")]


def test_other_validators_name_the_field() -> None:
    cases: list[tuple[dict[str, object], tuple[int | str, ...]]] = [
        ({"identifiers": {"gtin": "12345"}}, ("identifiers", "gtin")),
        ({"identifiers": {"gtin": "١٢٣٤٥٦٧٨"}}, ("identifiers", "gtin")),  # not ASCII digits
        ({"weight": {"value": "1", "unit": "STONE"}}, ("weight", "unit")),
        ({"cost": "-1"}, ("cost",)),
        ({"currency": "usd"}, ("currency",)),
        ({"status": "gone"}, ("status",)),
        ({"colour": "red"}, ("colour",)),
    ]
    for extra, loc in cases:
        with pytest.raises(ValidationError) as err:
            Product.model_validate({"sku": "X", **extra})
        assert locs(err) == [loc], extra


def test_floats_are_refused_for_money() -> None:
    with pytest.raises(ValidationError) as err:
        Product.model_validate({"sku": "X", "cost": 1.5})
    assert locs(err) == [("cost",)] and "float" in str(err.value)
    with pytest.raises(ValidationError) as from_json:
        Product.model_validate_json('{"sku": "X", "list_price": 0.1}')
    assert locs(from_json) == [("list_price",)]
    assert Product.model_validate_json('{"sku": "X", "cost": "0.1"}').cost == Decimal("0.1")


def test_natural_keys_are_the_sku_and_every_gtin() -> None:
    data = {
        "sku": " A ",
        "identifiers": {"gtin": "00012345678905", "upc": "012345678905"},
        "units": [{"code": "CS", "factor": "12", "gtin": "10012345678902"}, {"code": "PL"}],
    }
    assert Product.natural_keys(data) == [
        ("sku", "A"),
        ("gtin", "00012345678905"),  # the UPC is the same item: one key
        ("gtin", "10012345678902"),
    ]
    assert Product.natural_keys({"identifiers": {"gtin": "4000000000012"}}) == [
        ("gtin", "04000000000012")
    ]
    assert Product.natural_keys({"sku": "", "identifiers": {"gtin": 123}, "units": "x"}) == []


def test_json_round_trip_keeps_decimals_as_strings() -> None:
    p = widget(cost="4.20", list_price="1E+1", weight={"value": "1.50"})
    doc = p.model_dump(mode="json", exclude_none=True)
    assert doc["cost"] == "4.20" and doc["list_price"] == "10" and doc["weight"]["value"] == "1.50"
    assert doc["units"][1] == {"code": "CS", "factor": "12", "gtin": "10012345678902"}
    assert Product.model_validate(doc) == p


quantities = st.decimals(min_value=0, max_value=10**6, places=3)
factors = st.decimals(min_value=Decimal("0.001"), max_value=10**4, places=3)


@given(a=quantities, b=quantities, factor=factors, k=st.integers(0, 1000))
def test_to_base_is_linear(a: Decimal, b: Decimal, factor: Decimal, k: int) -> None:
    # Bounded places keep every product within the decimal context's 28 digits: exact.
    p = Product.model_validate({"sku": "X", "units": [{"code": "CS", "factor": str(factor)}]})
    assert p.to_base(a + b, "CS") == p.to_base(a, "CS") + p.to_base(b, "CS")
    assert p.to_base(a * k, "CS") == p.to_base(a, "CS") * k
    assert p.to_base(a, "CS") == a * p.factor("CS")
    assert p.to_base(a, "EA") == a
