"""The Medusa B2B mapping without a server: buyers, price lists, fulfilment items and labels."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx

from crossdock.connectors.base import Delivery, DeliveryStatus
from crossdock.connectors.medusa import MedusaClient, MedusaDestination, MedusaSettings
from crossdock.connectors.medusa.customers import buyer_emails, buyer_values
from crossdock.connectors.medusa.errors import MedusaValidationError
from crossdock.connectors.medusa.fulfilment import item_for, labels
from crossdock.connectors.medusa.pricelists import _stale, factor_of, list_body
from crossdock.model.base import EntityType
from crossdock.model.change import ChangeOp


def test_buyers_are_contacts_with_an_address_trimmed_lowercased_first_wins() -> None:
    data = {
        "contacts": [
            {"name": "Ann Lee Buyer", "email": " Ann@Acme.test "},
            {"name": "No Mail"},
            {"name": "Ann again", "email": "ann@acme.test"},
            {"name": "Bob", "email": "bob@acme.test", "phone": "+1 555"},
        ]
    }
    found = buyer_emails(data)
    assert list(found) == ["ann@acme.test", "bob@acme.test"]
    assert found["ann@acme.test"]["name"] == "Ann Lee Buyer"
    ann = buyer_values("ACME", {"name": "Acme Corp"}, found["ann@acme.test"])
    assert (ann["first_name"], ann["last_name"], ann["company_name"]) == (
        "Ann",
        "Lee Buyer",
        "Acme Corp",
    )
    bob = buyer_values("ACME", {}, found["bob@acme.test"])
    assert (bob["last_name"], bob["company_name"], bob["phone"]) == (None, "ACME", "+1 555")
    assert bob["metadata"] == {"crossdock_account": "ACME"}


def test_an_account_price_list_overrides_for_its_group_only() -> None:
    body = list_body("ACME", "cusgroup_1")
    assert body["type"] == "override" and body["status"] == "active"
    assert body["rules"] == {"customer.groups.id": ["cusgroup_1"]}
    assert body["metadata"] == {"crossdock_customer": "ACME"}
    assert "ACME" in body["title"]


def test_a_variant_costs_its_factor_of_base_units() -> None:
    assert factor_of({"metadata": {"crossdock_factor": "12"}}) == Decimal(12)
    assert factor_of({"metadata": None}) == Decimal(1)


def test_only_a_vanished_price_counts_as_stale() -> None:
    assert _stale(MedusaValidationError("x", "Price with id: price_1 was not found"))
    assert not _stale(MedusaValidationError("x", "amount must be a number"))


def item(sku: str, handle: str, unit: str | None = None) -> dict[str, Any]:
    meta = {"crossdock_unit": unit} if unit else None
    return {
        "id": f"li-{sku}",
        "variant_sku": sku,
        "product_handle": handle,
        "variant": {"metadata": meta},
    }


def found(items: list[dict[str, Any]], sku: str, unit: str | None) -> str | None:
    hit = item_for(items, sku, unit)
    return None if hit is None else str(hit["id"])


def test_an_order_line_finds_the_item_of_its_unit_not_a_lookalike_sku() -> None:
    items = [
        item("W-1-2", "w-1-2", "EA"),  # another product whose SKU starts like W-1's
        item("W-1", "w-1", "EA"),
        item("W-1-CS", "w-1", "CS"),
    ]
    assert found(items, "W-1", "EA") == "li-W-1"
    assert found(items, "W-1", "CS") == "li-W-1-CS"
    assert found(items, "W-1", None) == "li-W-1"
    # a product the hub did not make: by variant SKU
    assert found([item("X-9-PK", "x")], "X-9", "PK") == "li-X-9-PK"
    assert found(items, "W-7", None) is None


def test_every_tracking_number_is_a_label() -> None:
    assert labels(["1Z1", "1Z2"]) == [
        {"tracking_number": "1Z1", "tracking_url": "#", "label_url": "#"},
        {"tracking_number": "1Z2", "tracking_url": "#", "label_url": "#"},
    ]
    assert labels([]) == []


def test_a_price_for_another_channel_is_left_out_without_asking_medusa() -> None:
    asked: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        asked.append(str(request.url))
        return httpx.Response(500)

    settings = MedusaSettings(url="http://medusa.test", api_key_env="K", channel="web")
    client = MedusaClient(settings.url, "sk_x", key_env="K", transport=httpx.MockTransport(answer))
    dest = MedusaDestination(client, settings, "shop")
    data = {"customer": "ACME", "sku": "W-1", "channel": "edi", "unit_price": "8.40"}
    d = Delivery(
        "d1",
        "prices",
        EntityType.CUSTOMER_PRICE,
        "cpr_1",
        1,
        ChangeOp.UPSERT,
        data,
        None,
        datetime.now(UTC),
    )
    [result] = dest.push([d])
    assert result.status is DeliveryStatus.DELIVERED and result.native_id is None
    assert asked == []
    client.close()
