"""A list's rounding rule, compiled: decimal places, or a grid of increments and endings.

Without an increment or an ending a price is quantized to the list's
places (Decimal's own rounding). With one, the allowed prices are the grid
``ending + k * increment`` for k = 0, 1, 2, ... (``ending`` 0 and
``increment`` 0.05: 0.00, 0.05, 0.10, ...; ``ending`` 0.99 and ``increment``
1: 0.99, 1.99, ...) and a price goes to the grid point the mode names: the
one at or below (``down``), at or above (``up``), the nearest (``half_up``:
halves up; ``half_even``: halves to the even k). Nothing rounds below the
grid's first point. All of it in exact Decimal arithmetic: the distance to
the grid point below is a remainder, never a rounded quotient.

:meth:`Rounder.ceil` is the least allowed price at or above a value: what
the margin floor raises a winner to, so a raised price still reads like
the list's other prices.
"""

from __future__ import annotations

from decimal import ROUND_CEILING, ROUND_DOWN, ROUND_HALF_EVEN, ROUND_HALF_UP, ROUND_UP, Decimal

from crossdock.model.price_list import Rounding, RoundingMode

_DECIMAL_MODES = {
    RoundingMode.HALF_UP: ROUND_HALF_UP,
    RoundingMode.HALF_EVEN: ROUND_HALF_EVEN,
    RoundingMode.UP: ROUND_UP,
    RoundingMode.DOWN: ROUND_DOWN,
}
_ONE = Decimal(1)
_ZERO = Decimal(0)
_TWO = Decimal(2)


class Rounder:
    """One list's rounding: ``round`` by its mode, ``ceil`` to the next allowed price."""

    __slots__ = ("mode", "offset", "places", "quantum", "rounding", "step")

    def __init__(self, rule: Rounding | None) -> None:
        self.places = rule.places if rule is not None else 2
        self.quantum = _ONE.scaleb(-self.places)
        """Of extended prices, and of unit prices without a grid."""
        self.mode = rule.mode if rule is not None else RoundingMode.HALF_UP
        self.rounding = _DECIMAL_MODES[self.mode]
        """Decimal's name for ``mode``: what extended prices are quantized with."""
        self.step: Decimal | None = None
        self.offset = _ZERO
        if rule is not None and (rule.increment is not None or rule.ending is not None):
            self.step = rule.increment if rule.increment is not None else _ONE
            self.offset = rule.ending if rule.ending is not None else _ZERO

    def round(self, value: Decimal) -> Decimal:
        """``value`` rounded by the rule's mode."""
        step = self.step
        if step is None:
            return value.quantize(self.quantum, rounding=self.rounding)
        k, rest = self._below(value, step)
        mode = self.mode
        if rest and (
            mode is RoundingMode.UP
            or (mode is RoundingMode.HALF_UP and rest * _TWO >= step)
            or (
                mode is RoundingMode.HALF_EVEN
                and (rest * _TWO > step or (rest * _TWO == step and k % 2 == 1))
            )
        ):
            k += 1
        return self._point(k, step)

    def ceil(self, value: Decimal) -> Decimal:
        """The least price the rule allows at or above ``value``."""
        step = self.step
        if step is None:
            return value.quantize(self.quantum, rounding=ROUND_CEILING)
        k, rest = self._below(value, step)
        return self._point(k + 1 if rest else k, step)

    def _below(self, value: Decimal, step: Decimal) -> tuple[Decimal, Decimal]:
        """(k, rest): ``value`` is ``rest`` past the grid point ``offset + k * step``."""
        k, rest = divmod(value - self.offset, step)  # k truncated toward zero: floor it
        if rest < 0:
            k -= 1
            rest += step
        return k, rest

    def _point(self, k: Decimal, step: Decimal) -> Decimal:
        if k < 0:  # below the grid's first point: that point
            k = _ZERO
        return (self.offset + k * step).quantize(self.quantum)


__all__ = ["Rounder"]
