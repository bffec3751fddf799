"""850 -> the canonical order: product ids, units and ship-to resolved the partner's way.

The customer is the partner's account (``customer``); the ship-to is the
site whose code the ``ship_to`` template makes of the N1*ST identification
code (the partner's store or DC number); each PO1 line's product is the first
of its ids, in the partner's ``items`` order, that names a hub product (see
:mod:`.config`); its unit is the partner's code through ``units``. The order
number and the customer's PO are BEG03. What cannot be resolved is a
:class:`MappingProblem` naming the segment and element; the order is then
not taken at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from crossdock.connectors.edi_x12.config import (
    GTIN_QUALIFIERS,
    PARTNER_QUALIFIERS,
    SKU_QUALIFIERS,
    EdiSettings,
)
from crossdock.connectors.edi_x12.po850 import PoLine, PurchaseOrder
from crossdock.errors import ErrorCode
from crossdock.model.order import Order, OrderLine

TAKEN_PURPOSES = {"00": "original", "05": "replace", "07": "duplicate"}
"""BEG01 codes the hub takes (a replace amends the order; a duplicate answers the same)."""


_LINE_FIELDS = {"line_number", "sku", "quantity", "unit", "unit_price", "requested_date"}
_LINE_REST: dict[str, None] = {"extended_price": None, "ship_from": None, "status": None}
"""Every other field given, so constructing asks pydantic for no default (slow per object)."""
_ORDER_FIELDS = {
    "order_number",
    "channel",
    "customer_account",
    "ship_to",
    "bill_to",
    "customer_po",
    "currency",
    "order_date",
    "requested_date",
    "lines",
}


@dataclass(frozen=True, slots=True)
class MappingProblem(Exception):
    """An 850 value the hub cannot resolve: segment, its position in the set, element, why."""

    segment_id: str
    position: int
    element: str
    reason: str
    code: ErrorCode = ErrorCode.UNMAPPED_VALUE

    def __str__(self) -> str:
        return f"{self.element} (segment {self.position}): {self.reason}"


class ProductLookup(Protocol):
    """How a partner's product id becomes a hub SKU (None: it names none)."""

    def by_sku(self, sku: str) -> str | None: ...

    def by_partner_id(self, part: str) -> str | None: ...

    def by_gtin(self, gtin: str) -> str | None: ...


def _sku(line: PoLine, settings: EdiSettings, lookup: ProductLookup) -> str:
    ids = {i.qualifier: i for i in line.ids}
    for q in settings.items:
        pid = ids.get(q)
        if pid is None:
            continue
        if q in SKU_QUALIFIERS:
            sku = lookup.by_sku(pid.value)
        elif q in PARTNER_QUALIFIERS:
            sku = lookup.by_partner_id(pid.value)
        else:
            assert q in GTIN_QUALIFIERS
            sku = lookup.by_gtin(pid.value) if pid.value.isdigit() else None
        if sku is not None:
            return sku
    named = ", ".join(f"{i.element} {i.qualifier} {i.value!r}" for i in line.ids) or "no ids"
    first = line.ids[0].element if line.ids else "PO107"
    raise MappingProblem(
        "PO1",
        line.position,
        first,
        f"line {line.number or '?'}: no hub product for {named} "
        f"(qualifiers read, in order: {', '.join(settings.items)})",
        ErrorCode.VALIDATION_FAILED,
    )


def _unit(line: PoLine, settings: EdiSettings) -> str | None:
    if not line.unit:
        return None
    if not settings.units:
        return line.unit
    unit = settings.units.get(line.unit)
    if unit is None:
        raise MappingProblem(
            "PO1",
            line.position,
            "PO103",
            f"line {line.number or '?'}: unit {line.unit!r} is not in the partner's units "
            f"({', '.join(sorted(settings.units))})",
        )
    return unit


def _site(po: PurchaseOrder, role: str, template: str | None) -> str | None:
    party = po.parties.get(role)
    if template is None or party is None or not party.code:
        return None
    return template.replace("{code}", party.code)


def to_order(po: PurchaseOrder, system: str, settings: EdiSettings, lookup: ProductLookup) -> Order:
    """The canonical order an 850 asks for; MappingProblem when a value cannot be resolved."""
    if po.purpose not in TAKEN_PURPOSES:
        raise MappingProblem(
            "BEG",
            2,
            "BEG01",
            f"purpose {po.purpose!r} is not taken (only {', '.join(TAKEN_PURPOSES)}): "
            "a cancellation or change comes by 860",
            ErrorCode.VALIDATION_FAILED,
        )
    ship_to = _site(po, "ST", settings.ship_to)
    if ship_to is None:
        party = po.parties.get("ST")
        raise MappingProblem(
            "N1",
            party.position if party else 0,
            "N104",
            "no ship-to: the order needs an N1*ST loop with the store or DC number in N104",
            ErrorCode.VALIDATION_FAILED,
        )
    lines: list[OrderLine] = []
    seen: set[int] = set()
    for n, line in enumerate(po.lines, start=1):
        if line.quantity <= 0:
            raise MappingProblem(
                "PO1",
                line.position,
                "PO102",
                f"line {line.number or '?'}: quantity must be above zero",
                ErrorCode.VALIDATION_FAILED,
            )
        if line.price is not None and line.price < 0:
            raise MappingProblem(
                "PO1",
                line.position,
                "PO104",
                f"line {line.number or '?'}: a unit price below zero",
                ErrorCode.VALIDATION_FAILED,
            )
        number = int(line.number) if line.number.isdigit() and int(line.number) > 0 else n
        if number in seen:
            raise MappingProblem(
                "PO1",
                line.position,
                "PO101",
                f"line number {number} is repeated",
                ErrorCode.VALIDATION_FAILED,
            )
        seen.add(number)
        lines.append(
            OrderLine.model_construct(
                _LINE_FIELDS,
                line_number=number,
                sku=_sku(line, settings, lookup),
                quantity=line.quantity,
                unit=_unit(line, settings),
                unit_price=line.price if settings.partner_prices else None,
                requested_date=line.requested,
                **_LINE_REST,
            )
        )
    # Built from values the grammar has checked (types, lengths, codes) and the checks
    # above; not validated again here (the measured hot path: pydantic took as long as
    # reading the whole set). The order intake validates the body it makes of it.
    order_date = (
        datetime(po.po_date.year, po.po_date.month, po.po_date.day, tzinfo=UTC)
        if po.po_date
        else None
    )
    return Order.model_construct(
        _ORDER_FIELDS,
        order_number=po.number,
        channel=system,
        customer_account=settings.customer,
        ship_to=ship_to,
        bill_to=_site(po, "BT", settings.bill_to),
        customer_po=po.number,
        currency=po.currency,
        order_date=order_date,
        requested_date=po.requested,
        lines=lines,
        sold_to=None,
        status=None,
        erp_number=None,
        shipments=[],
        totals=None,
        notes=None,
    )


__all__ = ["TAKEN_PURPOSES", "MappingProblem", "ProductLookup", "to_order"]
