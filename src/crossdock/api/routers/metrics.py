"""``GET /v1/metrics``: Prometheus text exposition (read scope; scrapers send a bearer key)."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST
from starlette.requests import Request

from crossdock.api.auth import Reader
from crossdock.api.deps import AvailabilityDep, HubDep, application_of
from crossdock.api.problems import problem_responses
from crossdock.api.routing import AuthFirstRoute
from crossdock.observability import OrderGauges, RouteGauges, StoreGauges, render
from crossdock.store import alert_state
from crossdock.store.edi_rows import SentGroup

router = APIRouter(
    route_class=AuthFirstRoute, tags=["metrics"], responses=problem_responses(401, 403)
)


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    description=(
        "Counters and histograms of this process (ingest outcomes, deliveries, retries, batch "
        "sizes, delivery latency) and gauges read from the store at scrape time (lag per "
        "route in events and seconds, parked records, open exceptions, orders per state, orders "
        "stuck and orders with a problem, EDI groups sent and still without their 997 after the "
        "partner's deadline). Prometheus scrapes "
        "it with `authorization: {credentials: <key>}` in its job."
    ),
    response_class=Response,
    responses={200: {"content": {CONTENT_TYPE_LATEST: {}}}},
)
def metrics(request: Request, hub: HubDep, availability: AvailabilityDep, _who: Reader) -> Response:
    engine = application_of(request).engine
    gauges = StoreGauges(
        routes=lambda: [
            RouteGauges(r.route, r.destination, r.lag_events, r.lag_seconds, r.parked, r.circuit)
            for r in hub.route_status()
        ],
        open_exceptions=hub.store.exceptions.count,
        freshness=availability.freshness,
        alerts=lambda: {
            name: st.firing
            for name, st in alert_state.states(hub.store).items()
            if name in {r.name for r in hub.config.alerts.rules}
        },
        orders=lambda: OrderGauges(
            hub.store.orders.count_by_status(), engine.stuck(), hub.store.orders.with_problem()
        ),
        edi_overdue=lambda: _overdue_by_partner(hub.store.edi.overdue(datetime.now(UTC))),
    )
    return Response(content=render(gauges), media_type=CONTENT_TYPE_LATEST)


def _overdue_by_partner(late: list[SentGroup]) -> dict[str, int]:
    """Overdue groups per trading partner (a partner with none has no sample)."""
    out: dict[str, int] = {}
    for group in late:
        out[group.partner] = out.get(group.partner, 0) + 1
    return out
