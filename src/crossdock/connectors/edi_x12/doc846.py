"""846 Inventory Inquiry/Advice out from available-to-promise, and read back.

The figures are the availability service's: an ``inventory`` record the
publisher sends carries ``available`` and what each channel may promise
(``available_by_channel``); the partner is sent its own channel's figure when
there is one. BIA ``00``/``DD`` with a reference of the hub's choosing; one
LIN loop per item (LIN02/03 ``VP`` SKU, then ``BP`` the partner's part
number), N1 ``SF`` (qualifier ``92``) the location, and QTY ``33`` (available
for sale) with the partner's unit code in QTY03.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from crossdock.connectors.edi_x12.envelope import TransactionSet
from crossdock.connectors.edi_x12.outfmt import PartnerCodes, el, r
from crossdock.connectors.edi_x12.writer import Fields


@dataclass(frozen=True, slots=True)
class Stock:
    sku: str
    location: str
    available: Decimal
    unit: str | None


def from_record(data: Mapping[str, Any], channel: str) -> Stock | None:
    """The partner's figure of one inventory record; None when it states no ATP."""
    by_channel = data.get("available_by_channel") or {}
    figure = by_channel.get(channel, data.get("available"))
    if figure is None:
        return None
    return Stock(str(data["sku"]), str(data["location"]), Decimal(str(figure)), data.get("unit"))


def body(
    reference: str, items: Sequence[Stock], codes: PartnerCodes, now: datetime
) -> list[Fields]:
    out: list[Fields] = [
        ["BIA", "00", "DD", reference, now.strftime("%Y%m%d"), now.strftime("%H%M")]
    ]
    for item in items:
        out += [
            ["LIN", "", *codes.ids(item.sku)],
            ["QTY", "33", r(item.available), codes.unit(item.unit)],
            ["N1", "SF", "", "92", item.location],
        ]
    out.append(["CTT", str(len(items))])
    return out


def read(tset: TransactionSet, codes: PartnerCodes) -> list[Stock]:
    """The stock figures a validated 846 states."""
    out: list[Stock] = []
    sku, qty = "", ["", "", ""]
    for seg in tset.segments:
        if seg[0] == "LIN":
            sku = codes.sku(seg, 2)
        elif seg[0] == "QTY" and el(seg, 1) == "33":
            qty = seg
        elif seg[0] == "N1" and el(seg, 1) == "SF":
            unit = el(qty, 3)
            out.append(Stock(sku, el(seg, 4), Decimal(el(qty, 2)), codes.hub_unit(unit)))
    return out


__all__ = ["Stock", "body", "from_record", "read"]
