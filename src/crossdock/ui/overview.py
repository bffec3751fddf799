"""What the overview shows: each system's freshness, each route's lag and health, work waiting.

Read from the same calls ``crossdock status`` and ``GET /v1/routes`` make
(:meth:`Hub.route_status`, the exception and parked counts, the order engine's
holds, pending proposals), so the console and the API never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from crossdock.app import Application
from crossdock.store import ExceptionStatus, alert_state
from crossdock.store.order_rows import OrderState
from crossdock.store.records import ProposalStatus
from crossdock.sync.runtime import RouteStatus

FRESHNESS_WINDOW = timedelta(days=7)
"""How far back the last change from a system is looked for (older shows as none)."""
PROPOSALS_COUNTED = 1000
"""Pending proposals are counted up to this many (then shown as 1000+)."""


@dataclass(frozen=True, slots=True)
class SystemFreshness:
    name: str
    kind: str
    last_change: datetime | None
    """When the newest change this system sent was committed (within the window)."""
    last_delivery: datetime | None
    """The newest successful delivery to it over any of its routes."""
    open_exceptions: int


@dataclass(frozen=True, slots=True)
class Overview:
    now: datetime
    systems: list[SystemFreshness]
    routes: list[RouteStatus]
    open_exceptions: int
    parked: int
    orders_on_hold: int
    proposals_pending: int
    proposals_more: bool

    @property
    def failing_routes(self) -> list[str]:
        return [r.route for r in self.routes if route_health(r) != "ok"]


def route_health(r: RouteStatus) -> str:
    """``ok``, ``parked`` (records wait for a person), ``failing`` (last push erred) or ``open``."""
    if r.circuit != "closed":
        return "open"
    if r.parked:
        return "parked"
    if r.last_error:
        return "failing"
    return "ok"


def overview(application: Application) -> Overview:
    hub = application.hub
    store = hub.store
    now = hub.clock.now()
    routes = hub.route_status()
    last_ok: dict[str, datetime] = {}
    for r in routes:
        if r.last_success_at is not None:
            prev = last_ok.get(r.destination)
            last_ok[r.destination] = max(prev, r.last_success_at) if prev else r.last_success_at
    systems = [
        SystemFreshness(
            s.name,
            s.kind,
            alert_state.last_change_from(store, s.name, now - FRESHNESS_WINDOW),
            last_ok.get(s.name),
            store.exceptions.count_open(s.name),
        )
        for s in hub.config.systems
    ]
    held = store.orders.count_by_status().get(OrderState.ON_HOLD.value, 0)
    proposals = len(store.proposals.page(ProposalStatus.PENDING, limit=PROPOSALS_COUNTED))
    return Overview(
        now=now,
        systems=systems,
        routes=routes,
        open_exceptions=store.exceptions.count(ExceptionStatus.OPEN),
        parked=sum(r.parked for r in routes),
        orders_on_hold=held,
        proposals_pending=proposals,
        proposals_more=proposals >= PROPOSALS_COUNTED,
    )


__all__ = ["FRESHNESS_WINDOW", "Overview", "SystemFreshness", "overview", "route_health"]
