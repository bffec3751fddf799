"""Push to a real Medusa v2: the demo distributor's catalog and stock land and read back equal,
nothing is created twice, Medusa's refusals park with its message, a wrong key opens the circuit."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from crossdock.config.hub import HubConfig
from crossdock.connectors.base import Delivery
from crossdock.connectors.medusa import MedusaConnector
from crossdock.connectors.medusa.mapper import (
    handle_for,
    product_view,
    stocked_quantity,
    wanted_view,
)
from crossdock.demo.config import demo_hub_document
from crossdock.demo.generator import generate
from crossdock.model.base import EntityType
from crossdock.model.change import ChangeOp
from crossdock.sync.runtime import Hub

from .medusa_server import MedusaPeer

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(900)]

PRODUCT_FIELDS = [
    "sku",
    "description",
    "long_description",
    "base_uom",
    "units",
    "identifiers",
    "status",
    "list_price",
    "currency",
    "weight",
    "dimensions",
    "channels",
]


def hub_for(root: Path, key_env: str, medusa: MedusaPeer, *, products: int = 25) -> Hub:
    generate(root / "inbox", products=products, customers=5)
    doc: dict[str, Any] = demo_hub_document(root, "http://127.0.0.1:9/unused")
    doc["systems"] = [s for s in doc["systems"] if s["name"] == "erp"] + [
        {
            "name": "shop",
            "kind": "medusa",
            "settings": {
                "url": medusa.url,
                "api_key_env": key_env,
                "sales_channel": "Default Sales Channel",
                "locations": {"DAL": "Dallas", "ATL": "Atlanta"},
            },
        }
    ]
    doc["ownership"]["product"]["fields"] = {"channels": "shop"}
    doc["ownership"]["customer"]["fields"] = {}
    doc["routes"] = [
        {
            "name": "products-to-shop",
            "entities": ["product"],
            "destination": "shop",
            "fields": PRODUCT_FIELDS,
        },
        {
            "name": "stock-to-shop",
            "entities": ["inventory"],
            "destination": "shop",
            "fields": ["sku", "location", "on_hand", "available", "available_by_channel"],
        },
    ]
    return Hub.open(HubConfig.model_validate(doc))


def shop_of(hub: Hub) -> MedusaConnector:
    conn = hub.connector("shop")
    assert isinstance(conn, MedusaConnector)
    return conn


def test_demo_catalog_and_stock_land_in_medusa_and_read_back_equal(
    medusa: MedusaPeer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MEDUSA_API_KEY", medusa.secret_key)
    hub = hub_for(tmp_path, "MEDUSA_API_KEY", medusa)
    try:
        hub.pull(["erp"])
        report = hub.deliver(["products-to-shop"])["products-to-shop"]
        assert report.parked == 0 and report.delivered > 0
        stock = hub.deliver(["stock-to-shop"])["stock-to-shop"]
        shop = shop_of(hub)
        dest = shop.medusa_destination
        products = list(hub.store.records.iter(EntityType.PRODUCT))
        skus = {p.data["sku"] for p in products}
        # stock of the demo's rows that failed to map as products (an unknown unit) waits
        # for its product, then parks; every other level is delivered
        orphans = [
            i
            for i in hub.store.records.iter(EntityType.INVENTORY)
            if i.data["sku"] not in skus and i.data["location"] in shop.settings.locations
        ]
        assert stock.parked == len(orphans) and stock.delivered > 0
        assert len(products) >= 20
        for rec in products:
            found = dest.find_product(handle_for(rec.data["sku"]))
            assert found is not None, rec.data["sku"]
            assert product_view(found, "usd") == wanted_view(rec.data, shop.settings)
            assert hub.store.crosswalk.native_ids_for(EntityType.PRODUCT, "shop", [rec.id]) == {
                rec.id: found["id"]
            }
        # stock: one inventory item per product, its level per mapped location = the web ATP
        checked = 0
        for inv in hub.store.records.iter(EntityType.INVENTORY):
            loc = shop.settings.locations.get(inv.data["location"])
            if loc is None or inv.data["sku"] not in skus:
                continue
            item = shop.client.get(
                "/admin/inventory-items",
                action="read back",
                sku=inv.data["sku"],
                fields="id,*location_levels,*location_levels.stock_locations",
            )["inventory_items"]
            assert len(item) == 1
            levels = {
                lv["location_id"]: lv["stocked_quantity"] for lv in item[0]["location_levels"]
            }
            assert levels[dest.location_id(inv.data["location"])] == stocked_quantity(
                inv.data, shop.settings
            )
            checked += 1
        assert checked > 0
    finally:
        hub.close()


def test_a_push_repeated_after_a_lost_answer_creates_nothing_twice(
    medusa: MedusaPeer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The crash between Medusa's answer and the crosswalk write: the delivery comes again
    with no native id; the product is found by its handle and updated, not made again."""
    monkeypatch.setenv("MEDUSA_API_KEY", medusa.secret_key)
    hub = hub_for(tmp_path, "MEDUSA_API_KEY", medusa, products=3)
    try:
        hub.pull(["erp"])
        rec = next(hub.store.records.iter(EntityType.PRODUCT))
        data = {k: v for k, v in rec.data.items() if k in PRODUCT_FIELDS}
        data["sku"] = "KILL-" + data["sku"]
        data.pop("identifiers", None)
        dest = shop_of(hub).medusa_destination
        first = dest.push([_delivery(rec.id, data, 1)])
        again = dest.push([_delivery(rec.id, {**data, "list_price": "7.25"}, 2)])
        assert first[0].native_id == again[0].native_id is not None
        with medusa.admin() as admin:
            rows = admin.get(
                "/admin/products", params={"handle": handle_for(data["sku"]), "fields": "id"}
            ).json()["products"]
            items = admin.get(
                "/admin/inventory-items", params={"sku": data["sku"], "fields": "id"}
            ).json()["inventory_items"]
        assert len(rows) == 1 and len(items) == 1
        view = product_view(dest.find_product(handle_for(data["sku"])) or {}, "usd")
        assert view["variants"][data["sku"]]["price"] == Decimal("7.25")
    finally:
        hub.close()


def test_medusa_refusal_parks_with_its_message_and_a_wrong_key_opens_the_circuit(
    medusa: MedusaPeer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MEDUSA_API_KEY", medusa.secret_key)
    hub = hub_for(tmp_path, "MEDUSA_API_KEY", medusa, products=2)
    try:
        dest = shop_of(hub).medusa_destination
        bad = {
            "sku": "BAD-1",
            "description": "x",
            "list_price": "1",
            "units": [
                {"code": "CS", "factor": "12"},
                {"code": "CS2", "factor": "12", "gtin": "dup"},
            ],
            "identifiers": {"gtin": "dup"},
        }
        result = dest.push([_delivery("prd_bad", bad, 1)])
        assert result[0].status.value == "failed" and result[0].code is not None
        assert "Medusa refused create a product" in (result[0].error or "")
    finally:
        hub.close()

    monkeypatch.setenv("WRONG_KEY", "sk_" + "0" * 64)
    hub = hub_for(tmp_path / "wrong", "WRONG_KEY", medusa, products=3)
    try:
        hub.pull(["erp"])
        for _ in range(10):  # the breaker opens after a few failed passes; nothing parks
            report = hub.deliver(["products-to-shop"])["products-to-shop"]
            assert report.parked == 0 and report.delivered == 0
            status = {s.route: s for s in hub.route_status()}["products-to-shop"]
            if status.circuit != "closed":
                break
        assert status.circuit != "closed"
        # the pass that opened it says why (later passes say "circuit … is open")
        assert "refused the secret API key" in (status.last_error or "")
        assert "$WRONG_KEY" in (status.last_error or "")
    finally:
        hub.close()


def _delivery(entity_id: str, data: dict[str, Any], version: int) -> Delivery:
    from datetime import UTC, datetime

    return Delivery(
        f"test:{entity_id}:{version}",
        "products-to-shop",
        EntityType.PRODUCT,
        entity_id,
        version,
        ChangeOp.UPSERT,
        data,
        None,
        datetime.now(UTC),
    )
