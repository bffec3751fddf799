"""`crossdock reconcile` on a real Medusa: no drift after a sync; a price or a stock level
edited in Medusa's admin is found, named (entity, id, field, both values) and healed."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from crossdock.cli import app
from crossdock.config.hub import HubConfig
from crossdock.connectors.medusa.mapper import handle_for
from crossdock.model.base import EntityType
from crossdock.model.change import Change, ChangeOp
from crossdock.sync.runtime import Hub

from .catalog import catalog, new_shop
from .medusa_server import MedusaPeer

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(900)]
runner = CliRunner()


def reconcile(cfg: Path, *extra: str) -> tuple[int, dict[str, Any]]:
    result = runner.invoke(app, ["reconcile", "shop", "-c", str(cfg), *extra])
    assert result.exit_code in (0, 1), result.output
    return result.exit_code, json.loads(result.stdout)


def test_reconcile_medusa_finds_an_edited_price_and_stock_level_and_heals_them(
    medusa: MedusaPeer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, store_url: str
) -> None:
    monkeypatch.setenv("MEDUSA_API_KEY", medusa.secret_key)
    shop = new_shop(medusa, tmp_path, "reconcile", store_url)
    tag, doc, cfg = shop.tag, shop.doc, shop.cfg
    hub = Hub.open(HubConfig.model_validate(doc))
    try:
        hub.ingest(catalog(f"RC{tag}", 4))
        assert hub.deliver(["products-to-shop"])["products-to-shop"].delivered == 4
        assert hub.deliver(["stock-to-shop"])["stock-to-shop"].delivered == 8
        product = next(
            p for p in hub.store.records.iter(EntityType.PRODUCT) if p.data["sku"].endswith("01")
        )
        stock = next(
            i
            for i in hub.store.records.iter(EntityType.INVENTORY)
            if i.data["sku"] == product.data["sku"] and i.data["location"] == "ATL"
        )
    finally:
        hub.close()

    code, report = reconcile(cfg)
    assert code == 0 and report["in_sync"] is True
    assert report["records"] == report["agreeing"] == 4 + 8

    # a person edits the case price and the Atlanta stock in Medusa's admin API
    sku = product.data["sku"]
    case_price = Decimal(product.data["list_price"]) * 12
    with medusa.admin() as admin:
        (found,) = admin.get(
            "/admin/products",
            params={"handle": handle_for(sku), "fields": "id,*variants,*variants.prices"},
        ).json()["products"]
        case = next(v for v in found["variants"] if v["sku"] == f"{sku}-CS")
        (price,) = case["prices"]
        admin.post(
            f"/admin/products/{found['id']}/variants/{case['id']}",
            json={"prices": [{"id": price["id"], "currency_code": "usd", "amount": 99.5}]},
        ).raise_for_status()
        (item,) = admin.get(
            "/admin/inventory-items", params={"sku": sku, "fields": "id,*location_levels"}
        ).json()["inventory_items"]
        (atlanta,) = admin.get(
            "/admin/stock-locations", params={"name": "Atlanta", "fields": "id"}
        ).json()["stock_locations"]
        admin.post(
            f"/admin/inventory-items/{item['id']}/location-levels/{atlanta['id']}",
            json={"stocked_quantity": 3},
        ).raise_for_status()

    code, report = reconcile(cfg, "--heal")
    assert code == 1 and report["drifts_by_kind"] == {"different": 2}
    drifts = {d["field"]: d for d in report["drifts"]}
    assert drifts.keys() == {f"variants[{sku}-CS].price", "stocked_quantity"}
    price_drift = drifts[f"variants[{sku}-CS].price"]
    assert (price_drift["entity_type"], price_drift["native_id"], price_drift["entity_id"]) == (
        "product",
        case["id"],
        product.id,
    )
    assert Decimal(price_drift["system_value"]) == Decimal("99.5")
    assert Decimal(price_drift["hub_value"]) == case_price
    stock_drift = drifts["stocked_quantity"]
    assert (stock_drift["entity_type"], stock_drift["native_id"], stock_drift["entity_id"]) == (
        "inventory",
        f"{item['id']}:{atlanta['id']}",
        stock.id,
    )
    want = Decimal(stock.data["available_by_channel"]["web"])
    assert (Decimal(stock_drift["system_value"]), Decimal(stock_drift["hub_value"])) == (
        Decimal(3),
        want,
    )
    assert {d["remedy"] for d in report["drifts"]} == {"resend"}
    assert report["healed"]["resent"] == report["healed"]["delivered"] == 2

    # healed through the routes: Medusa holds the hub's values again
    code, report = reconcile(cfg)
    assert code == 0, report["drifts"]
    with medusa.admin() as admin:
        (item,) = admin.get(
            "/admin/inventory-items", params={"sku": sku, "fields": "id,*location_levels"}
        ).json()["inventory_items"]
    level = next(lv for lv in item["location_levels"] if lv["location_id"] == atlanta["id"])
    assert Decimal(str(level["stocked_quantity"])) == want


def test_reconcile_medusa_names_products_missing_unknown_and_deleted_in_the_hub(
    medusa: MedusaPeer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MEDUSA_API_KEY", medusa.secret_key)
    shop = new_shop(medusa, tmp_path, "reconcile")
    tag, channel_id, doc, cfg = shop.tag, shop.channel_id, shop.doc, shop.cfg
    hub = Hub.open(HubConfig.model_validate(doc))
    try:
        hub.ingest(catalog(f"RM{tag}", 3))
        hub.deliver(["products-to-shop"])
        hub.deliver(["stock-to-shop"])
        # deleted in the hub, not delivered yet: Medusa still sells it
        hub.ingest([Change("erp", EntityType.PRODUCT, f"RM{tag}-00002", op=ChangeOp.DELETE)])
    finally:
        hub.close()
    with medusa.admin() as admin:
        (gone,) = admin.get(
            "/admin/products", params={"handle": handle_for(f"RM{tag}-00000"), "fields": "id"}
        ).json()["products"]
        admin.delete(f"/admin/products/{gone['id']}").raise_for_status()
        admin.post(
            "/admin/products",
            json={
                "title": "Made in the shop",
                "handle": f"shop-only-{tag.lower()}",
                "options": [{"title": "Unit", "values": ["EA"]}],
                "variants": [{"title": "EA", "options": {"Unit": "EA"}, "prices": []}],
                "sales_channels": [{"id": channel_id}],
            },
        ).raise_for_status()
    code, report = reconcile(cfg)
    assert code == 1
    kinds = sorted((d["kind"], d["entity_type"]) for d in report["drifts"])
    # the product and its two stock levels are missing (its inventory item went with it)
    assert kinds == [
        ("deleted_in_hub", "product"),
        ("missing_in_system", "inventory"),
        ("missing_in_system", "inventory"),
        ("missing_in_system", "product"),
        ("unknown_to_hub", "product"),
    ]
    unknown = next(d for d in report["drifts"] if d["kind"] == "unknown_to_hub")
    assert unknown["system_value"]["handle"] == f"shop-only-{tag.lower()}"
    assert unknown["remedy"] == "report"
    deleted = next(d for d in report["drifts"] if d["kind"] == "deleted_in_hub")
    assert deleted["system_value"]["handle"] == handle_for(f"RM{tag}-00002")
    assert deleted["remedy"] == "resend"  # the route sends the delete
