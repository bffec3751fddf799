"""Inventory position: buckets, inbound receipts and the SKU-at-location key."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from crossdock.model import InboundKind, InventoryPosition

POSITION: dict[str, Any] = {
    "sku": "W-1",
    "location": "W01",
    "unit": "EA",
    "on_hand": "120",
    "allocated": "20",
    "reserved": "5",
    "in_transit": "48",
    "safety_stock": "10",
    "on_hold": "2",
    "inbound": [
        {"reference": "PO-5", "quantity": "240", "eta": "2025-03-20"},
        {"reference": "TR-9", "quantity": "48", "eta": "2025-03-12", "kind": "transfer"},
    ],
    "as_of": "2025-03-07T06:00:00Z",
}


def locs(exc: pytest.ExceptionInfo[ValidationError]) -> list[tuple[int | str, ...]]:
    return [tuple(e["loc"]) for e in exc.value.errors()]


def test_a_full_position_is_valid() -> None:
    p = InventoryPosition.model_validate(POSITION)
    assert p.on_hand == 120 and p.allocated == 20
    assert p.inbound[0].kind is InboundKind.PURCHASE_ORDER
    assert p.inbound[1].eta == date(2025, 3, 12)


def test_sku_and_location_are_required_and_buckets_default_to_zero() -> None:
    p = InventoryPosition.model_validate({"sku": "A", "location": "W1"})
    assert p.on_hand == p.allocated == p.on_hold == Decimal(0) and p.inbound == []
    with pytest.raises(ValidationError) as err:
        InventoryPosition.model_validate({"sku": "A"})
    assert locs(err) == [("location",)]


def test_on_hand_may_go_negative_other_buckets_may_not() -> None:
    assert InventoryPosition.model_validate(
        {"sku": "A", "location": "W1", "on_hand": "-3"}
    ).on_hand == Decimal(-3)
    for bucket in ("allocated", "reserved", "in_transit", "safety_stock", "on_hold"):
        with pytest.raises(ValidationError) as err:
            InventoryPosition.model_validate({"sku": "A", "location": "W1", bucket: "-1"})
        assert locs(err) == [(bucket,)]


def test_validators_name_the_field() -> None:
    receipt = {"reference": "PO-5", "quantity": "1", "eta": "2025-03-20"}
    cases: list[tuple[dict[str, Any], tuple[int | str, ...]]] = [
        ({"on_hand": 1.0}, ("on_hand",)),
        ({"on_hand": "lots"}, ("on_hand",)),
        ({"on_hand": "NaN"}, ("on_hand",)),
        ({"inbound": [{**receipt, "quantity": "0"}]}, ("inbound", 0, "quantity")),
        ({"inbound": [{**receipt, "kind": "gift"}]}, ("inbound", 0, "kind")),
        ({"inbound": [{**receipt, "eta": "soon"}]}, ("inbound", 0, "eta")),
    ]
    for data, loc in cases:
        with pytest.raises(ValidationError) as err:
            InventoryPosition.model_validate({"sku": "A", "location": "W1", **data})
        assert locs(err) == [loc], data


def test_natural_key_is_sku_at_location() -> None:
    assert InventoryPosition.natural_keys({"sku": " W-1", "location": "W01 "}) == [
        ("sku_location", "W-1@W01")
    ]
    assert InventoryPosition.natural_keys({"sku": "W-1"}) == []


def test_json_round_trip() -> None:
    p = InventoryPosition.model_validate(POSITION)
    doc = p.model_dump(mode="json", exclude_none=True)
    assert doc["on_hand"] == "120" and doc["inbound"][0]["quantity"] == "240"
    assert InventoryPosition.model_validate(doc) == p
