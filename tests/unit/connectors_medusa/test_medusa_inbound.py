"""Medusa → hub mapping without a server: an order as the intake body, a store customer."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from crossdock.connectors.base import ChannelOrder, SourceError
from crossdock.connectors.medusa.inbound import customer_change, order_intake
from crossdock.model.base import EntityType


def order(**over: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "id": "order_1",
        "display_id": 42,
        "status": "pending",
        "currency_code": "usd",
        "customer_id": "cus_1",
        "updated_at": "2026-12-04T16:18:28.212Z",
        "metadata": {"customer_po": "PO-7"},
        "items": [
            {
                "id": "ordli_2",
                "variant_sku": "W-1-CS",
                "quantity": 2,
                "unit_price": Decimal("120.5"),
                "variant": {
                    "metadata": {"crossdock_unit": "CS"},
                    "product": {"metadata": {"sku": "W-1"}},
                },
            },
            {
                "id": "ordli_1",
                "variant_sku": "W-1",
                "quantity": 3,
                "unit_price": 10,
                "variant": {
                    "metadata": {"crossdock_unit": "EA"},
                    "product": {"metadata": {"sku": "W-1"}},
                },
            },
        ],
        "shipping_address": {
            "address_1": "12 Main St",
            "postal_code": "75201",
            "country_code": "us",
        },
    }
    return {**row, **over}


def test_an_order_becomes_the_intake_body_with_hub_skus_units_and_prices() -> None:
    got = order_intake("shop", order(), "MED-")
    assert isinstance(got, ChannelOrder)
    assert got.native_id == "order_1" and got.system == "shop"
    body = got.body
    assert body["order_number"] == "MED-42"
    assert body["channel_customer_id"] == "cus_1"
    assert body["currency"] == "USD" and body["customer_po"] == "PO-7"
    assert "ship_to" not in body  # no site named: the address goes to intake to match
    assert got.ship_to_address is not None and got.ship_to_address["country"] == "US"
    # lines in Medusa's item id order, numbered from 1; the case keeps its unit and price
    assert body["lines"] == [
        {"line_number": 1, "sku": "W-1", "quantity": "3", "unit_price": "10", "unit": "EA"},
        {"line_number": 2, "sku": "W-1", "quantity": "2", "unit_price": "120.5", "unit": "CS"},
    ]


def test_a_site_code_on_the_shipping_address_is_the_ship_to() -> None:
    ship = {"address_1": "x", "metadata": {"site_code": "S9"}}
    got = order_intake("shop", order(shipping_address=ship), "")
    assert isinstance(got, ChannelOrder)
    assert got.body["ship_to"] == "S9" and got.ship_to_address is None
    assert got.body["order_number"] == "42"


def test_an_order_without_customer_or_sku_is_an_error_naming_the_field() -> None:
    err = order_intake("shop", order(customer_id=None), "MED-")
    assert isinstance(err, SourceError) and err.field == "customer_id"
    assert err.entity_type is EntityType.ORDER and err.native_id == "order_1"
    items = order()["items"]
    items[1] = {**items[1], "variant_sku": None}
    err = order_intake("shop", order(items=items), "MED-")
    assert isinstance(err, SourceError) and err.field == "items.0.variant_sku"


def test_a_store_customer_is_a_partial_customer_for_matching() -> None:
    row = {
        "id": "cus_9",
        "email": "pat@acme.test",
        "company_name": "Acme Supply",
        "first_name": "Pat",
        "last_name": "Buyer",
        "phone": None,
        "updated_at": "2026-12-04T16:18:18.607Z",
        "addresses": [
            {
                "id": "addr_1",
                "address_1": "12 Main St",
                "postal_code": "75201",
                "country_code": "us",
                "is_default_shipping": True,
                "is_default_billing": False,
            },
        ],
    }
    ch = customer_change("shop", row, "shop")
    assert ch.native_id == "cus_9" and ch.entity_type is EntityType.CUSTOMER
    assert ch.data["name"] == "Acme Supply"
    assert ch.data["contacts"] == [{"name": "Pat Buyer", "email": "pat@acme.test", "role": "buyer"}]
    [site] = ch.data["sites"]
    assert site["code"] == "shop-addr_1" and site["roles"] == ["ship_to"] and site["default"]
    assert "account_number" not in ch.data  # which account: matching's answer
    assert ch.source_ts.isoformat().startswith("2026-12-04T16:18:18.607")
