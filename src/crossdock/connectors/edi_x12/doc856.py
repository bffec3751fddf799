"""856 Ship Notice/Manifest out from a shipment, and read back.

Hierarchy (BSN05 ``0001``): one shipment level (HL03 ``S``: carrier in TD503
as its SCAC with TD502 ``2``, the service in TD505, each tracking number a
REF ``CN``, ship-to and ship-from as N1 ``ST``/``SF`` with qualifier ``92``),
one order level (``O``: PRF01 the order number), a pack level (``P``) per
carton the shipment names (MAN ``GM`` with its SSCC-18) and an item level
(``I``: LIN with the order line number in LIN01 and the part numbers, SN1
with quantity and unit) under its carton, or under the order when the line
names none. The shipped time is DTM ``011`` (to the minute, UTC).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from crossdock.connectors.edi_x12.envelope import TransactionSet
from crossdock.connectors.edi_x12.outfmt import PartnerCodes, el, from_d8, r
from crossdock.connectors.edi_x12.writer import Fields
from crossdock.model.shipment import ShipmentLine


def _when(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value.astimezone(UTC)
    if isinstance(value, str):
        return datetime.fromisoformat(value).astimezone(UTC)
    return None


def body(data: Mapping[str, Any], codes: PartnerCodes, now: datetime) -> list[Fields]:
    """The segments between ST and SE for a canonical shipment's values."""
    shipped = _when(data.get("shipped_at")) or now.astimezone(UTC)
    stamp = [shipped.strftime("%Y%m%d"), shipped.strftime("%H%M")]
    out: list[Fields] = [
        ["BSN", "00", str(data["shipment_number"]), *stamp, "0001"],
        ["DTM", "011", *stamp],
        ["HL", "1", "", "S"],
    ]
    if data.get("carrier") or data.get("service"):
        carrier = str(data.get("carrier") or "")
        out.append(["TD5", "", "2" if carrier else "", carrier, "", str(data.get("service") or "")])
    out += [["REF", "CN", str(t)] for t in data.get("tracking_numbers") or []]
    for role, key in (("ST", "ship_to"), ("SF", "ship_from")):
        if data.get(key):
            out.append(["N1", role, "", "92", str(data[key])])
    out += [
        ["HL", "2", "1", "O"],
        ["PRF", str(data.get("order_number") or data["shipment_number"])],
    ]
    lines = [ShipmentLine.model_validate(x) for x in data.get("lines") or []]
    hl = 2
    packs: dict[str | None, str] = {None: "2"}
    items = 0
    # Cartons in the order their first line names them; the lines of a carton under it.
    for sscc in dict.fromkeys(line.sscc for line in lines if line.sscc):
        hl += 1
        packs[sscc] = str(hl)
        out += [["HL", str(hl), "2", "P"], ["MAN", "GM", sscc]]
        for line in (x for x in lines if x.sscc == sscc):
            hl += 1
            items += 1
            out += _item(hl, packs[sscc], line, codes)
    for line in (x for x in lines if x.sscc is None):
        hl += 1
        items += 1
        out += _item(hl, "2", line, codes)
    out.append(["CTT", str(items)])
    return out


def _item(hl: int, parent: str, line: ShipmentLine, codes: PartnerCodes) -> list[Fields]:
    lin = ["LIN", str(line.order_line_number or ""), *codes.ids(line.sku)]
    if line.lot:
        lin += ["LT", line.lot]
    return [
        ["HL", str(hl), parent, "I"],
        lin,
        ["SN1", "", r(line.quantity), codes.unit(line.unit)],
    ]


def read(tset: TransactionSet, codes: PartnerCodes) -> dict[str, Any]:
    """The shipment values a validated 856 states, in the canonical shape."""
    segs = tset.segments
    bsn = next(s for s in segs if s[0] == "BSN")
    out: dict[str, Any] = {
        "shipment_number": el(bsn, 2),
        "carrier": None,
        "service": None,
        "tracking_numbers": [],
        "lines": [],
    }
    day = from_d8(el(bsn, 3))
    assert day is not None  # validated: BSN03 is a mandatory DT
    t = el(bsn, 4)
    out["shipped_at"] = datetime(day.year, day.month, day.day, int(t[:2]), int(t[2:4]), tzinfo=UTC)
    ssccs: dict[str, str] = {}  # pack HL id -> its SSCC
    hl: list[str] = []
    lin: list[str] | None = None
    for seg in segs:
        sid = seg[0]
        if sid == "HL":
            hl = seg
        elif sid == "TD5":
            out["carrier"] = el(seg, 3) or None
            out["service"] = el(seg, 5) or None
        elif sid == "REF" and el(seg, 1) == "CN":
            out["tracking_numbers"].append(el(seg, 2))
        elif sid == "N1" and el(seg, 1) in ("ST", "SF"):
            out["ship_to" if el(seg, 1) == "ST" else "ship_from"] = el(seg, 4)
        elif sid == "PRF":
            out["order_number"] = el(seg, 1)
        elif sid == "MAN" and el(seg, 1) == "GM" and el(hl, 3) == "P":
            ssccs[el(hl, 1)] = el(seg, 2)
        elif sid == "LIN":
            lin = seg
        elif sid == "SN1" and lin is not None:
            out["lines"].append(_line(lin, seg, ssccs.get(el(hl, 2)), codes))
            lin = None
    return out


def _line(lin: list[str], sn1: list[str], sscc: str | None, codes: PartnerCodes) -> dict[str, Any]:
    pairs = {el(lin, i): el(lin, i + 1) for i in range(2, len(lin), 2)}
    return {
        "order_line_number": int(el(lin, 1)) if el(lin, 1) else None,
        "sku": codes.sku(lin, 2),
        "quantity": Decimal(el(sn1, 2)),
        "unit": codes.hub_unit(el(sn1, 3)),
        "lot": pairs.get("LT"),
        "sscc": sscc,
    }


__all__ = ["body", "read"]
