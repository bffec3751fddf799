"""Medusa → hub: a registered store customer as a canonical customer, an order as an intake body.

A customer carries what matching reads (the company, the buyer as a contact
with e-mail and phone, the address book as ship-to sites coded
``<prefix>-<Medusa address id>``), never an account number: which B2B account
the buyer belongs to is matching's answer, not the shop's.

An order becomes the body of the hub's order intake (``POST /v1/orders``):
order number = ``order_prefix`` + Medusa's display id, the customer by
Medusa's customer id (``channel_customer_id``, resolved through the
crosswalk), one line per item with the hub SKU and unit the variant was made
for (``metadata.crossdock_unit`` and the product's ``metadata.sku``, set by the
destination; else the variant SKU and the item's base unit), Medusa's unit
price, and ``metadata.customer_po`` as the PO. The ship-to is the site code
the shipping address names in ``metadata.site_code``; without one, the
address goes along for intake to match against the customer's sites.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from crossdock.connectors.base import ChannelOrder, SourceError
from crossdock.connectors.medusa.mapper import META_UNIT
from crossdock.errors import ErrorCode
from crossdock.model.base import EntityType
from crossdock.model.change import Change

CUSTOMER_FIELDS = (
    "id,email,company_name,first_name,last_name,phone,has_account,created_at,updated_at,"
    "metadata,*addresses"
)
ORDER_FIELDS = (
    "id,display_id,status,email,currency_code,customer_id,created_at,updated_at,metadata,"
    "*items,items.variant.metadata,items.variant.product.metadata,*shipping_address"
)
SITE_META = "site_code"
PO_META = "customer_po"


def parse_ts(value: object) -> datetime | None:
    """Medusa's ISO time stamps (``…Z``) as aware datetimes."""
    if not isinstance(value, str) or not value:
        return None
    ts = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return ts if ts.tzinfo else ts.replace(tzinfo=UTC)


def _text(value: object) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def _address(a: Mapping[str, Any]) -> dict[str, str | None]:
    country = _text(a.get("country_code"))
    return {
        "line1": _text(a.get("address_1")),
        "line2": _text(a.get("address_2")),
        "city": _text(a.get("city")),
        "region": _text(a.get("province")),
        "postal_code": _text(a.get("postal_code")),
        "country": country.upper() if country else None,
    }


def _person(row: Mapping[str, Any]) -> str | None:
    return (
        " ".join(p for p in (_text(row.get("first_name")), _text(row.get("last_name"))) if p)
        or None
    )


def customer_change(system: str, row: Mapping[str, Any], site_prefix: str) -> Change:
    """A registered store customer as a partial canonical customer."""
    name = _text(row.get("company_name")) or _person(row) or _text(row.get("email"))
    sites = [
        {
            "code": f"{site_prefix}-{a['id']}",
            "roles": ["ship_to", "bill_to"] if a.get("is_default_billing") else ["ship_to"],
            "name": _text(a.get("company")) or _text(a.get("address_name")),
            "address": _address(a),
            "default": bool(a.get("is_default_shipping")),
        }
        for a in row.get("addresses") or []
    ]
    contact = {
        "name": _person(row),
        "email": _text(row.get("email")),
        "phone": _text(row.get("phone")),
        "role": "buyer",
    }
    data: dict[str, Any] = {
        "name": name,
        "contacts": [{k: v for k, v in contact.items() if v is not None}],
        "sites": sites,
    }
    return Change(
        system=system,
        entity_type=EntityType.CUSTOMER,
        native_id=str(row["id"]),
        data=data,
        source_ts=parse_ts(row.get("updated_at")) or datetime.now(UTC),
        ref=f"medusa customer {row['id']}",
    )


def _line(i: int, item: Mapping[str, Any]) -> dict[str, Any]:
    variant = item.get("variant") or {}
    product = variant.get("product") or {}
    unit = (variant.get("metadata") or {}).get(META_UNIT)
    sku = (product.get("metadata") or {}).get("sku") or item.get("variant_sku")
    line: dict[str, Any] = {
        "line_number": i,
        "sku": sku,
        "quantity": str(Decimal(str(item.get("quantity")))),
        "unit_price": str(Decimal(str(item.get("unit_price")))),
    }
    if unit:
        line["unit"] = unit
    return line


def order_cancelled(system: str, row: Mapping[str, Any], prefix: str) -> ChannelOrder:
    """A Medusa order cancelled in the store: the hub cancels its order of that number."""
    native = str(row["id"])
    return ChannelOrder(
        system,
        native,
        f"medusa order {row.get('display_id')} ({native})",
        {"order_number": f"{prefix}{row.get('display_id')}"},
        cancelled=True,
    )


def order_intake(system: str, row: Mapping[str, Any], prefix: str) -> ChannelOrder | SourceError:
    """A Medusa order as the hub's intake body; an error naming the field it lacks."""
    native = str(row["id"])
    ref = f"medusa order {row.get('display_id')} ({native})"

    def bad(field: str, reason: str) -> SourceError:
        return SourceError(
            system,
            f"{field}: {reason}",
            ErrorCode.VALIDATION_FAILED,
            ref=ref,
            field=field,
            entity_type=EntityType.ORDER,
            native_id=native,
            raw=dict(row),
        )

    if row.get("display_id") is None:
        return bad("display_id", "the order has no display id")
    if not row.get("customer_id"):
        return bad("customer_id", "the order names no customer")
    items = sorted(row.get("items") or [], key=lambda it: str(it.get("id")))
    if not items:
        return bad("items", "the order has no items")
    for i, item in enumerate(items):
        if not item.get("variant_sku"):
            return bad(f"items.{i}.variant_sku", "the item's variant has no SKU")
    meta = row.get("metadata") or {}
    ship = row.get("shipping_address") or {}
    site = _text((ship.get("metadata") or {}).get(SITE_META))
    body: dict[str, Any] = {
        "order_number": f"{prefix}{row['display_id']}",
        "channel_customer_id": str(row["customer_id"]),
        "currency": str(row.get("currency_code") or "").upper() or None,
        "lines": [_line(i + 1, it) for i, it in enumerate(items)],
    }
    if site:
        body["ship_to"] = site
    if po := _text(meta.get(PO_META)):
        body["customer_po"] = po
    return ChannelOrder(
        system,
        native,
        ref,
        body,
        None if site else _address(ship),
    )


__all__ = [
    "CUSTOMER_FIELDS",
    "ORDER_FIELDS",
    "PO_META",
    "SITE_META",
    "customer_change",
    "order_cancelled",
    "order_intake",
    "parse_ts",
]
