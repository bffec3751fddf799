"""Sourcing: which locations ship an order's lines to a ship-to, given the stock positions.

Pure: the caller hands in what each (SKU, location) can promise now (after
channel rules), its raw ATP and its inbound receipts. For each line, in order:

1. the first location in preference order that covers the whole line ships it;
2. otherwise, when splitting is allowed, locations in preference order each
   ship what they can;
3. a shortfall is offered from the item's substitutes, by the same rules;
4. what is still short is backordered at the location whose inbound covers it
   first, with that date as the promise (``None``: no inbound covers it).

Stock taken by one line is gone for the next, and a backorder's promise uses
up projected stock, so two lines never promise the same unit.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum

from crossdock.services.availability.projection import Inbound, earliest_covering


class LineOutcome(StrEnum):
    FULL = "full"
    SPLIT = "split"
    SUBSTITUTED = "substituted"
    PARTIAL = "partial"
    BACKORDER = "backorder"


@dataclass(frozen=True, slots=True)
class Stock:
    """What one SKU at one location offers a sourcing decision."""

    available: Decimal
    raw_atp: Decimal
    inbound: tuple[Inbound, ...] = ()


@dataclass(frozen=True, slots=True)
class LineRequest:
    line: str
    sku: str
    quantity: Decimal


@dataclass(frozen=True, slots=True)
class Allocation:
    location: str
    sku: str
    quantity: Decimal
    substitute_for: str | None = None


@dataclass(frozen=True, slots=True)
class Backorder:
    sku: str
    quantity: Decimal
    location: str | None
    promise_date: date | None


@dataclass(slots=True)
class LinePlan:
    line: str
    sku: str
    quantity: Decimal
    outcome: LineOutcome
    allocations: list[Allocation] = field(default_factory=list)
    backorder: Backorder | None = None


def _locations(
    sku: str, positions: Mapping[tuple[str, str], Stock], order: Sequence[str]
) -> list[str]:
    held = sorted(loc for s, loc in positions if s == sku)
    return [loc for loc in order if loc in held] + [loc for loc in held if loc not in order]


class _Plan:
    def __init__(
        self,
        positions: Mapping[tuple[str, str], Stock],
        order: Sequence[str],
        split_allowed: bool,
        today: date,
    ) -> None:
        self.positions = positions
        self.order = order
        self.split = split_allowed
        self.today = today
        self.taken: dict[tuple[str, str], Decimal] = {}

    def left(self, sku: str, loc: str) -> Decimal:
        return self.positions[(sku, loc)].available - self.taken.get((sku, loc), Decimal(0))

    def take(self, sku: str, qty: Decimal, substitute_for: str | None) -> list[Allocation]:
        """Allocate up to ``qty`` of ``sku``: one location if one covers it, else split."""
        locs = _locations(sku, self.positions, self.order)
        for loc in locs:
            if self.left(sku, loc) >= qty:
                return [self._book(sku, loc, qty, substitute_for)]
        if not self.split:
            return []
        out: list[Allocation] = []
        need = qty
        for loc in locs:
            have = self.left(sku, loc)
            if have > 0 and need > 0:
                part = min(have, need)
                out.append(self._book(sku, loc, part, substitute_for))
                need -= part
        return out

    def _book(self, sku: str, loc: str, qty: Decimal, sub: str | None) -> Allocation:
        self.taken[(sku, loc)] = self.taken.get((sku, loc), Decimal(0)) + qty
        return Allocation(loc, sku, qty, sub)

    def backorder(self, sku: str, qty: Decimal) -> Backorder:
        best: tuple[date, int, str] | None = None
        for rank, loc in enumerate(_locations(sku, self.positions, self.order)):
            st = self.positions[(sku, loc)]
            raw = st.raw_atp - self.taken.get((sku, loc), Decimal(0))
            when = earliest_covering(raw, st.inbound, qty, self.today)
            if when is not None and (best is None or (when, rank) < best[:2]):
                best = (when, rank, loc)
        if best is None:
            return Backorder(sku, qty, None, None)
        loc = best[2]
        self.taken[(sku, loc)] = self.taken.get((sku, loc), Decimal(0)) + qty
        return Backorder(sku, qty, loc, best[0])


def plan_sourcing(
    lines: Sequence[LineRequest],
    positions: Mapping[tuple[str, str], Stock],
    *,
    preference: Sequence[str],
    split_allowed: bool,
    substitutes: Mapping[str, Sequence[str]],
    today: date,
) -> list[LinePlan]:
    """A sourcing plan for ``lines``; see the module docstring for the rules."""
    plan = _Plan(positions, preference, split_allowed, today)
    out: list[LinePlan] = []
    for req in lines:
        allocs = plan.take(req.sku, req.quantity, None)
        short = req.quantity - sum((a.quantity for a in allocs), Decimal(0))
        outcome = (
            LineOutcome.FULL
            if len(allocs) == 1 and short == 0
            else LineOutcome.SPLIT
            if short == 0
            else LineOutcome.PARTIAL
            if allocs
            else LineOutcome.BACKORDER
        )
        if short > 0:
            for sub in substitutes.get(req.sku, ()):
                if sub == req.sku:
                    continue
                got = plan.take(sub, short, req.sku)
                got_qty = sum((a.quantity for a in got), Decimal(0))
                if got_qty == short:
                    allocs += got
                    short = Decimal(0)
                    outcome = LineOutcome.SUBSTITUTED
                    break
                for a in got:  # a substitute that cannot cover the shortfall is not offered
                    plan.taken[(a.sku, a.location)] -= a.quantity
        back = plan.backorder(req.sku, short) if short > 0 else None
        out.append(LinePlan(req.line, req.sku, req.quantity, outcome, allocs, back))
    return out


__all__ = [
    "Allocation",
    "Backorder",
    "LineOutcome",
    "LinePlan",
    "LineRequest",
    "Stock",
    "plan_sourcing",
]
