"""855 Purchase Order Acknowledgment out: the order's decision per line, and read back.

One PO1 per order line echoes what the partner ordered (quantity, unit, the
hub's price, its part numbers) and one ACK says what became of it (ACK01,
004010 code 668): ``IA`` accepted, ``IQ`` quantity changed (ACK02 the new
quantity), ``IP`` price changed (PO104 carries the hub's price), ``IB``
backordered (ACK04 ``068`` current schedule ship, ACK05 the date), ``IR``
rejected (ACK02 zero). BAK02 sums it up: ``AD`` all accepted as ordered,
``RJ`` all rejected, ``AC`` otherwise.

The decision comes from the order service's own record of the order
(:func:`from_decision`): a line repriced by the price rule (its price differs
from the channel's) is ``IP``; the part of a line promised for a later date
is an ``IB`` ACK with that date, after an ``IA``/``IP`` ACK for the rest (a
PO1 carries several ACKs then); a rejected or cancelled order's lines are
``IR``. An order the service does not hold (published by another system) is
read from the canonical record (:func:`from_order`): ``IB`` for a backordered
line, ``IR`` for a cancelled one or any line of a cancelled order, else ``IA``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from crossdock.connectors.edi_x12.envelope import TransactionSet
from crossdock.connectors.edi_x12.outfmt import PartnerCodes, d8, dec, el, from_d8, r
from crossdock.connectors.edi_x12.writer import Fields
from crossdock.model.order import OrderLine, OrderLineStatus
from crossdock.store.order_rows import LineRow, OrderRow, OrderState

_REFUSED = frozenset({OrderState.REJECTED, OrderState.CANCELLED})


class LineAck(StrEnum):
    ACCEPTED = "IA"
    QUANTITY_CHANGED = "IQ"
    PRICE_CHANGED = "IP"
    BACKORDERED = "IB"
    REJECTED = "IR"


@dataclass(frozen=True, slots=True)
class AckLine:
    line_number: int
    sku: str
    ordered: Decimal
    unit: str | None
    unit_price: Decimal | None
    status: LineAck
    quantity: Decimal
    ship_date: date | None = None


@dataclass(frozen=True, slots=True)
class Acknowledgment:
    po_number: str
    order_number: str
    po_date: date
    currency: str | None
    lines: tuple[AckLine, ...]


def from_order(data: Mapping[str, Any], today: date) -> Acknowledgment:
    """The decision the hub's order record states (see the module docstring)."""
    lines = []
    withdrawn = data.get("status") == "cancelled"
    for raw in data.get("lines") or []:
        line = OrderLine.model_validate(raw)
        status, qty, when = LineAck.ACCEPTED, line.quantity, None
        if withdrawn:
            status, qty = LineAck.REJECTED, Decimal(0)
        elif line.status is OrderLineStatus.BACKORDERED:
            status, when = LineAck.BACKORDERED, line.requested_date
        elif line.status is OrderLineStatus.CANCELLED:
            status, qty = LineAck.REJECTED, Decimal(0)
        lines.append(
            AckLine(
                line.line_number,
                line.sku,
                line.quantity,
                line.unit,
                line.unit_price,
                status,
                qty,
                when,
            )
        )
    ordered_at = data.get("order_date")
    po_date = datetime.fromisoformat(ordered_at).date() if isinstance(ordered_at, str) else today
    number = str(data["order_number"])
    return Acknowledgment(
        str(data.get("customer_po") or number),
        number,
        po_date,
        data.get("currency"),
        tuple(lines),
    )


def from_decision(order: OrderRow, lines: Sequence[LineRow]) -> Acknowledgment:
    """The order service's decision per line (see the module docstring)."""
    out: list[AckLine] = []
    for ln in sorted(lines, key=lambda x: x.line_number):

        def ack(status: LineAck, qty: Decimal, when: date | None = None, ln: LineRow = ln) -> None:
            out.append(
                AckLine(
                    ln.line_number, ln.sku, ln.quantity, ln.unit, ln.unit_price, status, qty, when
                )
            )

        if order.status in _REFUSED:
            ack(LineAck.REJECTED, Decimal(0))
            continue
        repriced = ln.channel_price is not None and ln.unit_price != ln.channel_price
        taken = LineAck.PRICE_CHANGED if repriced else LineAck.ACCEPTED
        later = Decimal(0)
        if ln.backordered > 0 and ln.base_quantity > 0:
            later = min(ln.quantity, ln.backordered * ln.quantity / ln.base_quantity)
        if later < ln.quantity:
            ack(taken, ln.quantity - later)
        if later > 0:
            ack(LineAck.BACKORDERED, later, ln.promise_date)
    po_date = order.created_at.date()
    return Acknowledgment(
        order.customer_po or order.order_number,
        order.order_number,
        po_date,
        order.currency,
        tuple(out),
    )


def _summary(lines: Sequence[AckLine]) -> str:
    if lines and all(a.status is LineAck.REJECTED for a in lines):
        return "RJ"
    if all(a.status is LineAck.ACCEPTED for a in lines):
        return "AD"
    return "AC"


ORIGINAL = "00"
REPLACE = "05"
"""BAK01 (353): the first acknowledgment of an order, and one that replaces it whole."""


def body(ack: Acknowledgment, codes: PartnerCodes, purpose: str = ORIGINAL) -> list[Fields]:
    out: list[Fields] = [
        [
            "BAK",
            purpose,
            _summary(ack.lines),
            ack.po_number,
            d8(ack.po_date),
            "",
            "",
            "",
            ack.order_number,
        ],
    ]
    if ack.currency:
        out.append(["CUR", "SE", ack.currency])
    previous: int | None = None
    for a in ack.lines:
        unit = codes.unit(a.unit)
        price = r(a.unit_price) if a.unit_price is not None else ""
        if a.line_number != previous:  # a line split in parts: one PO1, an ACK per part
            out.append(
                ["PO1", str(a.line_number), r(a.ordered), unit, price, "", *codes.ids(a.sku)]
            )
        previous = a.line_number
        ackseg = ["ACK", a.status.value, r(a.quantity), unit]
        if a.ship_date is not None:
            ackseg += ["068", d8(a.ship_date)]
        out.append(ackseg)
    out.append(["CTT", str(len(ack.lines))])
    return out


def read(tset: TransactionSet, codes: PartnerCodes) -> Acknowledgment:
    """The acknowledgment a validated 855 states (the round trip's other half)."""
    bak = next(s for s in tset.segments if s[0] == "BAK")
    currency = next((el(s, 2) for s in tset.segments if s[0] == "CUR"), None)
    lines: list[AckLine] = []
    po1: list[str] | None = None
    for seg in tset.segments:
        if seg[0] == "PO1":
            po1 = seg
        elif seg[0] == "ACK" and po1 is not None:
            unit = el(po1, 3)
            lines.append(
                AckLine(
                    int(el(po1, 1)),
                    codes.sku(po1, 6),
                    Decimal(el(po1, 2)),
                    codes.hub_unit(unit) if unit else None,
                    dec(el(po1, 4)),
                    LineAck(el(seg, 1)),
                    Decimal(el(seg, 2)),
                    from_d8(el(seg, 5)),
                )
            )
    po_date = from_d8(el(bak, 4))
    assert po_date is not None  # validated: BAK04 is a mandatory DT
    return Acknowledgment(el(bak, 3), el(bak, 8), po_date, currency, tuple(lines))


__all__ = [
    "ORIGINAL",
    "REPLACE",
    "AckLine",
    "Acknowledgment",
    "LineAck",
    "body",
    "from_order",
    "read",
]
