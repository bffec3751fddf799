"""Bucket arithmetic: available-to-promise from on hand and what is already spoken for.

ATP = on hand - allocated - reserved - safety stock - on hold, never shown
below zero; the raw figure (which can be negative when a WMS lets on hand go
below what is allocated) is kept for projection, where inbound stock must
first cover that hole. The store keeps buckets as integers in millionths
(:data:`SCALE`) so that SQL arithmetic is exact on SQLite as on PostgreSQL;
:func:`to_units` and :func:`from_units` convert at the boundary.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal

from crossdock.errors import InvalidInput
from crossdock.model.inventory import ATP_CLAIMS

SCALE = 1_000_000
"""Stored integers are millionths of a unit: six decimal places, exact."""
_QUANTUM = Decimal("0.000001")
MAX_UNITS = 10**9
"""The largest quantity one request may carry (a thousand million units)."""
MAX_STORED = 10**12 * SCALE
"""The largest bucket a position may hold, in millionths: far inside a signed 64-bit integer."""


def to_units(value: Decimal, field: str) -> int:
    """A quantity as stored (millionths); more than six decimals or an absurd size is refused."""
    if not value.is_finite():
        raise InvalidInput(f"{field}: {value} is not a finite number", field=field)
    if abs(value) > MAX_UNITS:
        raise InvalidInput(f"{field}: {value} is larger than {MAX_UNITS}", field=field)
    scaled = value * SCALE
    if scaled != scaled.to_integral_value():
        raise InvalidInput(f"{field}: {value} has more than six decimal places", field=field)
    return int(scaled)


def tidy(d: Decimal) -> Decimal:
    """The same quantity without trailing zeros (``6.250000`` is ``6.25``, ``100`` stays)."""
    return d.quantize(Decimal(1)) if d == d.to_integral_value() else d.normalize()


def from_units(value: int) -> Decimal:
    """A stored integer (millionths) as a Decimal quantity, without trailing noise."""
    return tidy(Decimal(value) / SCALE)


def floor_units(value: Decimal) -> Decimal:
    """Round down to the stored precision: never promise a fraction more than there is."""
    return tidy(value.quantize(_QUANTUM, rounding=ROUND_FLOOR))


@dataclass(frozen=True, slots=True)
class Buckets:
    """One SKU at one location, in units (Decimal)."""

    on_hand: Decimal = Decimal(0)
    allocated: Decimal = Decimal(0)
    reserved: Decimal = Decimal(0)
    safety_stock: Decimal = Decimal(0)
    on_hold: Decimal = Decimal(0)

    @property
    def raw_atp(self) -> Decimal:
        """On hand less every claim on it (:data:`ATP_CLAIMS`); negative when claims exceed it."""
        return self.on_hand - sum((getattr(self, claim) for claim in ATP_CLAIMS), Decimal(0))

    @property
    def atp(self) -> Decimal:
        """What can be promised now: the raw figure, floored at zero."""
        return max(Decimal(0), self.raw_atp)

    @classmethod
    def from_stored(
        cls, on_hand: int, allocated: int, reserved: int, safety_stock: int, on_hold: int
    ) -> Buckets:
        return cls(
            from_units(on_hand),
            from_units(allocated),
            from_units(reserved),
            from_units(safety_stock),
            from_units(on_hold),
        )


__all__ = [
    "MAX_STORED",
    "MAX_UNITS",
    "SCALE",
    "Buckets",
    "floor_units",
    "from_units",
    "tidy",
    "to_units",
]
