"""810 Invoice out from an invoice, and read back.

BIG01 the invoice date, BIG02 its number, BIG04 the order number; CUR ``SE``
the currency; N1 ``BT`` (qualifier ``92``) the bill-to site; ITD06 (terms
net due date) the due date; an IT1 per line (quantity, unit, unit price, part numbers; IT101
the line number); TDS01 the total in cents (the invoice's stated total, else
the sum of the lines' extended prices).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from crossdock.connectors.edi_x12.envelope import TransactionSet
from crossdock.connectors.edi_x12.outfmt import PartnerCodes, d8, el, from_d8, from_n2, n2, r
from crossdock.connectors.edi_x12.writer import Fields
from crossdock.model.invoice import InvoiceLine


def total(data: Mapping[str, Any]) -> Decimal:
    stated = (data.get("totals") or {}).get("total")
    if stated is not None:
        return Decimal(str(stated))
    lines = [InvoiceLine.model_validate(x) for x in data.get("lines") or []]
    return sum((x.extended_price + (x.tax or 0) for x in lines), Decimal(0))


def body(data: Mapping[str, Any], codes: PartnerCodes, today: date) -> list[Fields]:
    invoiced = data.get("invoice_date")
    when = date.fromisoformat(invoiced) if isinstance(invoiced, str) else today
    out: list[Fields] = [
        ["BIG", d8(when), str(data["invoice_number"]), "", str(data.get("order_number") or "")]
    ]
    if data.get("currency"):
        out.append(["CUR", "SE", str(data["currency"])])
    if data.get("bill_to"):
        out.append(["N1", "BT", "", "92", str(data["bill_to"])])
    if isinstance(data.get("due_date"), str):  # ITD06: terms net due date
        out.append(["ITD", "", "", "", "", "", d8(date.fromisoformat(data["due_date"]))])
    lines = [InvoiceLine.model_validate(x) for x in data.get("lines") or []]
    for line in lines:
        ids = codes.ids(line.sku) if line.sku else []
        out.append(
            [
                "IT1",
                str(line.line_number),
                r(line.quantity),
                codes.unit(line.unit),
                r(line.unit_price),
                "",
                *ids,
            ]
        )
    out.append(["TDS", n2(total(data))])
    out.append(["CTT", str(len(lines))])
    return out


def read(tset: TransactionSet, codes: PartnerCodes) -> dict[str, Any]:
    """The invoice values a validated 810 states, in the canonical shape."""
    out: dict[str, Any] = {"lines": []}
    for seg in tset.segments:
        sid = seg[0]
        if sid == "BIG":
            out["invoice_date"] = from_d8(el(seg, 1))
            out["invoice_number"] = el(seg, 2)
            out["order_number"] = el(seg, 4) or None
        elif sid == "CUR":
            out["currency"] = el(seg, 2)
        elif sid == "N1" and el(seg, 1) == "BT":
            out["bill_to"] = el(seg, 4)
        elif sid == "ITD" and el(seg, 6):
            out["due_date"] = from_d8(el(seg, 6))
        elif sid == "IT1":
            out["lines"].append(
                {
                    "line_number": int(el(seg, 1)),
                    "sku": codes.sku(seg, 6) or None,
                    "quantity": Decimal(el(seg, 2)),
                    "unit": codes.hub_unit(el(seg, 3)),
                    "unit_price": Decimal(el(seg, 4)),
                }
            )
        elif sid == "TDS":
            out["total"] = from_n2(el(seg, 1))
    return out


__all__ = ["body", "read", "total"]
