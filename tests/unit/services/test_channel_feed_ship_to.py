"""A channel order's ship-to: the one active ship-to site at the address the buyer gave."""

from __future__ import annotations

import pytest

from crossdock.errors import InvalidInput
from crossdock.model.customer import Customer
from crossdock.services.orders.channel_feed import match_ship_to


def customer(*sites: dict[str, object]) -> Customer:
    return Customer.model_validate({"account_number": "A", "sites": list(sites)})


def site(code: str, line1: str, postcode: str = "75201", **extra: object) -> dict[str, object]:
    return {
        "code": code,
        "roles": ["ship_to"],
        "address": {"line1": line1, "postal_code": postcode, "country": "US"},
        **extra,
    }


ADDR = {"line1": "12 Main Street", "postal_code": "75201-1234", "country": "US"}


def test_the_site_at_the_address_is_found_whatever_the_spelling() -> None:
    c = customer(site("S1", "12 Main St"), site("S2", "9 Dock Rd"))
    assert match_ship_to(c, ADDR) == "S1"


def test_no_site_an_inactive_one_or_two_at_the_address_name_ship_to() -> None:
    for c in (
        customer(site("S2", "9 Dock Rd")),
        customer(site("S1", "12 Main St", active=False)),
        customer(site("S1", "12 Main St"), site("S3", "12 Main St.")),
        customer(
            {
                "code": "B1",
                "roles": ["bill_to"],
                "address": {"line1": "12 Main St", "postal_code": "75201", "country": "US"},
            }
        ),
    ):
        with pytest.raises(InvalidInput) as err:
            match_ship_to(c, ADDR)
        assert err.value.field == "ship_to"


def test_an_address_without_street_or_postcode_is_refused() -> None:
    with pytest.raises(InvalidInput, match="ship_to"):
        match_ship_to(customer(site("S1", "12 Main St")), {"line1": None, "postal_code": "1"})
