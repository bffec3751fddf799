"""Delivery from the outbox to a destination, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta

import pytest

from crossdock.clock import ManualClock
from crossdock.config.hub import EntityOwnership, HubConfig, RetryPolicy, RouteConfig, SystemConfig
from crossdock.connectors.base import Delivery, DeliveryResult, DeliveryStatus
from crossdock.errors import ErrorCode, RetryableError
from crossdock.model.base import EntityType
from crossdock.model.change import Change, ChangeOp
from crossdock.store import Store
from crossdock.sync.delivery import RouteWorker
from crossdock.sync.ingest import Ingestor

pytestmark = pytest.mark.integration
T0 = datetime(2026, 3, 1, tzinfo=UTC)
P = EntityType.PRODUCT


class RecordingDestination:
    """An in-process destination that records every push; scripted failures per call."""

    def __init__(self) -> None:
        self.calls: list[list[Delivery]] = []
        self.fail_next: list[Exception] = []
        self.reject: set[str] = set()
        self.state: dict[str, Delivery] = {}

    def push(self, batch: Sequence[Delivery]) -> list[DeliveryResult]:
        self.calls.append(list(batch))
        if self.fail_next:
            raise self.fail_next.pop(0)
        out = []
        for d in batch:
            if d.data.get("sku") in self.reject:
                out.append(
                    DeliveryResult(
                        d.delivery_id,
                        DeliveryStatus.FAILED,
                        error="bad sku",
                        code=ErrorCode.REJECTED_BY_DESTINATION,
                    )
                )
                continue
            self.state[d.entity_id] = d
            out.append(
                DeliveryResult(
                    d.delivery_id, DeliveryStatus.DELIVERED, native_id=f"shop-{d.entity_id[-6:]}"
                )
            )
        return out


def config(fields: list[str] | None = None) -> HubConfig:
    route = RouteConfig(
        name="to-shop",
        entities=[P],
        destination="shop",
        fields=fields or ["sku", "description"],
        batch_size=50,
        retry=RetryPolicy(attempts=3, base_seconds=0.001, cap_seconds=0.01),
    )
    return HubConfig(
        systems=[SystemConfig(name="erp", kind="files"), SystemConfig(name="shop", kind="files")],
        ownership={P: EntityOwnership(owner="erp", fields={"channels": "shop"})},
        routes=[route],
    )


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    s = Store.open(store_url)
    yield s
    s.close()


def change(system: str, native: str, ts: datetime = T0, **data: object) -> Change:
    return Change(system=system, entity_type=P, native_id=native, data=dict(data), source_ts=ts)


def test_compaction_projection_native_ids_and_cursor(store: Store) -> None:
    hub = config()
    ing = Ingestor(store, hub)
    ing.ingest([change("erp", "1", sku="A", description="one", cost="1.00")])
    ing.ingest([change("erp", "1", T0 + timedelta(1), description="one v2")])
    ing.ingest([change("erp", "2", sku="B", description="two")])
    dest = RecordingDestination()
    worker = RouteWorker(store, hub.routes[0], dest, sleep=lambda s: None)
    report = worker.drain()
    assert report.delivered == 2
    sent = {d.data["sku"]: d for d in dest.calls[0]}
    assert sent["A"].version == 2 and sent["A"].data == {"sku": "A", "description": "one v2"}
    assert "cost" not in sent["A"].data, "only the route's fields are sent"
    assert sent["A"].delivery_id.endswith(":v2")
    cid = sent["A"].entity_id
    assert ("shop", f"shop-{cid[-6:]}") in store.crosswalk.native_ids(P, cid)
    assert store.cursors.get("to-shop").position == store.outbox.last_seq()
    assert worker.drain().events == 0, "nothing is sent twice once the cursor moved"


def test_no_echo_and_untouched_fields_are_not_sent(store: Store) -> None:
    hub = config()
    ing = Ingestor(store, hub)
    ing.ingest([change("erp", "1", sku="A", description="one")])
    dest = RecordingDestination()
    worker = RouteWorker(store, hub.routes[0], dest, sleep=lambda s: None)
    worker.drain()
    ing.ingest([change("shop", "s1", T0 + timedelta(1), sku="A", channels=["web"])])
    ing.ingest([change("erp", "1", T0 + timedelta(2), cost="9.99")])
    report = worker.drain()
    assert report.delivered == 0 and report.skipped == 1  # one entity, compacted
    assert len(dest.calls) == 1


def test_transient_failures_retry_then_deliver(store: Store) -> None:
    hub = config()
    Ingestor(store, hub).ingest([change("erp", "1", sku="A", description="one")])
    dest = RecordingDestination()
    dest.fail_next = [RetryableError("503"), RetryableError("429", retry_after=0.001)]
    slept: list[float] = []
    report = RouteWorker(store, hub.routes[0], dest, sleep=slept.append).drain()
    assert report.delivered == 1 and report.retries == 2 and len(slept) == 2


def test_poison_record_parks_alone_and_later_versions_park_behind(store: Store) -> None:
    hub = config()
    ing = Ingestor(store, hub)
    ing.ingest(
        [
            change("erp", "1", sku="BAD", description="x"),
            change("erp", "2", sku="GOOD", description="y"),
        ]
    )
    dest = RecordingDestination()
    dest.reject = {"BAD"}
    worker = RouteWorker(store, hub.routes[0], dest, sleep=lambda s: None)
    report = worker.drain()
    assert (report.delivered, report.parked) == (1, 1)
    ing.ingest([change("erp", "1", T0 + timedelta(1), description="x2")])
    report2 = worker.drain()
    assert report2.parked == 1 and report2.delivered == 0, "v2 parks behind v1"
    parked = store.parked.page("to-shop")
    assert [p.version for p in parked] == [1, 2]
    assert parked[0].code == ErrorCode.REJECTED_BY_DESTINATION
    dest.reject = set()
    retry = worker.retry_parked(parked[0].entity_id, actor="test")
    assert retry.delivered == 1
    assert store.parked.page("to-shop") == []
    assert (
        dest.state[parked[0].entity_id].version == 2
        and dest.state[parked[0].entity_id].data["description"] == "x2"
    )


def test_retries_exhausted_park_with_history(store: Store) -> None:
    hub = config()
    Ingestor(store, hub).ingest([change("erp", "1", sku="A", description="one")])
    dest = RecordingDestination()
    dest.fail_next = [RetryableError("down")] * 3
    report = RouteWorker(store, hub.routes[0], dest, sleep=lambda s: None).drain()
    assert report.parked == 1
    p = store.parked.page("to-shop")[0]
    assert "retries exhausted after 3 attempts" in p.error and p.attempts == 3


def test_delete_is_delivered_as_delete(store: Store) -> None:
    hub = config()
    ing = Ingestor(store, hub)
    ing.ingest([change("erp", "1", sku="A", description="one")])
    dest = RecordingDestination()
    worker = RouteWorker(store, hub.routes[0], dest, sleep=lambda s: None)
    worker.drain()
    ing.ingest(
        [
            Change(
                system="erp",
                entity_type=P,
                native_id="1",
                op=ChangeOp.DELETE,
                source_ts=T0 + timedelta(1),
            )
        ]
    )
    worker.drain()
    last = dest.calls[-1][0]
    assert last.op is ChangeOp.DELETE and last.native_id is not None


def test_open_circuit_keeps_the_cursor_and_parks_nothing(store: Store) -> None:
    from crossdock.config.hub import CircuitPolicy
    from crossdock.sync.guards import DestinationGuard

    hub = config()
    Ingestor(store, hub).ingest([change("erp", "1", sku="A", description="one")])
    now = [0.0]
    guard = DestinationGuard.for_policy(
        "shop", CircuitPolicy(failures=2, open_seconds=30), None, clock=lambda: now[0]
    )
    dest = RecordingDestination()
    dest.fail_next = [RetryableError("down")] * 2
    worker = RouteWorker(store, hub.routes[0], dest, guard=guard, sleep=lambda s: None)
    report = worker.drain()
    assert report.blocked and report.parked == 0 and report.delivered == 0
    assert store.cursors.get("to-shop").position == 0, "nothing is lost: the cursor stayed"
    assert "circuit" in (store.cursors.get("to-shop").last_error or "")
    assert worker.drain().blocked, "still open: no push at all"
    assert len(dest.calls) == 2
    now[0] = 31.0  # half-open: one probe, it succeeds, the circuit closes
    report = worker.drain()
    assert report.delivered == 1 and not report.blocked
    assert guard.breaker.state.value == "closed"


def test_rate_limit_spaces_the_pushes(store: Store) -> None:
    from crossdock.config.hub import CircuitPolicy, RateLimit
    from crossdock.sync.guards import DestinationGuard

    hub = config()
    Ingestor(store, hub).ingest([change("erp", str(i), sku=f"S{i}") for i in range(120)])
    now = [0.0]
    guard = DestinationGuard.for_policy(
        "shop", CircuitPolicy(), RateLimit(per_second=100, burst=50), clock=lambda: now[0]
    )

    def sleep(seconds: float) -> None:
        now[0] += seconds

    worker = RouteWorker(store, hub.routes[0], RecordingDestination(), guard=guard, sleep=sleep)
    assert worker.drain().delivered == 120
    assert now[0] == pytest.approx(0.7), "120 deliveries at 100/s after a burst of 50"


def test_a_long_retry_after_defers_instead_of_holding_the_worker(store: Store) -> None:
    from crossdock.config.hub import CircuitPolicy
    from crossdock.sync.guards import DestinationGuard

    hub = config()
    Ingestor(store, hub).ingest([change("erp", "1", sku="A", description="one")])
    dest = RecordingDestination()
    dest.fail_next = [RetryableError("429", retry_after=3600)]
    slept: list[float] = []
    guard = DestinationGuard.for_policy("shop", CircuitPolicy(failures=10), None)
    report = RouteWorker(store, hub.routes[0], dest, guard=guard, sleep=slept.append).drain()
    assert report.blocked and not slept and report.parked == 0
    assert store.cursors.get("to-shop").position == 0
    assert "Retry-After" in (store.cursors.get("to-shop").last_error or "")


def test_a_partial_batch_waits_for_its_time_limit_and_a_full_one_goes_at_once(
    store: Store,
) -> None:
    route = config().routes[0].model_copy(update={"batch_size": 3, "batch_wait_seconds": 0.3})
    ing = Ingestor(store, config())
    dest = RecordingDestination()
    clock = ManualClock()
    worker = RouteWorker(store, route, dest, clock=clock)
    ing.ingest([change("erp", "1", sku="A"), change("erp", "2", sku="B")])
    report = worker.drain()
    assert report.waiting and not dest.calls
    assert store.cursors.get("to-shop").position == 0
    ing.ingest([change("erp", "3", sku="C")])
    assert worker.drain().delivered == 3  # the size limit closes the batch
    ing.ingest([change("erp", "4", sku="D")])
    assert worker.drain().waiting
    clock.advance(route.batch_wait_seconds / 2)  # D is younger than that still
    assert worker.drain().waiting and len(dest.calls) == 1
    clock.advance(60)  # well past the time limit, however long the ingests took: it closes
    assert worker.drain().delivered == 1
    assert [d.data["sku"] for d in dest.calls[-1]] == ["D"]


def test_a_record_that_leaves_the_filter_is_withdrawn_and_one_that_enters_is_sent(
    store: Store,
) -> None:
    route = config().routes[0].model_copy(update={"filter": {"status": ["active"]}})
    ing = Ingestor(store, config())
    dest = RecordingDestination()
    worker = RouteWorker(store, route, dest)
    ing.ingest([change("erp", "1", sku="A", description="one", status="active")])
    ing.ingest([change("erp", "2", sku="B", description="two", status="discontinued")])
    worker.drain()
    assert [(d.data.get("sku"), d.op) for c in dest.calls for d in c] == [("A", ChangeOp.UPSERT)]

    dest.calls.clear()  # A leaves the filter, then changes again in the same batch
    ing.ingest([change("erp", "1", T0 + timedelta(1), status="discontinued")])
    ing.ingest([change("erp", "1", T0 + timedelta(2), description="one, gone")])
    ing.ingest([change("erp", "2", T0 + timedelta(1), description="two, still out")])
    worker.drain()
    sent = [d for c in dest.calls for d in c]
    assert [(d.op, d.data) for d in sent] == [(ChangeOp.DELETE, {})], "withdrawn, B never sent"

    dest.calls.clear()  # B enters the filter by a field the route does not even send
    ing.ingest([change("erp", "2", T0 + timedelta(3), status="active")])
    worker.drain()
    sent = [d for c in dest.calls for d in c]
    assert [(d.op, d.data["sku"]) for d in sent] == [(ChangeOp.UPSERT, "B")]
