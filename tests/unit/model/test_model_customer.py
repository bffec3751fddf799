"""Customer: sites with roles, terms and credit, validators and natural keys."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from crossdock.model import Customer, CustomerStatus, SiteRole

ACME: dict[str, Any] = {
    "account_number": "C100",
    "name": "Acme Hardware",
    "legal_name": "Acme Hardware LLC",
    "tax_ids": [{"scheme": "EIN", "value": "12-3456789"}],
    "status": "active",
    "currency": "USD",
    "payment_terms": "NET30",
    "credit_limit": "25000.00",
    "credit_hold": False,
    "customer_group": "RETAIL",
    "tier": "GOLD",
    "price_lists": ["BASE", "CTR-C100"],
    "territory": "WEST",
    "sales_rep": "jdoe",
    "sites": [
        {
            "code": "C100-BT",
            "roles": ["sold_to", "bill_to"],
            "name": "Head office",
            "address": {"line1": "1 Main St", "city": "Reno", "region": "NV", "country": "US"},
            "default": True,
        },
        {"code": "C100-ST1", "roles": ["ship_to"], "tax_exempt": True},
    ],
    "contacts": [{"name": "Ann", "email": "ann@example.com", "role": "buyer"}],
}


def locs(exc: pytest.ExceptionInfo[ValidationError]) -> list[tuple[int | str, ...]]:
    return [tuple(e["loc"]) for e in exc.value.errors()]


def test_a_full_customer_is_valid() -> None:
    c = Customer.model_validate(ACME)
    assert c.status is CustomerStatus.ACTIVE
    assert c.credit_limit == Decimal("25000.00")
    assert [s.code for s in c.sites_with(SiteRole.SHIP_TO)] == ["C100-ST1"]
    assert [s.code for s in c.sites_with(SiteRole.BILL_TO)] == ["C100-BT"]
    assert c.sites[0].roles == [SiteRole.SOLD_TO, SiteRole.BILL_TO]


def test_nothing_is_required() -> None:
    c = Customer.model_validate({})
    assert c.account_number is None and c.sites == [] and c.tax_ids == []


def test_validators_name_the_field() -> None:
    site = {"code": "S1", "roles": ["ship_to"]}
    cases: list[tuple[dict[str, Any], tuple[int | str, ...]]] = [
        ({"sites": [site, site]}, ("sites",)),
        ({"sites": [{"code": "S1", "roles": []}]}, ("sites", 0, "roles")),
        ({"sites": [{"code": "S1", "roles": ["deliver_to"]}]}, ("sites", 0, "roles", 0)),
        (
            {"sites": [{"code": "S1", "roles": ["ship_to"], "address": {"country": "USA"}}]},
            ("sites", 0, "address", "country"),
        ),
        ({"credit_limit": "-5"}, ("credit_limit",)),
        ({"currency": "US"}, ("currency",)),
        ({"status": "deleted"}, ("status",)),
        ({"tax_ids": [{"scheme": "VAT"}]}, ("tax_ids", 0, "value")),
        ({"account_number": ""}, ("account_number",)),
    ]
    for data, loc in cases:
        with pytest.raises(ValidationError) as err:
            Customer.model_validate(data)
        assert locs(err) == [loc], data
    with pytest.raises(ValidationError, match="repeated: S1"):
        Customer.model_validate({"sites": [site, site]})


def test_floats_are_refused_for_money() -> None:
    with pytest.raises(ValidationError) as err:
        Customer.model_validate({"credit_limit": 1000.0})
    assert locs(err) == [("credit_limit",)] and "float" in str(err.value)


def test_natural_keys() -> None:
    assert Customer.natural_keys({"account_number": " C1 "}) == [("account_number", "C1")]
    assert Customer.natural_keys({"name": "no account"}) == []
    assert Customer.natural_keys({"account_number": 7}) == []


def test_json_round_trip() -> None:
    c = Customer.model_validate(ACME)
    doc = c.model_dump(mode="json", exclude_none=True)
    assert doc["credit_limit"] == "25000.00" and doc["sites"][0]["roles"] == ["sold_to", "bill_to"]
    assert Customer.model_validate(doc) == c
