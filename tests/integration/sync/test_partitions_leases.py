"""Partitions and leases: several workers on one store share a route, never the same partition."""

from __future__ import annotations

import threading
import zlib
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import BaseModel
from sqlalchemy import select, update

from crossdock.clock import ManualClock
from crossdock.config.hub import HubConfig, RouteConfig, SystemConfig
from crossdock.connectors.base import Connector, Delivery, DeliveryResult, DeliveryStatus
from crossdock.connectors.registry import register
from crossdock.model.base import EntityType
from crossdock.model.change import Change
from crossdock.store import Store
from crossdock.store import schema as t
from crossdock.store.leases import LeaseLost, acquire, hold, release
from crossdock.store.write import BUCKETS
from crossdock.sync.delivery import Lease
from crossdock.sync.runtime import Hub

pytestmark = pytest.mark.integration
P = EntityType.PRODUCT
T0 = datetime(2026, 1, 1, tzinfo=UTC)
ARRIVALS: list[tuple[str, Delivery]] = []
LOCK = threading.Lock()


class Shared:
    """A destination shared by every hub in the test, recording who sent what."""

    def __init__(self, who: str) -> None:
        self.who = who

    def push(self, batch: Sequence[Delivery]) -> list[DeliveryResult]:
        with LOCK:
            ARRIVALS.extend((self.who, d) for d in batch)
        return [DeliveryResult(d.delivery_id, DeliveryStatus.DELIVERED) for d in batch]


class _NoSettings(BaseModel):
    pass


class SharedConnector(Connector):
    kind = "shared-test"
    Settings = _NoSettings

    def destination(self) -> Shared:
        return Shared(self.name)


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    register("shared-test", SharedConnector)
    ARRIVALS.clear()
    s = Store.open(store_url)
    yield s
    s.close()


def config(partitions: int) -> HubConfig:
    return HubConfig(
        systems=[
            SystemConfig(name="erp", kind="files"),
            SystemConfig(name="shop", kind="shared-test"),
        ],
        routes=[
            RouteConfig(
                name="r", entities=[P], destination="shop", partitions=partitions, batch_size=25
            )
        ],
    )


def feed(hub: Hub, n: int, versions: int) -> None:
    for v in range(versions):
        hub.ingest(
            [
                Change(
                    system="erp",
                    entity_type=P,
                    native_id=str(i),
                    data={"sku": f"S{i}", "description": f"v{v}"},
                    source_ts=T0 + timedelta(minutes=v),
                )
                for i in range(n)
            ]
        )


def test_a_lease_is_exclusive_expires_and_fences(store: Store) -> None:
    assert acquire(store, "r", 0, "a", ttl=30) == 1
    assert acquire(store, "r", 0, "b", ttl=30) is None, "held by a"
    assert acquire(store, "r", 0, "a", ttl=30) == 1, "a renews, same token"
    assert acquire(store, "r", 1, "b", ttl=30) == 1, "another partition is free"
    with store.write() as tx:  # a stalls past its lease
        tx.conn.execute(update(t.leases).values(expires_at=T0))
    assert acquire(store, "r", 0, "b", ttl=30) == 2, "b takes over with a new token"
    with pytest.raises(LeaseLost), store.write() as tx:
        hold(tx, "r", 0, "a", 1, ttl=30)


def test_a_lease_runs_out_when_its_time_has_passed_on_the_clock(store: Store) -> None:
    clock = ManualClock()
    assert acquire(store, "r", 0, "a", ttl=2, clock=clock) == 1
    clock.advance(1.5)
    assert acquire(store, "r", 0, "b", ttl=2, clock=clock) is None, "a's lease still runs"
    clock.advance(1)
    assert acquire(store, "r", 0, "b", ttl=2, clock=clock) == 2, "run out: b takes over"
    with pytest.raises(LeaseLost), store.write() as tx:
        hold(tx, "r", 0, "a", 1, ttl=2, clock=clock)


def test_a_hub_takes_a_dead_workers_partition_once_its_lease_runs_out(store: Store) -> None:
    clock = ManualClock()
    hub = Hub(config(1), store, clock=clock)
    feed(hub, 5, 1)
    ttl = hub.config.delivery.lease_seconds
    assert acquire(store, "r", 0, "dead", ttl=ttl, clock=clock) == 1  # then it died
    assert hub.deliver()["r"].delivered == 0, "the dead worker's lease still runs"
    assert store.cursors.get("r", 0).position == 0
    clock.advance(ttl + 1)
    assert hub.deliver()["r"].delivered == 5
    assert hub.route_status()[0].lag_events == 0


def test_a_released_lease_is_free_at_once_and_fences_its_old_holder(store: Store) -> None:
    assert acquire(store, "r", 0, "a", ttl=30) == 1
    release(store, "r", 0, "b", 1)  # not b's to give up: nothing happens
    assert acquire(store, "r", 0, "b", ttl=30) is None
    release(store, "r", 0, "a", 1)
    assert acquire(store, "r", 0, "b", ttl=30) == 2
    with pytest.raises(LeaseLost), store.write() as tx:
        hold(tx, "r", 0, "a", 1, ttl=30)


def test_an_idle_pass_takes_no_lease(store: Store) -> None:
    hub = Hub(config(4), store)
    hub.deliver()
    with store.engine.connect() as conn:
        assert conn.execute(select(t.leases.c.route)).all() == []


def test_two_hubs_share_the_partitions_and_keep_each_entity_in_order(store: Store) -> None:
    a, b = Hub(config(4), store), Hub(config(4), store)
    feed(a, 60, 3)
    threads = [threading.Thread(target=h.deliver) for h in (a, b)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    a.deliver()  # whatever one hub left (its lease was busy), a second pass finishes
    cursors = store.cursors.of_route("r")
    assert [c.partition for c in cursors] == [0, 1, 2, 3]
    last: dict[str, int] = {}
    senders: dict[str, set[str]] = {}
    for who, d in ARRIVALS:
        assert d.version >= last.get(d.entity_id, 0), "an entity's versions never go back"
        last[d.entity_id] = d.version
        senders.setdefault(d.entity_id, set()).add(who)
    assert len(last) == 60 and set(last.values()) == {3}
    ids = [d.delivery_id for _, d in ARRIVALS]
    assert len(ids) == len(set(ids)), "no partition was worked twice"
    status = a.route_status()[0]
    assert status.lag_events == 0 and status.delivered == len(ids)


def test_a_worker_that_lost_its_lease_cannot_move_the_cursor(store: Store) -> None:
    hub = Hub(config(1), store)
    feed(hub, 5, 1)
    token = acquire(store, "r", 0, "old", ttl=30)
    assert token is not None
    with store.write() as tx:
        tx.conn.execute(update(t.leases).values(expires_at=T0))
    assert acquire(store, "r", 0, "new", ttl=30) == token + 1
    stale = hub.worker("r", 0, Lease("old", token, 30))
    with pytest.raises(LeaseLost):
        stale.run_once()
    assert store.cursors.get("r", 0).position == 0, "the stale worker's batch did not count"


def test_lag_counts_exactly_the_events_each_partition_has_still_to_send(store: Store) -> None:
    hub = Hub(config(4), store)
    feed(hub, 40, 2)
    hub.worker("r", 0, None).drain()  # only partition 0 catches up
    events = store.outbox.after(0, limit=1000)
    waiting = [e for e in events if zlib.crc32(e.entity_id.encode()) % BUCKETS % 4 != 0]
    status = hub.route_status()[0]
    assert 0 < status.lag_events == len(waiting) < len(events)
    hub.deliver()
    assert hub.route_status()[0].lag_events == 0
