"""The demo's hub: an ERP export folder in, a portal webhook and a WMS file export out."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from crossdock.config.hub import HubConfig
from crossdock.demo.generator import WAREHOUSES

SECRET_ENV = "CROSSDOCK_DEMO_PORTAL_SECRET"  # noqa: S105 (a variable name, not a secret)


def demo_hub_document(root: Path, portal_url: str) -> dict[str, Any]:
    """The hub file as a document (also written to ``<root>/crossdock.yaml``)."""
    return {
        "store": {"url": f"sqlite:///{root / 'hub.sqlite'}"},
        "systems": [
            {
                "name": "erp",
                "kind": "files",
                "settings": {
                    "inbox": str(root / "inbox"),
                    "mappings": [
                        {
                            "pattern": "erp_products*.csv",
                            "entity": "product",
                            "id": "ITEMNO",
                            "columns": {
                                "ITEMNO": "sku",
                                "DESCR": "description",
                                "BRAND": "brand",
                                "CATEGORY": "category",
                                "UOM": "base_uom",
                                "CASE_QTY": "units[1].factor",
                                "PALLET_QTY": "units[2].factor",
                                "WEIGHT_LB": "weight.value",
                                "COST": "cost",
                                "LIST": "list_price",
                                "GTIN": "identifiers.gtin",
                                "STATUS": "status",
                            },
                            "defaults": {
                                "units[0].code": "EA",
                                "units[0].factor": "1",
                                "units[1].code": "CS",
                                "units[2].code": "PL",
                                "weight.unit": "LB",
                                "currency": "USD",
                            },
                            "values": {
                                "base_uom": {"EA": "EA", "CS": "CS", "PL": "PL"},
                                "status": {"A": "active", "D": "discontinued", "I": "inactive"},
                            },
                        },
                        {
                            "pattern": "erp_customers*.jsonl",
                            "entity": "customer",
                            "id": "account_number",
                        },
                        {"pattern": "erp_price_lists*.jsonl", "entity": "price_list", "id": "code"},
                        {
                            "pattern": "erp_inventory*.csv",
                            "entity": "inventory",
                            "id": ["ITEMNO", "WHSE"],
                            "columns": {
                                "ITEMNO": "sku",
                                "WHSE": "location",
                                "ON_HAND": "on_hand",
                                "ALLOCATED": "allocated",
                                "ON_HOLD": "on_hold",
                                "SAFETY": "safety_stock",
                            },
                            "values": {"location": dict(WAREHOUSES)},
                        },
                    ],
                },
            },
            {
                "name": "portal",
                "kind": "webhook",
                "settings": {
                    "url": portal_url,
                    "secret_env": SECRET_ENV,
                    "inbound": True,
                    "batch": True,
                },
            },
            {
                "name": "wms",
                "kind": "files",
                "settings": {
                    "export_dir": str(root / "export"),
                    "export_format": "jsonl",
                },
            },
        ],
        "ownership": {
            "product": {"owner": "erp", "fields": {"channels": "portal"}, "non_owner": "reject"},
            "customer": {"owner": "erp", "fields": {"contacts": "portal"}, "non_owner": "propose"},
            "price_list": {"owner": "erp"},
            "inventory": {"owner": "erp"},
        },
        "routes": [
            {
                "name": "products-to-portal",
                "entities": ["product"],
                "destination": "portal",
                "fields": [
                    "sku",
                    "description",
                    "brand",
                    "category",
                    "base_uom",
                    "units",
                    "identifiers",
                    "status",
                    "list_price",
                    "currency",
                ],
                "filter": {"status": ["active"]},
            },
            {
                "name": "customers-to-portal",
                "entities": ["customer"],
                "destination": "portal",
                "fields": [
                    "account_number",
                    "name",
                    "status",
                    "sites",
                    "contacts",
                    "price_lists",
                    "credit_hold",
                    "payment_terms",
                ],
            },
            {"name": "prices-to-portal", "entities": ["price_list"], "destination": "portal"},
            {
                "name": "items-to-wms",
                "entities": ["product"],
                "destination": "wms",
                "fields": [
                    "sku",
                    "description",
                    "base_uom",
                    "units",
                    "weight",
                    "dimensions",
                    "identifiers",
                ],
            },
            {
                "name": "stock-to-wms",
                "entities": ["inventory"],
                "destination": "wms",
                # the ERP's figures; what can be promised goes to the portal instead
                "fields": ["sku", "location", "on_hand", "allocated", "on_hold", "safety_stock"],
            },
            {
                "name": "stock-to-portal",
                "entities": ["inventory"],
                "destination": "portal",
                "fields": ["sku", "location", "available", "available_by_channel"],
            },
        ],
        "availability": {
            "locations": list(dict.fromkeys(WAREHOUSES.values())),
            "channels": [{"name": "web", "safety_stock": "2"}],
            "publish": {"levels": ["0", "10"], "min_change": "5"},
        },
    }


def write_hub_file(path: Path, doc: dict[str, Any]) -> None:
    header = (
        "# Crossdock demo hub, written by `crossdock demo`.\n"
        f"# The portal's webhook secret comes from ${SECRET_ENV}.\n"
    )
    path.write_text(header + yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")


def demo_hub(root: Path, portal_url: str) -> HubConfig:
    return HubConfig.model_validate(demo_hub_document(root, portal_url))


__all__ = ["SECRET_ENV", "demo_hub", "demo_hub_document", "write_hub_file"]
