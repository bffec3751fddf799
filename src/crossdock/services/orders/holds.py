"""Self-releasing holds: held for credit or stock, an order re-runs its rules when the cause clears.

It is accepted when they pass.

A sweep (a step of the sync passes, every ``orders.recheck_seconds``) looks at
each held order whose every hold is ``credit`` or ``stock`` (a price, PO,
customer or SKU hold needs a person) and measures, cheaply, whether its cause
can have cleared:

- credit: the customer's headroom (``credit_limit`` minus the exposure of its
  other open orders) against the order's total. The limit raised, or an order
  of theirs cancelled or invoiced, changes it;
- stock: for each of the order's SKUs, the available-to-promise summed over
  the locations against what the order needs (base units). A receipt changes
  it. Where the channel takes backorders, any change of the SKUs' positions
  or of the receipts they expect is worth a try.

Only when every measure says the order can pass are the rules run again (and
reservations tried). What was measured is remembered on the order, so an
unchanged measure is not looked at twice and a held order does not churn:
a try that still fails is not repeated until something it depends on moves.
The timeline records the try (``release``/``automatic``, with why) before
the decision it leads to.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from crossdock.config.orders import HoldReason
from crossdock.errors import CrossdockError
from crossdock.model.customer import Customer
from crossdock.services.availability.service import MAX_SKUS, LocationAvailability
from crossdock.services.orders.service import OrderService
from crossdock.store.order_rows import OrderRow, OrderState, Step

_log = logging.getLogger(__name__)

SELF_CLEARING = frozenset({HoldReason.CREDIT.value, HoldReason.STOCK.value})
ACTOR = "crossdock:holds"
_PAGE = 200


@dataclass(slots=True)
class Sweep:
    """What one sweep did."""

    looked: int = 0
    unchanged: int = 0
    tried: int = 0
    released: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class _Measure:
    memo: dict[str, Any]
    passes: bool
    why: list[str]


def _position(loc: LocationAvailability) -> str:
    """A location's stock and what it expects, as compared from one sweep to the next."""
    coming = ",".join(f"{i.reference}:{i.quantity}@{i.eta}" for i in loc.inbound)
    return f"{loc.location}@{loc.version}[{coming}]"


class HoldSweeper:
    """Re-runs the rules of held orders whose cause may have cleared; see the module docstring."""

    def __init__(
        self,
        orders: OrderService,
        *,
        every: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.orders = orders
        self.every = orders.config.recheck_seconds if every is None else every
        self.clock = clock
        self._next = 0.0

    def due(self) -> Sweep | None:
        """A sweep when ``every`` seconds have passed since the last (the sync pass's step)."""
        if self.every <= 0 or self.clock() < self._next:
            return None
        self._next = self.clock() + self.every
        return self.run()

    def run(self) -> Sweep:
        """Look at every held order once."""
        out = Sweep()
        after = ""
        while True:
            page = self.orders.store.orders.page(
                status=OrderState.ON_HOLD, after_id=after, limit=_PAGE
            )
            for order in page:
                self._one(order, out)
            if len(page) < _PAGE:
                return out
            after = page[-1].id

    def _one(self, order: OrderRow, out: Sweep) -> None:
        if not order.holds or not set(order.holds) <= SELF_CLEARING:
            return
        out.looked += 1
        try:
            customer = self.orders.customer_of(order)
            measure = self._measure(order, customer)
            if measure.memo == order.recheck:
                out.unchanged += 1
                return
            if not measure.passes:
                self.orders.store.orders.remember(order.id, order.revision, measure.memo)
                return
            out.tried += 1
            done = self.orders.rerun(
                order,
                Step("release", "automatic", {"why": measure.why}),
                audit=(ACTOR, "order.release.automatic", {"why": measure.why}),
            )
        except CrossdockError as exc:  # this order cannot be judged now; the others can
            _log.warning("hold sweep: order %s: %s", order.id, exc)
            return
        if done.status is OrderState.ACCEPTED:
            out.released.append(done.id)
        elif done.status is OrderState.ON_HOLD and done.revision == order.revision:
            # still held: remember what this try saw, so the next pass waits for a change
            self.orders.store.orders.remember(done.id, done.revision, measure.memo)

    def _measure(self, order: OrderRow, customer: Customer) -> _Measure:
        memo: dict[str, Any] = {}
        why: list[str] = []
        passes = True
        if HoldReason.CREDIT.value in order.holds:
            ok, memo["credit"], reason = self._credit(order, customer)
            passes &= ok
            why.append(reason)
        if HoldReason.STOCK.value in order.holds:
            ok, memo["stock"], reason = self._stock(order)
            passes &= ok
            why.append(reason)
        return _Measure(memo, passes, why)

    def _credit(self, order: OrderRow, customer: Customer) -> tuple[bool, list[str], str]:
        cfg = self.orders.config.rules(order.channel).credit
        limit = customer.credit_limit
        exposure = self.orders.store.orders.exposure(order.customer_id, order.id)
        seen = [str(limit), str(exposure), str(order.total), str(bool(customer.credit_hold))]
        if limit is None:
            return cfg.unlimited_without_limit, seen, "the customer has no credit limit now"
        headroom = limit - exposure
        return (
            order.total <= headroom,
            seen,
            f"credit headroom {headroom} (limit {limit}, exposure {exposure}) "
            f"covers the order's {order.total}",
        )

    def _stock(self, order: OrderRow) -> tuple[bool, dict[str, list[str]], str]:
        need: dict[str, Decimal] = {}
        for ln in self.orders.store.orders.lines(order.id):
            need[ln.sku] = need.get(ln.sku, Decimal(0)) + ln.base_quantity
        held: dict[str, Decimal] = {}
        for r in self.orders.store.orders.reservations(order.id):
            held[r.sku] = held.get(r.sku, Decimal(0)) + r.quantity
        availability = self.orders.availability
        channel = order.channel if availability.config.channel(order.channel) else None
        skus = sorted(need)
        seen: dict[str, list[str]] = {}
        short: list[str] = []
        for start in range(0, len(skus), MAX_SKUS):
            for item in availability.availability(skus[start : start + MAX_SKUS], channel=channel):
                atp = item.channel_atp if item.channel_atp is not None else item.atp
                seen[item.sku] = [str(atp), *(_position(x) for x in item.locations)]
                if atp + held.get(item.sku, Decimal(0)) < need[item.sku]:
                    short.append(item.sku)
        backorders = self.orders.config.rules(order.channel).stock.allow_backorder
        if short and not backorders:
            return False, seen, ""
        return (
            True,
            seen,
            (
                f"stock of {', '.join(skus)} now covers the order"
                if not short
                else f"stock positions of {', '.join(short)} changed (backorders allowed)"
            ),
        )


__all__ = ["ACTOR", "SELF_CLEARING", "HoldSweeper", "Sweep"]
