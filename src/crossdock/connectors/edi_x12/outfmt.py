"""Values as the outbound documents write and read them: R decimals, N2 cents, CCYYMMDD dates.

One place for both directions, so what a mapper writes is what the read-back
parses (the round-trip property tests hold the pair to that).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal

from crossdock.connectors.edi_x12.envelope import Segment

_CENT = Decimal("0.01")


def r(value: Decimal) -> str:
    """An R (decimal) element: no exponent, no trailing zeros, no ``-0``."""
    text = format(value.normalize(), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def n2(value: Decimal) -> str:
    """An N2 element: the amount in cents, implied decimal point."""
    return str(int((value * 100).quantize(Decimal(1))))


def from_n2(text: str) -> Decimal:
    return (Decimal(text) * _CENT).quantize(_CENT)


def d8(value: date) -> str:
    return value.strftime("%Y%m%d")


def from_d8(text: str) -> date | None:
    if len(text) != 8 or not text.isdigit():
        return None
    try:
        return date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        return None


def el(seg: Segment, i: int) -> str:
    return seg[i] if i < len(seg) else ""


def dec(text: str) -> Decimal | None:
    return Decimal(text) if text else None


class PartnerCodes:
    """The partner's view of the hub's items: its unit codes and its own part numbers.

    ``units`` is the hub file's map (partner code -> hub unit) turned round;
    ``parts`` maps a SKU to the partner's part number (the crosswalk, looked
    up by the caller). Quantities are not converted: a unit the partner has no
    code for is written as the hub's code.
    """

    def __init__(self, units: Mapping[str, str], parts: Mapping[str, str] | None = None) -> None:
        self._out = {hub: theirs for theirs, hub in units.items()}
        self._in = dict(units)
        self.parts = dict(parts or {})
        self._skus = {v: k for k, v in self.parts.items()}

    def unit(self, hub_unit: str | None) -> str:
        return self._out.get(hub_unit or "EA", hub_unit or "EA")

    def hub_unit(self, code: str) -> str:
        return self._in.get(code, code)

    def ids(self, sku: str) -> list[str]:
        """Product id pairs for a line: the SKU (VP), then the partner's part (BP) if known."""
        part = self.parts.get(sku)
        return ["VP", sku] + (["BP", part] if part else [])

    def sku(self, segment: Segment, first: int) -> str:
        """The SKU back from the id pairs starting at ``first`` (VP, else BP via the parts)."""
        pairs = {el(segment, i): el(segment, i + 1) for i in range(first, len(segment), 2)}
        if "VP" in pairs:
            return pairs["VP"]
        return self._skus.get(pairs.get("BP", ""), pairs.get("BP", ""))


__all__ = ["PartnerCodes", "d8", "dec", "el", "from_d8", "from_n2", "n2", "r"]
