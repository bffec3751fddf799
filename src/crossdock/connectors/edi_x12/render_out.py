"""The canonical values of an outbound document (855, 856, 810, 846) or a 997, for `edi show`.

Read with no partner context: unit codes and part numbers are shown as
written (the SKU is the ``VP`` id).
"""

from __future__ import annotations

from collections.abc import Callable

from crossdock.connectors.edi_x12 import ack997, doc810, doc846, doc855, doc856
from crossdock.connectors.edi_x12.envelope import TransactionSet
from crossdock.connectors.edi_x12.outfmt import PartnerCodes

_PAD = "         "


def _855(tset: TransactionSet, codes: PartnerCodes) -> list[str]:
    ack = doc855.read(tset, codes)
    out = [
        f"      => acknowledgment of PO {ack.po_number} (order {ack.order_number}) {ack.po_date}"
    ]
    for a in ack.lines:
        when = f", ships {a.ship_date}" if a.ship_date else ""
        out.append(
            f"{_PAD}line {a.line_number} {a.sku}: ordered {a.ordered} {a.unit} at "
            f"{a.unit_price}; {a.status.name.lower().replace('_', ' ')} {a.quantity}{when}"
        )
    return out


def _856(tset: TransactionSet, codes: PartnerCodes) -> list[str]:
    s = doc856.read(tset, codes)
    out = [
        f"      => shipment {s['shipment_number']} for order {s.get('order_number')} shipped "
        f"{s['shipped_at']:%Y-%m-%d %H:%M}Z by {s['carrier'] or '-'} {s['service'] or ''}",
        f"{_PAD}tracking: {', '.join(s['tracking_numbers']) or '-'}",
    ]
    for line in s["lines"]:
        carton = f" in carton {line['sscc']}" if line["sscc"] else ""
        out.append(
            f"{_PAD}line {line['order_line_number']} {line['sku']}: "
            f"{line['quantity']} {line['unit']}{carton}"
        )
    return out


def _810(tset: TransactionSet, codes: PartnerCodes) -> list[str]:
    inv = doc810.read(tset, codes)
    out = [
        f"      => invoice {inv['invoice_number']} of {inv['invoice_date']} for order "
        f"{inv.get('order_number')}, total {inv['total']} {inv.get('currency') or ''}"
    ]
    for line in inv["lines"]:
        out.append(
            f"{_PAD}line {line['line_number']} {line['sku']}: "
            f"{line['quantity']} {line['unit']} at {line['unit_price']}"
        )
    return out


def _846(tset: TransactionSet, codes: PartnerCodes) -> list[str]:
    return ["      => inventory advice"] + [
        f"{_PAD}{s.sku} at {s.location}: {s.available} {s.unit} available"
        for s in doc846.read(tset, codes)
    ]


def _997(tset: TransactionSet, codes: PartnerCodes) -> list[str]:
    ack = ack997.parse(tset)
    out = [f"      => 997 for group {ack.group_control} ({ack.functional_id}): {ack.ack.name}"]
    for s in ack.sets:
        out.append(f"{_PAD}set {s.code} {s.control}: {s.ack.name}")
    return out


READERS: dict[str, Callable[[TransactionSet, PartnerCodes], list[str]]] = {
    "855": _855,
    "856": _856,
    "810": _810,
    "846": _846,
    "997": _997,
}


def canonical(tset: TransactionSet) -> list[str]:
    """Lines showing what the set says in the hub's terms (empty for a set it does not map)."""
    reader = READERS.get(tset.code)
    return reader(tset, PartnerCodes({})) if reader else []


__all__ = ["canonical"]
