"""Canonical products and stock ↔ Medusa v2 products, variants and inventory levels.

One canonical product is one Medusa product whose handle is its SKU in lower
case (:func:`handle_for`) and whose ``external_id`` is the hub's id. Each
sellable unit (each, case, pallet…) is one variant with the option ``Unit``:
the base unit's variant carries the product's SKU, the others ``SKU-CODE``;
each variant's price is the list price times the unit's factor. Stock is
kept once per product, on one inventory item whose SKU is the product's; a
variant takes ``factor`` of it (Medusa's ``required_quantity``), so a case of
12 sells 12 eaches and the shelf is never counted twice.

:func:`product_view` reads a Medusa product back into the same shape as
:func:`wanted_view` makes from a canonical one, so a test or a reconciliation
compares like with like.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from crossdock.connectors.medusa.config import MedusaSettings

#: The product option whose values are the unit codes.
UNIT_OPTION = "Unit"
#: Metadata keys the hub writes on Medusa records (found again by them).
META_ID = "crossdock_id"
META_UNIT = "crossdock_unit"

_NOT_HANDLE = re.compile(r"[^a-z0-9]+")
_STATUS = {"active": "published", "pending": "draft", "inactive": "draft", "discontinued": "draft"}


def handle_for(sku: str) -> str:
    """The Medusa handle of a SKU (URL-safe, lower case): ``HEX-10001`` → ``hex-10001``."""
    return _NOT_HANDLE.sub("-", sku.lower()).strip("-") or "product"


@dataclass(frozen=True, slots=True)
class Unit:
    """One sellable unit of a product: its code, base units in it, its GTIN."""

    code: str
    factor: Decimal
    gtin: str | None


def _dec(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def units_of(data: Mapping[str, Any], settings: MedusaSettings) -> list[Unit]:
    """The units sold in Medusa, base unit first (only those in ``settings.units`` if set)."""
    base = str(data.get("base_uom") or "EA")
    ident = data.get("identifiers") or {}
    out: dict[str, Unit] = {base: Unit(base, Decimal(1), ident.get("gtin"))}
    for u in data.get("units") or []:
        code, factor = str(u["code"]), _dec(u.get("factor"))
        if factor is None or code == base:
            continue
        out[code] = Unit(code, factor, u.get("gtin"))
    wanted = set(settings.units)
    return [u for u in out.values() if not wanted or u.code in wanted or u.code == base]


def variant_sku(sku: str, unit: Unit, base: str) -> str:
    return sku if unit.code == base else f"{sku}-{unit.code}"


def status_of(data: Mapping[str, Any]) -> str:
    """Medusa's status: active (or unknown) products are published, others are drafts."""
    return _STATUS.get(str(data.get("status") or "active"), "draft")


def sold_here(data: Mapping[str, Any], settings: MedusaSettings) -> bool:
    """Whether the product's ``channels`` include the system's channel (if it names one)."""
    channels = data.get("channels") or []
    return settings.channel is None or not channels or settings.channel in channels


def variant_values(data: Mapping[str, Any], unit: Unit, settings: MedusaSettings) -> dict[str, Any]:
    """A variant's fields (without id, options or inventory link) for one unit."""
    sku = str(data["sku"])
    base = str(data.get("base_uom") or "EA")
    out: dict[str, Any] = {
        "title": unit.code if unit.factor == 1 else f"{unit.code} ({unit.factor.normalize():f})",
        "sku": variant_sku(sku, unit, base),
        "barcode": unit.gtin,
        "metadata": {META_UNIT: unit.code, "crossdock_factor": f"{unit.factor.normalize():f}"},
    }
    price = _dec(data.get("list_price"))
    if price is not None:
        out["prices"] = [
            {"currency_code": settings.currency.lower(), "amount": price * unit.factor}
        ]
    weight = _dec((data.get("weight") or {}).get("value"))
    if weight is not None:
        out["weight"] = weight * unit.factor
    dims = data.get("dimensions") or {}
    for name in ("length", "width", "height"):
        if unit.factor == 1 and dims.get(name) is not None:
            out[name] = _dec(dims[name])
    return out


def product_values(
    entity_id: str, data: Mapping[str, Any], settings: MedusaSettings
) -> dict[str, Any]:
    """The product's own fields (create and update alike)."""
    sku = str(data["sku"])
    return {
        "title": str(data.get("description") or sku),
        "description": data.get("long_description") or data.get("description"),
        "handle": handle_for(sku),
        "status": status_of(data),
        "external_id": entity_id,
        "metadata": {META_ID: entity_id, "sku": sku},
    }


def create_payload(
    entity_id: str,
    data: Mapping[str, Any],
    settings: MedusaSettings,
    inventory_item_id: str,
    sales_channel_id: str | None,
) -> dict[str, Any]:
    """``POST /admin/products`` body: the product, its unit option and one variant per unit."""
    units = units_of(data, settings)
    body = product_values(entity_id, data, settings)
    body["options"] = [{"title": UNIT_OPTION, "values": [u.code for u in units]}]
    body["variants"] = [
        {
            **variant_values(data, u, settings),
            "options": {UNIT_OPTION: u.code},
            "manage_inventory": True,
            "inventory_items": [
                {"inventory_item_id": inventory_item_id, "required_quantity": u.factor}
            ],
        }
        for u in units
    ]
    if sales_channel_id:
        body["sales_channels"] = [{"id": sales_channel_id}]
    return body


def wanted_view(data: Mapping[str, Any], settings: MedusaSettings) -> dict[str, Any]:
    """What Medusa should show for a canonical product (see :func:`product_view`)."""
    sku = str(data["sku"])
    variants = {}
    for u in units_of(data, settings):
        v = variant_values(data, u, settings)
        prices = v.get("prices") or []
        variants[v["sku"]] = {
            "unit": u.code,
            "barcode": v["barcode"],
            "price": prices[0]["amount"] if prices else None,
        }
    return {
        "handle": handle_for(sku),
        "title": str(data.get("description") or sku),
        "status": status_of(data),
        "variants": variants,
    }


def product_view(product: Mapping[str, Any], currency: str) -> dict[str, Any]:
    """A Medusa product (with ``variants.prices``) in :func:`wanted_view`'s shape."""
    variants = {}
    for v in product.get("variants") or []:
        price = next(
            (
                Decimal(str(p["amount"]))
                for p in v.get("prices") or []
                if p.get("currency_code") == currency.lower() and not p.get("price_rules")
            ),
            None,
        )
        variants[v["sku"]] = {
            "unit": (v.get("metadata") or {}).get(META_UNIT),
            "barcode": v.get("barcode"),
            "price": price,
        }
    return {
        "handle": product.get("handle"),
        "title": product.get("title"),
        "status": product.get("status"),
        "variants": variants,
    }


def stocked_quantity(data: Mapping[str, Any], settings: MedusaSettings) -> int:
    """The quantity Medusa may sell at a location: the channel's ATP (whole base units, ≥ 0)."""
    by_channel = data.get("available_by_channel") or {}
    value = by_channel.get(settings.stock_channel)
    if value is None:
        value = data.get("available")
    if value is None:
        value = data.get("on_hand") or 0
    return max(0, int(Decimal(str(value))))


__all__ = [
    "META_ID",
    "META_UNIT",
    "UNIT_OPTION",
    "Unit",
    "create_payload",
    "handle_for",
    "product_values",
    "product_view",
    "sold_here",
    "status_of",
    "stocked_quantity",
    "units_of",
    "variant_sku",
    "variant_values",
    "wanted_view",
]
