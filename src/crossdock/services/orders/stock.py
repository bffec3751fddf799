"""The stock step: a sourcing plan and one reservation per line and location, keyed by the order.

The reservation keys are ``{order}:{revision}.{attempt}:{line}:{location}``,
so a retried intake replays the reservations it already made instead of
making new ones; a new revision (an amendment) or attempt (after the order
gave its units back) reserves afresh. The availability service's
reservations cannot oversell (one conditional update per position), so
racing orders for the last units get them at most once between them.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass, field

from crossdock.errors import ConflictError, NotFound
from crossdock.services.availability import (
    AvailabilityService,
    LineOutcome,
    ReserveRequest,
    ShipTo,
    SourceLineIn,
    SourceRequest,
)
from crossdock.store.order_rows import LineRow, OrderRow, ReservationLink

_PLAN_CHUNK = 500
"""Lines per sourcing request (the availability service's own limit)."""
_COVERED = (LineOutcome.FULL, LineOutcome.SPLIT)


@dataclass(slots=True)
class Reserved:
    links: list[ReservationLink] = field(default_factory=list)
    short: list[str] = field(default_factory=list)
    """Lines that could not be covered, as ``line N: why``."""


def reserve_lines(
    availability: AvailabilityService,
    order: OrderRow,
    lines: Sequence[LineRow],
    *,
    region: str | None,
) -> Reserved:
    """Plan and reserve every line; the reservations made and the lines left short."""
    cfg = availability.config
    channel = order.channel if cfg.channel(order.channel) is not None else None
    ship_to = ShipTo(region=region if region in cfg.regions else None)
    out = Reserved()
    attempt = f"{order.id}:{order.revision}.{order.attempt}"
    for start in range(0, len(lines), _PLAN_CHUNK):
        chunk = lines[start : start + _PLAN_CHUNK]
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
                    substitutes=False,
                )
            )
        except NotFound as exc:  # no stock position anywhere for some SKU
            out.short.append(str(exc))
            continue
        for ln, plan in zip(chunk, plans, strict=True):
            if plan.outcome not in _COVERED:
                out.short.append(f"line {ln.line_number}: {plan.outcome.value} of {ln.sku}")
                continue
            for alloc in plan.allocations:
                key = f"{attempt}:{ln.line_number}:{alloc.location}"
                try:
                    r = availability.reservations.reserve(
                        ReserveRequest(
                            idempotency_key=key,
                            sku=alloc.sku,
                            location=alloc.location,
                            quantity=alloc.quantity,
                            channel=channel,
                        )
                    )
                except (ConflictError, NotFound) as exc:  # another order took them meanwhile
                    out.short.append(f"line {ln.line_number}: {exc}")
                    break
                out.links.append(
                    ReservationLink(r.id, order.id, ln.line_number, r.sku, r.location, r.quantity)
                )
    return out


def release_all(availability: AvailabilityService, links: Sequence[ReservationLink]) -> list[str]:
    """Give every reservation back (held or confirmed); the ids released (or already gone)."""
    done: list[str] = []
    for link in links:
        with contextlib.suppress(NotFound):  # gone already: nothing to give back
            availability.reservations.give_back(link.reservation_id)
        done.append(link.reservation_id)
    return done


__all__ = ["Reserved", "release_all", "reserve_lines"]
