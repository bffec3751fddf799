"""A hub that sells a made-up catalog through one Medusa sales channel of its own.

Tests of one run share one Medusa, so each hub here gets a SKU prefix and a
sales channel no other test uses: what one test pushes is not in another's
read-back. Products have three units (EA, CS of 12, PL of 480), a list price,
a GTIN-less barcode set and stock at two mapped locations (the ``web`` ATP).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

from crossdock.connectors.base import SourceItem
from crossdock.model.base import EntityType
from crossdock.model.change import Change

from .medusa_server import MedusaPeer

LOCATIONS = {"DAL": "Dallas", "ATL": "Atlanta"}
PRODUCT_FIELDS = ["sku", "description", "base_uom", "units", "status", "list_price", "channels"]
STOCK_FIELDS = ["sku", "location", "on_hand", "available", "available_by_channel"]


def sales_channel(medusa: MedusaPeer, name: str) -> str:
    """A new Medusa sales channel (its id); the hub's products go there."""
    with medusa.admin() as admin:
        r = admin.post("/admin/sales-channels", json={"name": name})
        r.raise_for_status()
        return str(r.json()["sales_channel"]["id"])


def hub_document(
    root: Path, medusa: MedusaPeer, key_env: str, channel: str, store_url: str | None = None
) -> dict[str, Any]:
    """A hub file: products and stock come in from ``erp``, go out to the Medusa ``shop``."""
    return {
        "store": {"url": store_url or f"sqlite:///{root / 'hub.sqlite'}"},
        "systems": [
            {"name": "erp", "kind": "files", "settings": {}},  # changes come in by hub.ingest
            {
                "name": "shop",
                "kind": "medusa",
                "settings": {
                    "url": medusa.url,
                    "api_key_env": key_env,
                    "sales_channel": channel,
                    "locations": LOCATIONS,
                },
            },
        ],
        "routes": [
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
                "fields": STOCK_FIELDS,
            },
        ],
    }


def write_hub(root: Path, doc: dict[str, Any]) -> Path:
    path = root / "crossdock.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def product_change(prefix: str, n: int) -> Change:
    sku = f"{prefix}-{n:05d}"
    return Change(
        system="erp",
        entity_type=EntityType.PRODUCT,
        native_id=sku,
        data={
            "sku": sku,
            "description": f"Test item {n}",
            "base_uom": "EA",
            "units": [
                {"code": "EA", "factor": "1"},
                {"code": "CS", "factor": "12"},
                {"code": "PL", "factor": "480"},
            ],
            "status": "active",
            "list_price": str(Decimal("2.50") + Decimal(n % 100) / 4),
            "currency": "USD",
        },
    )


def stock_change(prefix: str, n: int, location: str) -> Change:
    sku = f"{prefix}-{n:05d}"
    on_hand = 100 + n % 50
    return Change(
        system="erp",
        entity_type=EntityType.INVENTORY,
        native_id=f"{sku}@{location}",
        data={
            "sku": sku,
            "location": location,
            "on_hand": str(on_hand),
            "available_by_channel": {"web": str(on_hand - 10)},
        },
    )


def catalog(prefix: str, products: int) -> list[SourceItem]:
    """``products`` products of three units each and their stock at every mapped location."""
    out: list[SourceItem] = [product_change(prefix, n) for n in range(products)]
    out += [stock_change(prefix, n, loc) for n in range(products) for loc in LOCATIONS]
    return out


@dataclass(frozen=True)
class Shop:
    """A test's own corner of the shared Medusa: its SKU tag, sales channel and hub file."""

    tag: str
    channel_id: str
    doc: dict[str, Any]
    cfg: Path


def new_shop(medusa: MedusaPeer, root: Path, purpose: str, store_url: str | None = None) -> Shop:
    """A fresh tag and sales channel, and the hub file (key in ``$MEDUSA_API_KEY``) on them."""
    tag = secrets.token_hex(3).upper()
    channel = f"{purpose} {tag}"
    channel_id = sales_channel(medusa, channel)
    doc = hub_document(root, medusa, "MEDUSA_API_KEY", channel, store_url)
    return Shop(tag, channel_id, doc, write_hub(root, doc))
