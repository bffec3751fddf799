"""Tryton records ↔ canonical records.

Inbound (Tryton rows → partial canonical data, as :class:`Change` objects):

* ``party.party`` with its addresses and contact mechanisms → ``customer``:
  ``code`` is the account number, each address a site (``addr-<id>``; its
  ``delivery``/``invoice`` flags are the ship-to/bill-to roles), the customer
  payment term's name, the credit limit, e-mail and phone contacts.
* ``product.product`` with its template → ``product``: ``code`` is the SKU,
  the template's unit the base unit, its sale unit a conversion (factor from
  Tryton's unit factors), template list price, variant cost price.
* ``product.price_list`` with its lines → ``price_list`` (the list's name is
  its code): a literal formula is a fixed price, ``unit_price * x`` or
  ``list_price * x`` a percent off the list price (``base_list: LIST``),
  ``cost_price * x`` a markup on cost; lines for one product become quantity
  breaks, in Tryton's first-match order (a line shadowed by an earlier one with
  a lower quantity is left out, as Tryton never applies it). A line the hub
  cannot express is a :class:`SourceError`.
* product quantities per warehouse → ``inventory`` (on hand; what the forecast
  is short of on hand counts as allocated). Positions carry no idempotency key
  and no read time: a position read again unchanged makes no new version, and
  40 → 30 → 40 is three versions, not a duplicate dropped.
* ``sale.sale`` pushed by the hub → ``order`` status.
* customer shipments (``stock.shipment.out``) of the hub's sales, once shipped or
  done → ``shipment``: the moves to the customer become lines (the sale line's
  sequence is the order line number), the sale's reference the order number.
* customer invoices (``account.invoice``, type out) of the hub's sales, once
  posted → ``invoice``: lines, totals, the earliest maturity as the due date,
  and ``open`` / ``partially_paid`` / ``paid`` from what is left to pay, which
  is also kept as ``amount_due`` (what credit exposure counts).

Outbound values for sales and parties are built in :mod:`.destination`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from crossdock.connectors.base import SourceError
from crossdock.connectors.tryton.config import TrytonSettings
from crossdock.errors import ErrorCode
from crossdock.model.base import EntityType
from crossdock.model.change import Change

#: The price list the hub derives from products' list prices (the base of percent-off lines).
LIST_PRICE_LIST = "LIST"
#: First line of the comment of a sale the hub created: ``crossdock:<canonical order id>``.
SALE_MARKER = "crossdock:"

_FIXED = re.compile(r"^\s*(?:Decimal\(\s*'([0-9]+(?:\.[0-9]+)?)'\s*\)|([0-9]+(?:\.[0-9]+)?))\s*$")
_FACTOR = re.compile(
    r"^\s*(unit_price|list_price|cost_price)\s*\*\s*"
    r"(?:Decimal\(\s*'([0-9]+(?:\.[0-9]+)?)'\s*\)|([0-9]+(?:\.[0-9]+)?))\s*$"
)


def number(value: Any) -> Decimal | None:
    """A Tryton number as Decimal; floats (unit factors, quantities) through their shortest text."""
    if value is None:
        return None
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        return Decimal(repr(round(value, 12))).normalize()
    return Decimal(value)


def newest(*stamps: datetime | None) -> datetime | None:
    found = [s for s in stamps if s is not None]
    return max(found) if found else None


def row_ts(row: Mapping[str, Any]) -> datetime | None:
    """When a row last changed: its write date, else its create date."""
    return newest(row.get("write_date"), row.get("create_date"))


def _plain(value: Decimal) -> str:
    text = format(value, "f")
    return text


def _change(
    system: str,
    entity_type: EntityType,
    native_id: str,
    data: dict[str, Any],
    ts: datetime | None,
    ref: str,
) -> Change:
    key = f"{entity_type.value}:{native_id}:{ts.isoformat() if ts else 'none'}"
    kwargs: dict[str, Any] = {"source_ts": ts} if ts is not None else {}
    return Change(
        system=system,
        entity_type=entity_type,
        native_id=native_id,
        data=data,
        idempotency_key=key,
        ref=ref,
        **kwargs,
    )


# -- customers -----------------------------------------------------------------------------
def site_code(address_id: int) -> str:
    return f"addr-{address_id}"


def address_id_of(code: str | None) -> int | None:
    if code and code.startswith("addr-") and code[5:].isdigit():
        return int(code[5:])
    return None


def _address(addr: Mapping[str, Any], countries: Mapping[int, str]) -> dict[str, Any]:
    street = (addr.get("street") or "").splitlines()
    out: dict[str, Any] = {
        "line1": street[0] if street else None,
        "line2": " ".join(street[1:]) or None,
        "city": addr.get("city") or None,
        "postal_code": addr.get("postal_code") or None,
        "country": countries.get(addr["country"]) if addr.get("country") else None,
    }
    return {k: v for k, v in out.items() if v is not None}


def customer_change(
    system: str,
    settings: TrytonSettings,
    party: Mapping[str, Any],
    addresses: Iterable[Mapping[str, Any]],
    mechanisms: Iterable[Mapping[str, Any]],
    *,
    countries: Mapping[int, str],
    terms: Mapping[int, str],
    price_lists: Mapping[int, str],
    ts: datetime | None,
) -> Change | SourceError:
    pid = str(party["id"])
    code = (party.get("code") or "").strip()
    if not code:
        return SourceError(
            system=system,
            reason=f"party {party.get('name')!r} has no code; the code is its account number",
            code=ErrorCode.VALIDATION_FAILED,
            ref=f"tryton:party.party/{pid}",
            field="code",
            entity_type=EntityType.CUSTOMER,
            native_id=pid,
        )
    sites: list[dict[str, Any]] = []
    for addr in addresses:
        if not addr.get("active", True):
            continue
        roles = [
            r for r, flag in (("ship_to", "delivery"), ("bill_to", "invoice")) if addr.get(flag)
        ]
        site: dict[str, Any] = {
            "code": site_code(int(addr["id"])),
            "roles": roles or ["sold_to"],
        }
        if addr.get("party_name"):
            site["name"] = addr["party_name"]
        where = _address(addr, countries)
        if where:
            site["address"] = where
        sites.append(site)
    if sites:
        sites[0]["default"] = True
    contacts: list[dict[str, Any]] = []
    for mech in mechanisms:
        if not mech.get("active", True) or not mech.get("value"):
            continue
        kind = mech.get("type")
        if kind == "email":
            contacts.append({"email": mech["value"], "name": mech.get("name") or None})
        elif kind in ("phone", "mobile"):
            contacts.append({"phone": mech["value"], "name": mech.get("name") or None})
    data: dict[str, Any] = {
        "account_number": code,
        "name": party.get("name"),
        "status": "active" if party.get("active", True) else "inactive",
        "currency": settings.currency,
        "sites": sites,
        "contacts": [{k: v for k, v in c.items() if v is not None} for c in contacts],
        "payment_terms": terms.get(party["customer_payment_term"])
        if party.get("customer_payment_term")
        else None,
        "credit_limit": _plain(number(party["credit_limit_amount"]))  # type: ignore[arg-type]
        if party.get("credit_limit_amount") is not None
        else None,
        "price_lists": [price_lists[party["sale_price_list"]]]
        if party.get("sale_price_list") in price_lists
        else [],
    }
    return _change(system, EntityType.CUSTOMER, pid, data, ts, f"tryton:party.party/{pid}")


# -- products ------------------------------------------------------------------------------
def product_change(
    system: str,
    settings: TrytonSettings,
    product: Mapping[str, Any],
    template: Mapping[str, Any],
    uoms: Mapping[int, Mapping[str, Any]],
    *,
    ts: datetime | None,
) -> Change | SourceError:
    pid = str(product["id"])
    sku = (product.get("code") or "").strip()
    ref = f"tryton:product.product/{pid}"
    if not sku:
        return SourceError(
            system=system,
            reason=f"product {template.get('name')!r} has no code (template code + suffix); "
            "the code is its SKU",
            code=ErrorCode.VALIDATION_FAILED,
            ref=ref,
            field="code",
            entity_type=EntityType.PRODUCT,
            native_id=pid,
        )
    base = uoms[template["default_uom"]]
    base_code = settings.unit_code(base["symbol"])
    units: list[dict[str, Any]] = []
    for key in ("sale_uom",):
        uid = template.get(key)
        if not uid or uid == template["default_uom"] or uid not in uoms:
            continue
        uom = uoms[uid]
        code = settings.unit_code(uom["symbol"])
        if uom.get("category") != base.get("category") or any(u["code"] == code for u in units):
            continue
        factor = number(uom["factor"]) / number(base["factor"])  # type: ignore[operator]
        units.append({"code": code, "factor": _plain(factor)})
    active = product.get("active", True) and template.get("active", True)
    data: dict[str, Any] = {
        "sku": sku,
        "description": template.get("name"),
        "base_uom": base_code,
        "units": units,
        "status": "active" if active else "inactive",
        "currency": settings.currency,
        "list_price": _plain(template["list_price"])
        if template.get("list_price") is not None
        else None,
        "cost": _plain(product["cost_price"]) if product.get("cost_price") is not None else None,
    }
    return _change(system, EntityType.PRODUCT, pid, data, ts, ref)


# -- price lists ---------------------------------------------------------------------------
def _formula(formula: str) -> tuple[str, Decimal] | None:
    m = _FIXED.match(formula or "")
    if m:
        return "fixed", Decimal(m.group(1) or m.group(2))
    m = _FACTOR.match(formula or "")
    if m:
        factor = Decimal(m.group(2) or m.group(3))
        if m.group(1) == "cost_price":
            return "markup_on_cost", (factor - 1) * 100
        return "percent_off", (1 - factor) * 100
    return None


def price_list_change(
    system: str,
    settings: TrytonSettings,
    price_list: Mapping[str, Any],
    lines: Iterable[Mapping[str, Any]],
    *,
    skus: Mapping[int, str],
    categories: Mapping[int, str],
    ts: datetime | None,
) -> list[Change | SourceError]:
    plid = str(price_list["id"])
    ref = f"tryton:product.price_list/{plid}"
    out: list[Change | SourceError] = []
    entries: dict[tuple[str, str, str], dict[str, Any]] = {}
    # Tryton takes the first line (sequence, nulls first, then id) whose quantity the
    # ordered quantity reaches; a line after one for the same target with a quantity at or
    # below its own never applies, and is left out.
    reach: dict[tuple[str, str], Decimal] = {}
    order = sorted(
        lines, key=lambda r: (r.get("sequence") is not None, r.get("sequence") or 0, r["id"])
    )
    for line in order:
        target: tuple[str, str] | None = None
        if line.get("product") and line["product"] in skus:
            target = ("sku", skus[line["product"]])
        elif line.get("category") and line["category"] in categories:
            target = ("category", categories[line["category"]])
        parsed = _formula(line.get("formula") or "")
        problem = None
        if target is None:
            problem = "applies to every product; the hub prices by product or category"
        elif parsed is None:
            problem = f"formula {line.get('formula')!r} is not a fixed price or a factor"
        if problem is not None or target is None or parsed is None:
            out.append(
                SourceError(
                    system=system,
                    reason=f"price list {price_list.get('name')!r} line {line['id']}: {problem}; "
                    "the line was left out of the list",
                    code=ErrorCode.UNMAPPED_VALUE,
                    ref=f"tryton:product.price_list.line/{line['id']}",
                    field="formula",
                    entity_type=EntityType.PRICE_LIST,
                    native_id=plid,
                    raw={"formula": line.get("formula"), "line": line["id"]},
                )
            )
            continue
        method, value = parsed
        raw_qty = number(line.get("quantity")) or Decimal(0)
        if target in reach and reach[target] <= raw_qty:
            continue  # shadowed by an earlier line
        reach[target] = raw_qty
        key = (target[0], target[1], method)
        entry = entries.setdefault(key, {target[0]: target[1], "method": method, "breaks": []})
        if method == "percent_off":
            entry["base_list"] = LIST_PRICE_LIST
        qty = raw_qty if raw_qty > 0 else Decimal(1)
        if all(Decimal(b["min_quantity"]) != qty for b in entry["breaks"]):
            entry["breaks"].append({"min_quantity": _plain(qty), "value": _plain(value)})
    for entry in entries.values():
        entry["breaks"].sort(key=lambda b: Decimal(b["min_quantity"]))
    name = price_list.get("name") or f"price list {plid}"
    data = {
        "code": name,
        "name": name,
        "currency": settings.currency,
        "entries": list(entries.values()),
    }
    out.insert(0, _change(system, EntityType.PRICE_LIST, plid, data, ts, ref))
    return out


# -- stock ---------------------------------------------------------------------------------
def inventory_change(
    system: str,
    *,
    product_id: int,
    sku: str,
    unit: str,
    warehouse_id: int,
    location: str,
    quantity: Any,
    forecast: Any,
    as_of: datetime,
) -> Change:
    on_hand = number(quantity) or Decimal(0)
    fc = number(forecast)
    allocated = max(Decimal(0), on_hand - fc) if fc is not None else Decimal(0)
    native = f"{product_id}@{warehouse_id}"
    data = {
        "sku": sku,
        "location": location,
        "unit": unit,
        "on_hand": _plain(on_hand),
        "allocated": _plain(allocated),
    }
    return Change(
        system=system,
        entity_type=EntityType.INVENTORY,
        native_id=native,
        data=data,
        source_ts=as_of,
        ref=f"tryton:stock/{native}",
    )


# -- sales ---------------------------------------------------------------------------------
def order_status(sale: Mapping[str, Any]) -> str:
    """The hub's order status for a Tryton sale's state and shipment/invoice states."""
    state = sale.get("state")
    shipment = sale.get("shipment_state")
    invoice = sale.get("invoice_state")
    if state == "cancelled":
        return "cancelled"
    if state == "done":
        return "closed"
    if state == "draft":
        return "draft"
    if state == "quotation":
        return "submitted"
    if shipment == "sent":
        return "invoiced" if invoice == "paid" else "shipped"
    if shipment == "partially shipped":
        return "partially_shipped"
    return "confirmed"


def order_change(system: str, sale: Mapping[str, Any], ts: datetime | None) -> Change:
    sid = str(sale["id"])
    data: dict[str, Any] = {"order_number": sale.get("reference") or sale.get("number") or sid}
    data["status"] = order_status(sale)
    key = f"order:{sid}:{data['status']}:{ts.isoformat() if ts else 'none'}"
    kwargs: dict[str, Any] = {"source_ts": ts} if ts is not None else {}
    return Change(
        system=system,
        entity_type=EntityType.ORDER,
        native_id=sid,
        data=data,
        idempotency_key=key,
        ref=f"tryton:sale.sale/{sid}",
        **kwargs,
    )


# -- shipments and invoices ----------------------------------------------------------------
SHIPPED_STATES = ("shipped", "done")
"""Customer shipment states in which the goods have left (earlier ones may still change)."""
INVOICE_STATES = ("posted", "paid")
"""Customer invoice states the hub takes: posted (owed) and paid."""


def shipment_change(
    system: str,
    shipment: Mapping[str, Any],
    moves: Iterable[Mapping[str, Any]],
    *,
    order_number: str,
    skus: Mapping[int, str],
    units: Mapping[int, str],
    line_numbers: Mapping[int, int],
    location: str | None,
    ts: datetime | None,
) -> Change:
    """A customer shipment of one hub sale as a canonical ``shipment``.

    ``line_numbers`` maps a sale line id to its sequence (the order line number);
    ``skus`` and ``units`` map product and unit ids to the hub's codes.
    """
    lines: list[dict[str, Any]] = []
    for m in moves:
        if m.get("state") == "cancelled" or not number(m.get("quantity")):
            continue
        line: dict[str, Any] = {
            "sku": skus.get(m["product"], str(m["product"])),
            "quantity": _plain(number(m["quantity"])),  # type: ignore[arg-type]
            "unit": units.get(m["unit"]) if m.get("unit") else None,
        }
        origin = m.get("origin") or ""
        if origin.startswith("sale.line,"):
            seq = line_numbers.get(int(origin.split(",")[1]))
            if seq:
                line["order_line_number"] = seq
        lines.append({k: v for k, v in line.items() if v is not None})
    when = shipment.get("effective_date")
    data: dict[str, Any] = {
        "shipment_number": shipment.get("number") or f"tryton-{shipment['id']}",
        "order_number": order_number,
        "status": "shipped",
        "lines": lines,
    }
    if location:
        data["ship_from"] = location
    if shipment.get("delivery_address"):
        data["ship_to"] = site_code(int(shipment["delivery_address"]))
    if when is not None:
        data["shipped_at"] = datetime(when.year, when.month, when.day).isoformat() + "Z"
    carrier = shipment.get("carrier_name") or shipment.get("carrier")
    if carrier:
        data["carrier"] = str(carrier)
    if shipment.get("carrier_service"):
        data["service"] = str(shipment["carrier_service"])
    tracking = shipment.get("tracking") or [
        t for t in (shipment.get("shipping_reference"), shipment.get("tracking_number")) if t
    ]
    if tracking:
        data["tracking_numbers"] = [str(t) for t in tracking]
    sid = str(shipment["id"])
    return _change(system, EntityType.SHIPMENT, sid, data, ts, f"tryton:stock.shipment.out/{sid}")


def invoice_status(invoice: Mapping[str, Any]) -> str:
    """open, partially_paid or paid, from the invoice's state and what is left to pay."""
    if invoice.get("state") == "paid":
        return "paid"
    left = number(invoice.get("amount_to_pay"))
    total = number(invoice.get("total_amount"))
    if left is not None and total is not None and Decimal(0) < left < total:
        return "partially_paid"
    if left is not None and left <= 0 and total:
        return "paid"
    return "open"


def invoice_change(
    system: str,
    settings: TrytonSettings,
    invoice: Mapping[str, Any],
    lines: Iterable[Mapping[str, Any]],
    *,
    order_number: str,
    customer_account: str | None,
    skus: Mapping[int, str],
    units: Mapping[int, str],
    line_numbers: Mapping[int, int],
    due: Any,
    ts: datetime | None,
) -> Change:
    """A posted customer invoice of one hub sale as a canonical ``invoice``.

    An invoice line from a sale line keeps the order line number (the sale line's
    sequence); other lines (freight, a manual line) are numbered after the highest.
    """
    out: list[dict[str, Any]] = []
    taken = {n for n in line_numbers.values()}
    spare = max(taken, default=0)
    for ln in sorted(lines, key=lambda x: (x.get("sequence") or 0, x["id"])):
        if ln.get("type", "line") != "line":
            continue
        origin = ln.get("origin") or ""
        num = None
        if origin.startswith("sale.line,"):
            num = line_numbers.get(int(origin.split(",")[1]))
        if num is None or any(o["line_number"] == num for o in out):
            spare += 1
            num = spare
        qty = number(ln.get("quantity")) or Decimal(0)
        price = number(ln.get("unit_price")) or Decimal(0)
        amount = number(ln.get("amount"))
        row: dict[str, Any] = {
            "line_number": num,
            "sku": skus.get(ln["product"]) if ln.get("product") else None,
            "description": ln.get("description") or None,
            "quantity": _plain(qty),
            "unit": units.get(ln["unit"]) if ln.get("unit") else None,
            "unit_price": _plain(price),
            "extended_price": _plain(amount if amount is not None else qty * price),
        }
        out.append({k: v for k, v in row.items() if v is not None})
    data: dict[str, Any] = {
        "invoice_number": invoice.get("number") or f"tryton-{invoice['id']}",
        "order_number": order_number,
        "currency": settings.currency,
        "status": invoice_status(invoice),
        "lines": out,
        "totals": {
            "subtotal": _plain(sum((Decimal(o["extended_price"]) for o in out), Decimal(0))),
            "tax": _plain(number(invoice.get("tax_amount")) or Decimal(0)),
            "total": _plain(number(invoice.get("total_amount")) or Decimal(0)),
        },
    }
    left = number(invoice.get("amount_to_pay"))
    if data["status"] != "paid" and left is not None and left >= 0:
        data["amount_due"] = _plain(left)  # what a partial payment left owed
    if customer_account:
        data["customer_account"] = customer_account
    if invoice.get("invoice_address"):
        data["bill_to"] = site_code(int(invoice["invoice_address"]))
    if invoice.get("invoice_date") is not None:
        data["invoice_date"] = invoice["invoice_date"].isoformat()
    if due is not None:
        data["due_date"] = due.isoformat()
    iid = str(invoice["id"])
    return _change(system, EntityType.INVOICE, iid, data, ts, f"tryton:account.invoice/{iid}")


__all__ = [
    "INVOICE_STATES",
    "LIST_PRICE_LIST",
    "SALE_MARKER",
    "SHIPPED_STATES",
    "address_id_of",
    "customer_change",
    "inventory_change",
    "invoice_change",
    "invoice_status",
    "newest",
    "number",
    "order_change",
    "order_status",
    "price_list_change",
    "product_change",
    "row_ts",
    "shipment_change",
    "site_code",
]
