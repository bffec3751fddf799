"""The 860 purchase order change read into plain values (no store involved).

What the hub reads: BCH (purpose ``01`` cancel the whole order, ``04``
change, ``05`` replace; the PO number), and per POC loop the line number it
changes (POC01), the change type (POC02), the new ordered quantity (POC03),
unit (POC05), price (POC06) and product ids (POC08 onwards, qualifier/value
pairs). Every value keeps its segment position so a refusal names the segment
and element.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from crossdock.connectors.edi_x12.envelope import TransactionSet
from crossdock.connectors.edi_x12.po850 import ProductId, _date, _decimal, _el

_ID_ELEMENTS = {i: f"POC{i:02d}" for i in range(9, 16, 2)}


@dataclass(frozen=True, slots=True)
class PocLine:
    position: int
    """The POC segment's position in the set (ST is 1)."""
    number: str
    change: str
    """POC02: AI add, DI delete, QD/QI quantity down/up, PC price, CA/RZ change values."""
    quantity: Decimal | None
    unit: str
    price: Decimal | None
    ids: tuple[ProductId, ...]


@dataclass(slots=True)
class PoChange:
    purpose: str
    number: str
    change_date: date | None
    sequence: str = ""
    lines: list[PocLine] = field(default_factory=list)
    control: str = ""


def read_860(tset: TransactionSet) -> PoChange:
    """The values of a validated 860 (validation has checked types and mandatory elements)."""
    segs = tset.segments
    bch = next(s for s in segs if s[0] == "BCH")
    out = PoChange(_el(bch, 1), _el(bch, 3), _date(_el(bch, 6)), _el(bch, 5))
    out.control = tset.control
    for pos, seg in enumerate(segs, start=1):
        if seg[0] != "POC":
            continue
        n = len(seg)
        ids = tuple(
            ProductId(seg[i], seg[i + 1], _ID_ELEMENTS[i + 1])
            for i in range(8, n - 1, 2)
            if seg[i] and seg[i + 1]
        )
        out.lines.append(
            PocLine(
                position=pos,
                number=_el(seg, 1),
                change=_el(seg, 2),
                quantity=_decimal(_el(seg, 3)),
                unit=_el(seg, 5),
                price=_decimal(_el(seg, 6)),
                ids=ids,
            )
        )
    return out


__all__ = ["PoChange", "PocLine", "read_860"]
