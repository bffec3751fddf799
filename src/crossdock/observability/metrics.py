"""Prometheus metrics: counters the engine bumps, gauges read from the store at scrape time.

Counters and histograms live in one registry per process (what a scrape of
that process sees). Lag, parked and open-exception gauges are computed
when scraped, from the store, so every API node reports the same truth
about the shared store.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

REGISTRY = CollectorRegistry(auto_describe=True)

INGESTED = Counter(
    "crossdock_ingest_changes_total",
    "Changes ingest handled, by outcome.",
    ["outcome"],
    registry=REGISTRY,
)
DELIVERIES = Counter(
    "crossdock_deliveries_total",
    "Deliveries by route and outcome.",
    ["route", "outcome"],
    registry=REGISTRY,
)
RETRIES = Counter(
    "crossdock_delivery_retries_total",
    "Pushes retried after a transient failure.",
    ["route"],
    registry=REGISTRY,
)
AS2_SENT = Counter(
    "crossdock_edi_as2_sent_total",
    "AS2 sends to trading partners by outcome (processed, delivered, retry, failed).",
    ["partner", "outcome"],
    registry=REGISTRY,
)
AS2_MDN_OVERDUE = Counter(
    "crossdock_edi_as2_mdn_overdue_total",
    "Outbound AS2 documents whose MDN did not come back within the partner's deadline.",
    ["partner"],
    registry=REGISTRY,
)
BATCH_SIZE = Histogram(
    "crossdock_delivery_batch_size",
    "Deliveries per push.",
    ["route"],
    buckets=(1, 5, 10, 50, 100, 250, 500, 1000, 2500, 5000, 10000),
    registry=REGISTRY,
)
LATENCY = Histogram(
    "crossdock_delivery_latency_seconds",
    "From the change's commit to the destination's ack.",
    ["route"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900),
    registry=REGISTRY,
)

# Broker systems (connectors/broker): set by each publish and each pull pass.
BROKER_CONNECTED = Gauge(
    "crossdock_broker_connected",
    "1 when the broker system's connection is up.",
    ["system"],
    registry=REGISTRY,
)
BROKER_UNCONFIRMED = Gauge(
    "crossdock_broker_unconfirmed_publishes",
    "Publishes sent to the broker and not yet confirmed (destination lag).",
    ["system"],
    registry=REGISTRY,
)
BROKER_PENDING = Gauge(
    "crossdock_broker_pending_messages",
    "Messages waiting for the hub or delivered and not yet acked (source lag).",
    ["system"],
    registry=REGISTRY,
)


@dataclass(frozen=True, slots=True)
class RouteGauges:
    route: str
    destination: str
    lag_events: int
    lag_seconds: float | None
    parked: int
    circuit: str = "closed"


@dataclass(frozen=True, slots=True)
class OrderGauges:
    by_status: Mapping[str, int]
    stuck: int
    with_problem: int


class StoreGauges(Collector):
    """Gauges computed at scrape time from callables over the store."""

    def __init__(
        self,
        routes: Callable[[], Iterable[RouteGauges]],
        open_exceptions: Callable[[], int],
        freshness: Callable[[], Mapping[str, datetime | None]] | None = None,
        alerts: Callable[[], Mapping[str, bool]] | None = None,
        orders: Callable[[], OrderGauges] | None = None,
        edi_overdue: Callable[[], Mapping[str, int]] | None = None,
    ) -> None:
        self._routes = routes
        self._open_exceptions = open_exceptions
        self._freshness = freshness
        self._alerts = alerts
        self._orders = orders
        self._edi_overdue = edi_overdue

    def collect(self) -> Iterator[Metric]:
        lag = GaugeMetricFamily(
            "crossdock_route_lag_events",
            "Outbox events the route has not passed yet.",
            labels=["route", "destination"],
        )
        lag_s = GaugeMetricFamily(
            "crossdock_route_lag_seconds",
            "Age of the oldest event the route has not passed.",
            labels=["route", "destination"],
        )
        parked = GaugeMetricFamily(
            "crossdock_route_parked", "Records parked on the route.", labels=["route"]
        )
        circuit = GaugeMetricFamily(
            "crossdock_circuit_open",
            "1 when the destination's circuit is open or half-open (probing), else 0.",
            labels=["destination", "state"],
        )
        seen: set[str] = set()
        for r in self._routes():
            lag.add_metric([r.route, r.destination], r.lag_events)
            lag_s.add_metric([r.route, r.destination], r.lag_seconds or 0.0)
            parked.add_metric([r.route], r.parked)
            if r.destination not in seen:
                seen.add(r.destination)
                circuit.add_metric([r.destination, r.circuit], 0 if r.circuit == "closed" else 1)
        yield lag
        yield lag_s
        yield parked
        yield circuit
        yield GaugeMetricFamily(
            "crossdock_exceptions_open",
            "Business exceptions waiting for a person.",
            value=self._open_exceptions(),
        )
        if self._freshness is not None:
            yield _freshness_gauge(self._freshness())
        if self._alerts is not None:
            firing = GaugeMetricFamily(
                "crossdock_alert_firing",
                "1 while the alert rule fires, as the workers last measured it.",
                labels=["alert"],
            )
            for name, on in sorted(self._alerts().items()):
                firing.add_metric([name], 1 if on else 0)
            yield firing
        if self._orders is not None:
            yield from _order_gauges(self._orders())
        if self._edi_overdue is not None:
            overdue = GaugeMetricFamily(
                "crossdock_edi_groups_unacknowledged",
                "Functional groups sent to a trading partner and still without its 997 "
                "after the partner's deadline (ack_deadline_hours).",
                labels=["partner"],
            )
            for partner, n in sorted(self._edi_overdue().items()):
                overdue.add_metric([partner], n)
            yield overdue


def _order_gauges(o: OrderGauges) -> Iterator[Metric]:
    per_state = GaugeMetricFamily("crossdock_orders", "Orders per state.", labels=["status"])
    for status, n in sorted(o.by_status.items()):
        per_state.add_metric([status], n)
    yield per_state
    yield GaugeMetricFamily(
        "crossdock_orders_stuck",
        "Accepted orders the ERP has not confirmed within orders.stuck_minutes.",
        value=o.stuck,
    )
    yield GaugeMetricFamily(
        "crossdock_orders_with_problem",
        "Orders with a failed step waiting for a person or a retry.",
        value=o.with_problem,
    )


def _freshness_gauge(last: Mapping[str, datetime | None]) -> GaugeMetricFamily:
    """Seconds since the last WMS event per location (-1: never heard from)."""
    gauge = GaugeMetricFamily(
        "crossdock_wms_freshness_seconds",
        "Seconds since the last WMS inventory event applied at the location (-1: none yet).",
        labels=["location"],
    )
    now = datetime.now(UTC)
    for location, at in last.items():
        gauge.add_metric([location], (now - at).total_seconds() if at else -1.0)
    return gauge


def render(extra: Collector | None = None) -> bytes:
    """The text exposition of this process's metrics plus ``extra``'s."""
    if extra is None:
        return generate_latest(REGISTRY)
    scratch = CollectorRegistry(auto_describe=False)
    scratch.register(extra)
    return generate_latest(REGISTRY) + generate_latest(scratch)


__all__ = [
    "AS2_MDN_OVERDUE",
    "AS2_SENT",
    "BATCH_SIZE",
    "BROKER_CONNECTED",
    "BROKER_PENDING",
    "BROKER_UNCONFIRMED",
    "DELIVERIES",
    "INGESTED",
    "LATENCY",
    "REGISTRY",
    "RETRIES",
    "OrderGauges",
    "RouteGauges",
    "StoreGauges",
    "render",
]
