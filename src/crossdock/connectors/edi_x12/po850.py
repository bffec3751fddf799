"""The 850 purchase order read into plain values (no store involved).

What the hub reads: BEG (purpose, type, PO number, date), CUR, the
header DTM (002 delivery requested, else 010 requested ship), the N1 loops
(ST ship-to and BT bill-to by their identification code, the partner's
store or DC number), and per PO1 loop the line's number, quantity, unit,
price and product ids (qualifier/value pairs PO106/PO107 onwards) with its
own DTM. Every value keeps where it came from (segment position and
element), so a problem found later names the segment and element.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal, InvalidOperation

from crossdock.connectors.edi_x12.envelope import Segment, TransactionSet

_REQUESTED = ("002", "010")


@dataclass(frozen=True, slots=True)
class ProductId:
    qualifier: str
    value: str
    element: str
    """Where the value is: ``PO107``."""


@dataclass(frozen=True, slots=True)
class PoLine:
    position: int
    """The PO1 segment's position in the set (ST is 1)."""
    number: str
    quantity: Decimal
    unit: str
    price: Decimal | None
    ids: tuple[ProductId, ...]
    requested: date | None = None


@dataclass(frozen=True, slots=True)
class Party:
    role: str
    name: str
    qualifier: str
    code: str
    position: int


@dataclass(slots=True)
class PurchaseOrder:
    purpose: str
    po_type: str
    number: str
    po_date: date | None
    currency: str | None = None
    requested: date | None = None
    parties: dict[str, Party] = field(default_factory=dict)
    lines: list[PoLine] = field(default_factory=list)
    declared_lines: int | None = None
    control: str = ""


def _el(seg: Segment, i: int) -> str:
    return seg[i] if i < len(seg) else ""


def _date(text: str) -> date | None:
    if len(text) == 8 and text.isdigit():
        try:
            return date(int(text[:4]), int(text[4:6]), int(text[6:]))
        except ValueError:
            return None
    return None


def _decimal(text: str) -> Decimal | None:
    if not text:
        return None
    try:
        return Decimal(text)
    except InvalidOperation:
        return None


_ID_ELEMENTS = {i: f"PO1{i:02d}" for i in range(7, 26, 2)}


def read_850(tset: TransactionSet) -> PurchaseOrder:
    """The values of a validated 850 (validation has checked types and mandatory elements)."""
    segs = tset.segments
    beg = next(s for s in segs if s[0] == "BEG")
    po = PurchaseOrder(_el(beg, 1), _el(beg, 2), _el(beg, 3), _date(_el(beg, 5)))
    po.control = tset.control
    lines = po.lines
    in_line = False
    for pos, seg in enumerate(segs, start=1):
        sid = seg[0]
        if sid == "PO1":
            lines.append(_line(seg, pos))
            in_line = True
        elif sid == "DTM" and _el(seg, 1) in _REQUESTED:
            when = _date(_el(seg, 2))
            if in_line:
                if lines[-1].requested is None:
                    lines[-1] = replace(lines[-1], requested=when)
            elif po.requested is None or _el(seg, 1) == "002":
                po.requested = when
        elif in_line:
            if sid == "CTT":
                in_line = False
                count = _el(seg, 1)
                po.declared_lines = int(count) if count.isdigit() else None
        elif sid == "CUR" and _el(seg, 1) in ("BY", "SE"):
            po.currency = _el(seg, 2)
        elif sid == "N1":
            role = _el(seg, 1)
            po.parties.setdefault(role, Party(role, _el(seg, 2), _el(seg, 3), _el(seg, 4), pos))
        elif sid == "CTT":
            count = _el(seg, 1)
            po.declared_lines = int(count) if count.isdigit() else None
    return po


def _line(seg: Segment, position: int) -> PoLine:
    n = len(seg)
    ids = tuple(
        ProductId(seg[i], seg[i + 1], _ID_ELEMENTS[i + 1])
        for i in range(6, n - 1, 2)
        if seg[i] and seg[i + 1]
    )
    return PoLine(
        position=position,
        number=seg[1] if n > 1 else "",
        quantity=(_decimal(seg[2]) if n > 2 else None) or Decimal(0),
        unit=seg[3] if n > 3 else "",
        price=_decimal(seg[4]) if n > 4 else None,
        ids=ids,
    )


def _num(value: Decimal) -> str:
    """A decimal as X12 writes it (no exponent, no trailing zeros after the point)."""
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def write_850(po: PurchaseOrder) -> list[list[str]]:
    """The segments between ST and SE of an 850 saying ``po`` (the reader's inverse)."""
    when = po.po_date.strftime("%Y%m%d") if po.po_date else ""
    out: list[list[str]] = [["BEG", po.purpose, po.po_type, po.number, "", when]]
    if po.currency:
        out.append(["CUR", "BY", po.currency])
    if po.requested:
        out.append(["DTM", "002", po.requested.strftime("%Y%m%d")])
    for party in po.parties.values():
        out.append(["N1", party.role, party.name, party.qualifier, party.code])
    for line in po.lines:
        price = "" if line.price is None else _num(line.price)
        ids = [v for i in line.ids for v in (i.qualifier, i.value)]
        out.append(["PO1", line.number, _num(line.quantity), line.unit, price, "", *ids])
        if line.requested:
            out.append(["DTM", "002", line.requested.strftime("%Y%m%d")])
    out.append(["CTT", str(len(po.lines))])
    return out


__all__ = ["Party", "PoLine", "ProductId", "PurchaseOrder", "read_850", "write_850"]
