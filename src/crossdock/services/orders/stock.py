"""The stock step: a sourcing plan and one reservation per line and location, keyed by the order.

The reservation keys are ``{order}:{revision}.{attempt}:{line}:{location}``,
so a retried intake replays the reservations it already made instead of
making new ones; a new revision (an amendment) or attempt (after the order
gave its units back) reserves afresh. The availability service's
reservations cannot oversell (one conditional update per position), so
racing orders for the last units get them at most once between them.

Where the channel's stock rule allows backorders, a line the plan cannot
cover keeps what it could reserve and the rest is promised for the date the
inbound receipts cover it (the plan's backorder); only a line nothing is
expected for is short. ``allow_split`` overrides the hub's split rule.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from crossdock.config.orders import StockRule
from crossdock.errors import ConflictError, CrossdockError, NotFound
from crossdock.services.availability import (
    Allocation,
    AvailabilityService,
    LineOutcome,
    Reservation,
    ReserveRequest,
    ShipTo,
    SourceLineIn,
    SourceRequest,
)
from crossdock.store.availability import StockTx
from crossdock.store.order_rows import LineRow, OrderRow, Promises, ReservationLink

_PLAN_CHUNK = 500
"""Lines per sourcing request (the availability service's own limit)."""
_COVERED = (LineOutcome.FULL, LineOutcome.SPLIT)
_SHORT = (LineOutcome.PARTIAL, LineOutcome.BACKORDER)


@dataclass(slots=True)
class Reserved:
    links: list[ReservationLink] = field(default_factory=list)
    short: list[str] = field(default_factory=list)
    """Lines that could not be covered, as ``line N: why``."""
    promises: Promises = field(default_factory=dict)
    """Every planned line: base units backordered (0: none) and their promise date."""


def backorders(promises: Promises) -> list[dict[str, str]]:
    """The backordered lines of ``promises``, as the timeline shows them."""
    return [
        {"line": str(n), "quantity": str(q), "promise_date": d.isoformat() if d else ""}
        for n, (q, d) in sorted(promises.items())
        if q
    ]


Record = Callable[[StockTx, list[ReservationLink], Promises], object]
"""Writes, in the reservations' own transaction, the links made and the lines' promises."""


def reserve_lines(
    availability: AvailabilityService,
    order: OrderRow,
    lines: Sequence[LineRow],
    *,
    region: str | None,
    rule: StockRule | None = None,
    record: Record | None = None,
) -> Reserved:
    """Plan and reserve every line; the reservations made, the backorders, the lines short.

    ``record`` runs in each chunk's reserving transaction with the chunk's links and
    promises: a crash never leaves a reservation the order does not know it holds.
    """
    backorder = rule is not None and rule.allow_backorder
    cfg = availability.config
    channel = order.channel if cfg.channel(order.channel) is not None else None
    ship_to = ShipTo(region=region if region in cfg.regions else None)
    out = Reserved()
    attempt = f"{order.id}:{order.revision}.{order.attempt}"
    for start in range(0, len(lines), _PLAN_CHUNK):
        chunk = lines[start : start + _PLAN_CHUNK]
        wanted: list[tuple[int, Allocation]] = []
        try:
            plans = availability.source(
                SourceRequest(
                    lines=[
                        SourceLineIn(
                            line=str(ln.line_number), sku=ln.sku, quantity=ln.base_quantity
                        )
                        for ln in chunk
                    ],
                    ship_to=ship_to,
                    channel=channel,
                    split=rule.allow_split if rule is not None else None,
                    substitutes=False,
                )
            )
        except NotFound as exc:  # no stock position anywhere for some SKU
            out.short.append(str(exc))
            continue
        promises: Promises = {}
        for ln, plan in zip(chunk, plans, strict=True):
            owed = plan.backorder
            if plan.outcome in _SHORT and backorder and owed is not None and owed.promise_date:
                promises[ln.line_number] = (owed.quantity, owed.promise_date)
            elif plan.outcome not in _COVERED:
                out.short.append(f"line {ln.line_number}: {plan.outcome.value} of {ln.sku}")
                continue
            else:
                promises[ln.line_number] = (Decimal(0), None)
            for alloc in plan.allocations:
                wanted.append((ln.line_number, alloc))
        out.promises |= promises
        if not wanted and not promises:
            continue  # nothing to reserve or record: no write

        def then(
            stx: StockTx,
            got: list[Reservation | CrossdockError],
            wanted: list[tuple[int, Allocation]] = wanted,
            promises: Promises = promises,
        ) -> None:
            if record is not None:
                links = [
                    _link(order, n, r)
                    for (n, _a), r in zip(wanted, got, strict=True)
                    if isinstance(r, Reservation)
                ]
                record(stx, links, promises)

        # one write for the order's reserves (shared with other orders' under group commit)
        got = availability.reservations.reserve_many(
            [
                ReserveRequest(
                    idempotency_key=f"{attempt}:{n}:{alloc.location}",
                    sku=alloc.sku,
                    location=alloc.location,
                    quantity=alloc.quantity,
                    channel=channel,
                )
                for n, alloc in wanted
            ],
            then,
        )
        short: set[int] = set()
        for (n, _alloc), r in zip(wanted, got, strict=True):
            if isinstance(r, ConflictError | NotFound):  # another order took them meanwhile
                if n not in short:
                    out.short.append(f"line {n}: {r}")
                short.add(n)
            elif isinstance(r, CrossdockError):
                raise r
            else:
                out.links.append(_link(order, n, r))
    return out


def _link(order: OrderRow, line_number: int, r: Reservation) -> ReservationLink:
    return ReservationLink(r.id, order.id, line_number, r.sku, r.location, r.quantity)


def release_all(availability: AvailabilityService, links: Sequence[ReservationLink]) -> list[str]:
    """Give every reservation back (held or confirmed); the ids released (or already gone)."""
    done: list[str] = []
    for link in links:
        with contextlib.suppress(NotFound):  # gone already: nothing to give back
            availability.reservations.give_back(link.reservation_id)
        done.append(link.reservation_id)
    return done


__all__ = ["Reserved", "backorders", "release_all", "reserve_lines"]
