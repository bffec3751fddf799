"""Time-phased availability: ATP projected by date from inbound receipts.

Projected ATP on a date = today's raw ATP plus every inbound receipt whose
ETA is on or before that date, floored at zero. Inbound stock first fills a
negative raw ATP (claims beyond stock), so a promise never counts the same
unit twice. An ETA in the past counts from today (late but expected).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class Inbound:
    """Stock expected at a location: a purchase order, a transfer, a return."""

    reference: str
    quantity: Decimal
    eta: date
    kind: str = "purchase_order"


def projected_on(raw_atp: Decimal, inbound: Iterable[Inbound], on: date) -> Decimal:
    """ATP expected on ``on``: raw ATP plus inbound due by then, never below zero."""
    due = sum((i.quantity for i in inbound if i.eta <= on), Decimal(0))
    return max(Decimal(0), raw_atp + due)


def timeline(
    raw_atp: Decimal, inbound: Sequence[Inbound], today: date
) -> list[tuple[date, Decimal]]:
    """(date, projected ATP) at today and at each later date where it changes, ascending."""
    points = sorted({today, *(max(i.eta, today) for i in inbound)})
    out: list[tuple[date, Decimal]] = []
    for d in points:
        qty = projected_on(raw_atp, inbound, d)
        if not out or out[-1][1] != qty:
            out.append((d, qty))
    return out


def earliest_covering(
    raw_atp: Decimal, inbound: Sequence[Inbound], quantity: Decimal, today: date
) -> date | None:
    """The first date on which projected ATP reaches ``quantity``; ``None`` if it never does."""
    for d, qty in timeline(raw_atp, inbound, today):
        if qty >= quantity:
            return d
    return None


__all__ = ["Inbound", "earliest_covering", "projected_on", "timeline"]
