"""Bulk push and read-back without a server: which variants still need their inventory link,
when a found product needs no rewrite, how a variant's link reads back."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from crossdock.connectors.medusa import MedusaClient, MedusaDestination, MedusaSettings
from crossdock.connectors.medusa.bulk import bulk_create_payload, link_plan, unchanged
from crossdock.connectors.medusa.readback import _stock_links

SETTINGS = MedusaSettings(url="http://medusa.test", api_key_env="MEDUSA_API_KEY")
PRODUCT = {
    "sku": "HEX-1",
    "description": "Hex bolt",
    "base_uom": "EA",
    "units": [{"code": "CS", "factor": "12"}, {"code": "PL", "factor": "480"}],
    "status": "active",
    "list_price": "1.50",
}


def dest() -> MedusaDestination:
    return MedusaDestination(
        MedusaClient("http://medusa.test", "sk", key_env="K"), SETTINGS, "shop"
    )


def variant(unit: str, sku: str, *, managed: bool, links: list[tuple[str, int]]) -> dict[str, Any]:
    return {
        "id": f"v_{unit}",
        "sku": sku,
        "manage_inventory": managed,
        "metadata": {"crossdock_unit": unit},
        "inventory_items": [{"inventory_item_id": i, "required_quantity": q} for i, q in links],
    }


def test_bulk_create_lets_medusa_make_the_base_item_and_links_the_others_after() -> None:
    made = bulk_create_payload("prd_1", PRODUCT, dest(), None)
    base, case, pallet = made["variants"]
    assert base["manage_inventory"] is True and "inventory_items" not in base
    assert case["manage_inventory"] is pallet["manage_inventory"] is False
    again = bulk_create_payload("prd_1", PRODUCT, dest(), "iitem_9")
    assert again["variants"][0]["inventory_items"] == [
        {"inventory_item_id": "iitem_9", "required_quantity": Decimal(1)}
    ]
    assert "inventory_items" not in again["variants"][1]


def test_link_plan_names_only_the_variants_a_kill_left_untied() -> None:
    product = {
        "id": "prod_1",
        "variants": [
            variant("EA", "HEX-1", managed=True, links=[("iitem_1", 1)]),
            variant("CS", "HEX-1-CS", managed=True, links=[("iitem_1", 12)]),
            variant("PL", "HEX-1-PL", managed=False, links=[]),
        ],
    }
    links, manage = link_plan(product, PRODUCT, dest())
    assert links == [
        {"variant_id": "v_PL", "inventory_item_id": "iitem_1", "required_quantity": Decimal(480)}
    ]
    assert manage == ["v_PL"]
    product["variants"][2] = variant("PL", "HEX-1-PL", managed=True, links=[("iitem_1", 480)])
    assert link_plan(product, PRODUCT, dest()) == ([], [])


def test_a_found_product_is_unchanged_only_when_every_sent_value_is_there() -> None:
    d = dest()
    body = bulk_create_payload("prd_1", PRODUCT, d, None)
    held = {
        **{k: v for k, v in body.items() if k not in ("variants", "options")},
        "metadata": {**body["metadata"], "added_in_the_shop": "yes"},
        "variants": [
            {
                **v,
                "prices": [{"currency_code": "usd", "amount": float(v["prices"][0]["amount"])}],
            }
            for v in body["variants"]
        ],
    }
    assert unchanged(held, "prd_1", PRODUCT, d)
    assert not unchanged(held, "prd_1", {**PRODUCT, "list_price": "1.55"}, d)
    assert not unchanged(held, "prd_1", {**PRODUCT, "description": "Hex bolt, zinc"}, d)
    assert not unchanged({**held, "variants": held["variants"][:2]}, "prd_1", PRODUCT, d)


def test_a_variant_reads_back_its_share_of_the_products_item_or_none() -> None:
    product = {
        "variants": [
            variant("EA", "HEX-1", managed=True, links=[("iitem_1", 1)]),
            variant("CS", "HEX-1-CS", managed=True, links=[("iitem_1", 12)]),
            variant("PL", "HEX-1-PL", managed=False, links=[("iitem_1", 480)]),
            variant("BX", "HEX-1-BX", managed=True, links=[("iitem_2", 6)]),
        ]
    }
    assert _stock_links(product, "HEX-1") == {
        "HEX-1": Decimal(1),
        "HEX-1-CS": Decimal(12),
        "HEX-1-PL": None,
        "HEX-1-BX": None,
    }
