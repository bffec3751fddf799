"""Rate limit and circuit breaker kept in the store: shared by every worker of a destination.

Two ``Store`` objects on one database stand for two worker processes (each
has its own engine and connections); the clock is driven by hand.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from crossdock.config.hub import CircuitPolicy, RateLimit
from crossdock.store import Store
from crossdock.sync.guards import CircuitState, DestinationGuard

pytestmark = pytest.mark.integration


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def two_workers(store_url: str) -> Iterator[tuple[Store, Store]]:
    a = Store.open(store_url)
    b = Store.open(store_url, migrate=False)
    yield a, b
    a.close()
    b.close()


def guards(
    stores: tuple[Store, Store], clock: Clock, rate: RateLimit | None = None
) -> tuple[DestinationGuard, DestinationGuard]:
    policy = CircuitPolicy(failures=3, open_seconds=10)
    return (
        DestinationGuard.shared(stores[0], "portal", policy, rate, clock),
        DestinationGuard.shared(stores[1], "portal", policy, rate, clock),
    )


def test_the_rate_limit_is_one_bucket_for_all_workers(two_workers: tuple[Store, Store]) -> None:
    clock = Clock()
    a, b = guards(two_workers, clock, RateLimit(per_second=10, burst=5))
    assert a.bucket is not None and b.bucket is not None
    assert a.bucket.reserve(3) == 0
    assert b.bucket.reserve(2) == 0  # the burst is spent between the two
    assert a.bucket.reserve(1) == pytest.approx(0.1)
    assert b.bucket.reserve(1) == pytest.approx(0.2)  # queued behind a's debt
    clock.now += 10
    assert b.bucket.reserve(5) == 0  # refilled, capped at the burst
    assert a.bucket.reserve(1) == pytest.approx(0.1)


def test_other_destinations_have_their_own_bucket(two_workers: tuple[Store, Store]) -> None:
    clock = Clock()
    policy = CircuitPolicy()
    rate = RateLimit(per_second=1, burst=1)
    portal = DestinationGuard.shared(two_workers[0], "portal", policy, rate, clock)
    wms = DestinationGuard.shared(two_workers[1], "wms", policy, rate, clock)
    assert portal.bucket is not None and wms.bucket is not None
    assert portal.bucket.reserve(1) == 0
    assert wms.bucket.reserve(1) == 0


def test_a_circuit_opened_by_one_worker_is_open_for_the_other(
    two_workers: tuple[Store, Store],
) -> None:
    clock = Clock()
    a, b = guards(two_workers, clock)
    a.breaker.record_failure()
    b.breaker.record_failure()  # consecutive failures count across workers
    assert a.breaker.state is CircuitState.CLOSED
    a.breaker.record_failure()
    assert b.breaker.state is CircuitState.OPEN
    assert not b.breaker.allow()
    clock.now += 10
    assert b.breaker.state is CircuitState.HALF_OPEN
    assert b.breaker.allow()  # b takes the one probe ...
    assert not a.breaker.allow()  # ... so a waits
    b.breaker.record_success()
    assert a.breaker.state is CircuitState.CLOSED
    assert a.breaker.allow()


def test_a_failed_probe_opens_the_circuit_again(two_workers: tuple[Store, Store]) -> None:
    clock = Clock()
    a, b = guards(two_workers, clock)
    for _ in range(3):
        a.breaker.record_failure()
    clock.now += 10
    assert a.breaker.allow()
    a.breaker.record_failure()
    assert b.breaker.state is CircuitState.OPEN
    clock.now += 9
    assert not b.breaker.allow()


def test_a_probe_claim_lapses_when_its_worker_died(two_workers: tuple[Store, Store]) -> None:
    clock = Clock()
    a, b = guards(two_workers, clock)
    for _ in range(3):
        a.breaker.record_failure()
    clock.now += 10
    assert a.breaker.allow()  # a probes, then dies without a word
    assert not b.breaker.allow()
    clock.now += 10
    assert b.breaker.allow()


def test_a_success_resets_the_failure_count(two_workers: tuple[Store, Store]) -> None:
    clock = Clock()
    a, b = guards(two_workers, clock)
    a.breaker.record_failure()
    a.breaker.record_failure()
    b.breaker.record_success()
    a.breaker.record_failure()
    a.breaker.record_failure()
    assert a.breaker.state is CircuitState.CLOSED


def test_racing_workers_let_exactly_one_probe_through(two_workers: tuple[Store, Store]) -> None:
    clock = Clock()
    a, b = guards(two_workers, clock)
    for _ in range(3):
        a.breaker.record_failure()
    clock.now += 10
    allowed: list[bool] = []
    lock = threading.Lock()
    start = threading.Barrier(8)

    def race(guard: DestinationGuard) -> None:
        start.wait()
        ok = guard.breaker.allow()
        with lock:
            allowed.append(ok)

    threads = [threading.Thread(target=race, args=((a, b)[i % 2],)) for i in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert sorted(allowed) == [False] * 7 + [True]


def test_racing_workers_never_overspend_the_bucket(two_workers: tuple[Store, Store]) -> None:
    """Sixteen threads over two stores take 1 token each: the waits are 16 distinct slots."""
    clock = Clock()
    a, b = guards(two_workers, clock, RateLimit(per_second=100, burst=4))
    waits: list[float] = []
    lock = threading.Lock()
    start = threading.Barrier(16)

    def take(guard: DestinationGuard) -> None:
        assert guard.bucket is not None
        start.wait()
        w = guard.bucket.reserve(1)
        with lock:
            waits.append(w)

    threads = [threading.Thread(target=take, args=((a, b)[i % 2],)) for i in range(16)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert sorted(round(w, 6) for w in waits) == [0.0] * 4 + [i / 100 for i in range(1, 13)]
