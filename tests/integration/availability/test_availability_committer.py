"""Group commit: many callers, one transaction; a refused write fails alone, a DB error reruns."""

from __future__ import annotations

import asyncio
import random
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import text

from crossdock.config.availability import AvailabilityConfig
from crossdock.config.hub import HubConfig
from crossdock.errors import InvalidInput
from crossdock.services.availability import AvailabilityService, WmsEvent
from crossdock.services.availability.committer import GroupCommitter
from crossdock.store import Store
from crossdock.store.availability import StockStore, StockTx
from crossdock.sync.runtime import Hub

pytestmark = pytest.mark.integration


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    s = Store.open(store_url)
    yield s
    s.close()


def test_writes_share_commits_and_fail_alone(store: Store) -> None:
    stock = StockStore(store)

    def solo(work: Any) -> Any:
        with stock.write() as stx:
            return work(stx)

    committer = GroupCommitter(store, solo, max_batch=16)
    now = datetime.now(UTC)
    with stock.write() as stx:
        stx.ensure_position("A", "W1", now)
    results: dict[int, Any] = {}
    start = threading.Barrier(40)

    def write(i: int) -> None:
        def work(stx: StockTx) -> int:
            stx.change("A", "W1", now, on_hand=1_000_000)
            if i % 10 == 3:
                raise InvalidInput(f"write {i} refused after it wrote", field="n")
            if i % 10 == 7:  # a database error: rerun alone, where it fails again
                stx.conn.execute(text("SELECT * FROM no_such_table"))
            return i

        start.wait()
        try:
            results[i] = committer.submit(work)
        except Exception as exc:
            results[i] = exc

    threads = [threading.Thread(target=write, args=(i,)) for i in range(40)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    refused = [i for i, r in results.items() if isinstance(r, InvalidInput)]
    failed = [i for i, r in results.items() if isinstance(r, Exception) and i not in refused]
    ok = [i for i, r in results.items() if r == i]
    assert sorted(refused) == [i for i in range(40) if i % 10 == 3]
    assert sorted(failed) == [i for i in range(40) if i % 10 == 7]
    assert len(ok) == 32
    pos = stock.position("A", "W1")
    assert pos is not None and pos.on_hand == 32_000_000, "only the writes that succeeded count"


def _solo(stock: StockStore) -> Any:
    def solo(work: Any) -> Any:
        with stock.write() as stx:
            return work(stx)

    return solo


def test_a_failing_last_step_fails_no_write_and_runs_again_after_the_commit(
    store: Store,
) -> None:
    stock = StockStore(store)
    now = datetime.now(UTC)
    with stock.write() as stx:
        stx.ensure_position("A", "W1", now)
    after: list[int] = []

    def last_step(stx: StockTx) -> None:
        stx.change("A", "W1", now, on_hand=500_000)  # rolled back with its savepoint
        raise RuntimeError("publishing failed")

    committer = GroupCommitter(
        store, _solo(stock), end_of_batch=last_step, after_batch=lambda: after.append(1)
    )
    got = committer.submit(lambda stx: stx.change("A", "W1", now, on_hand=1_000_000).on_hand)
    assert got == 1_000_000
    pos = stock.position("A", "W1")
    assert pos is not None and pos.on_hand == 1_000_000, "the write stands, the last step does not"
    assert after == [1], "the drain after the commit runs (it retries what the step could not)"


def test_writes_awaited_from_an_event_loop_get_each_their_own_answer(store: Store) -> None:
    stock = StockStore(store)
    committer = GroupCommitter(store, _solo(stock), max_batch=16)
    now = datetime.now(UTC)
    with stock.write() as stx:
        stx.ensure_position("A", "W1", now)

    def work(i: int) -> Any:
        def write(stx: StockTx) -> int:
            stx.change("A", "W1", now, on_hand=1_000_000)
            if i % 10 == 3:
                raise InvalidInput(f"write {i} refused after it wrote", field="n")
            if i % 10 == 7:
                stx.conn.execute(text("SELECT * FROM no_such_table"))
            return i

        return write

    async def run() -> list[Any]:
        return await asyncio.gather(
            *(committer.submit_async(work(i)) for i in range(40)), return_exceptions=True
        )

    results = asyncio.run(run())
    assert [i for i, r in enumerate(results) if isinstance(r, InvalidInput)] == list(
        range(3, 40, 10)
    )
    assert [i for i, r in enumerate(results) if isinstance(r, Exception) and i % 10 != 3] == list(
        range(7, 40, 10)
    )
    assert [r for r in results if not isinstance(r, Exception)] == [
        i for i in range(40) if i % 10 not in (3, 7)
    ]
    pos = stock.position("A", "W1")
    assert pos is not None and pos.on_hand == 32_000_000


def test_two_writers_batches_of_many_positions_do_not_deadlock(store_url: str) -> None:
    """Two API nodes' group commits, each batch holding several multi-position writes.

    Each write locks its own positions in order, but a batch of them does not; so a
    batch locks every position its writes name first. Without that, PostgreSQL found
    deadlocks here (after its deadlock_timeout, 1 s each) and reran the writes alone.
    """
    cfg = AvailabilityConfig.model_validate({"locations": ["W1"], "publish": {"enabled": False}})
    hub = Hub(HubConfig(availability=cfg), Store.open(store_url))
    try:
        services = [AvailabilityService(hub) for _ in range(2)]
        skus = [f"D{i:02d}" for i in range(40)]
        services[0].feeds.apply_wms_events(
            [
                WmsEvent(
                    idempotency_key=f"seed-{s}",
                    kind="receipt",
                    sku=s,
                    location="W1",
                    quantity=Decimal(1000),
                )
                for s in skus
            ]
        )
        alone: list[int] = []  # writes rerun alone after a database error (a deadlock)
        for svc in services:
            committer = svc.ctx.committer
            assert committer is not None
            committer._solo = lambda work, solo=committer._solo: alone.append(1) or solo(work)
        start = threading.Barrier(16)
        errors: list[BaseException] = []
        moved: dict[str, int] = dict.fromkeys(skus, 0)
        lock = threading.Lock()

        def client(n: int) -> None:
            rnd = random.Random(n)
            try:
                start.wait()
                for b in range(12):
                    chosen = rnd.sample(skus, 10)
                    services[n % 2].feeds.apply_wms_events(
                        [
                            WmsEvent(
                                idempotency_key=f"c{n}-{b}-{s}",
                                kind="adjustment",
                                sku=s,
                                location="W1",
                                quantity=Decimal(1),
                            )
                            for s in chosen
                        ]
                    )
                    with lock:
                        for s in chosen:
                            moved[s] += 1
            except BaseException as exc:  # surfaced below
                errors.append(exc)

        threads = [threading.Thread(target=client, args=(n,)) for n in range(16)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        assert not errors, errors[:3]
        assert not alone, f"{len(alone)} writes ran again alone after a database error"
        for item in services[0].availability(skus):
            assert item.locations[0].buckets.on_hand == 1000 + moved[item.sku], item.sku
    finally:
        hub.close()


def test_confirm_release_and_sweep_name_the_positions_they_lock(
    store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Named, a position is locked with the rest of a batch in sorted order (PostgreSQL).

    Confirm, release and sweep find positions through reservations; unnamed, they
    would lock them after the reservation rows, out of the batch's order.
    """
    from crossdock.services.availability import ReserveRequest
    from crossdock.services.availability.context import Context

    cfg = AvailabilityConfig.model_validate({"locations": ["W1"], "publish": {"enabled": False}})
    hub = Hub(HubConfig(availability=cfg), Store.open(store_url))
    try:
        svc = AvailabilityService(hub)
        svc.feeds.apply_wms_events(
            [
                WmsEvent(idempotency_key=f"seed-{sku}", kind="receipt", sku=sku, location="W1",
                         quantity=Decimal(5))
                for sku in ("L0", "L1")
            ]
        )  # fmt: skip
        held = [
            svc.reservations.reserve(
                ReserveRequest(idempotency_key=f"k{i}", sku=sku, location="W1", quantity=1)
            )
            for i, sku in enumerate(["L1", "L1", "L1", "L0"])
        ]
        with hub.store.engine.begin() as conn:  # the last two are overdue
            conn.execute(
                text("UPDATE reservations SET expires_at = :t WHERE id IN (:a, :b)"),
                {"t": datetime(2020, 1, 1, tzinfo=UTC), "a": held[2].id, "b": held[3].id},
            )
        named: list[list[tuple[str, str]]] = []
        write = Context.write

        def spy(self: Context, work: Any, **kw: Any) -> Any:
            named.append(sorted(kw.get("locks", ())))  # locks come in any order
            return write(self, work, **kw)

        monkeypatch.setattr(Context, "write", spy)
        svc.reservations.confirm(held[0].id, "SO-1")
        svc.reservations.release(held[1].id)
        assert svc.reservations.sweep() == 2
        assert svc.reservations.sweep() == 0  # nothing due: no write at all
        assert named == [[("L1", "W1")], [("L1", "W1")], [("L0", "W1"), ("L1", "W1")]]
        assert [i.locations[0].buckets.reserved for i in svc.availability(["L0", "L1"])] == [0, 0]
    finally:
        hub.close()


@pytest.mark.parametrize("group_commit", [True, False])
def test_reserve_many_answers_each_and_a_refusal_in_its_place(
    store: Store, group_commit: bool
) -> None:
    from crossdock.errors import ConflictError
    from crossdock.services.availability import Reservation, ReserveRequest

    hub = Hub(
        HubConfig(availability=AvailabilityConfig(locations=["W1"], group_commit=group_commit)),
        store,
    )
    svc = AvailabilityService(hub)
    for sku in ("A", "B"):
        svc.feeds.apply_wms_event(
            WmsEvent(idempotency_key=f"r-{sku}", kind="receipt", sku=sku, location="W1", quantity=5)
        )

    def req(key: str, sku: str, qty: int) -> ReserveRequest:
        return ReserveRequest(idempotency_key=key, sku=sku, location="W1", quantity=Decimal(qty))

    got = svc.reservations.reserve_many([req("k1", "A", 3), req("k2", "B", 9), req("k3", "B", 5)])
    assert isinstance(got[0], Reservation) and got[0].quantity == 3
    assert isinstance(got[1], ConflictError)  # too little: refused in its place
    assert isinstance(got[2], Reservation) and got[2].quantity == 5
    again = svc.reservations.reserve_many([req("k1", "A", 3)])  # the same key: replayed
    assert isinstance(again[0], Reservation) and again[0].id == got[0].id
    (a, b) = svc.availability(["A", "B"])
    assert (a.locations[0].buckets.reserved, b.locations[0].buckets.reserved) == (3, 5)


def test_reserve_many_of_distinct_positions_answers_as_one_at_a_time(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Distinct positions go in one statement on PostgreSQL; each answers as alone would."""
    from crossdock.errors import ConflictError, NotFound
    from crossdock.services.availability import Reservation, ReserveRequest

    together: list[int] = []
    many = StockTx.reserve_new_many

    def spy(self: StockTx, rows: Any, now: datetime) -> Any:
        together.append(len(rows))
        return many(self, rows, now)

    monkeypatch.setattr(StockTx, "reserve_new_many", spy)
    hub = Hub(HubConfig(availability=AvailabilityConfig(locations=["W1"])), store)
    svc = AvailabilityService(hub)
    for sku in ("A", "B", "C", "D", "E"):
        svc.feeds.apply_wms_event(
            WmsEvent(idempotency_key=f"r-{sku}", kind="receipt", sku=sku, location="W1", quantity=5)
        )

    def req(key: str, sku: str, qty: int) -> ReserveRequest:
        return ReserveRequest(idempotency_key=key, sku=sku, location="W1", quantity=Decimal(qty))

    try:
        first = svc.reservations.reserve_many([req("k1", "A", 2), req("old", "D", 5)])
        assert all(isinstance(r, Reservation) for r in first)
        with store.engine.begin() as conn:  # the hold on D is overdue: a reserve expires it
            conn.execute(
                text("UPDATE reservations SET expires_at = :t WHERE idempotency_key = 'old'"),
                {"t": datetime(2000, 1, 1, tzinfo=UTC)},
            )
        got = svc.reservations.reserve_many(
            [
                req("k1", "A", 2),  # replayed
                req("k2", "B", 9),  # too little
                req("k3", "C", 5),  # all of it
                req("k4", "D", 4),  # after the overdue hold expires
                req("k5", "NOPE", 1),  # no position
                req("k1x", "E", 1),
            ]
        )
        assert isinstance(got[0], Reservation) and got[0].replayed
        assert got[0].id == first[0].id  # type: ignore[union-attr]
        assert isinstance(got[1], ConflictError)
        assert isinstance(got[2], Reservation) and got[2].quantity == 5
        assert isinstance(got[3], Reservation) and got[3].quantity == 4
        assert isinstance(got[4], NotFound)
        assert isinstance(got[5], Reservation)
        clash = svc.reservations.reserve_many([req("k3", "C", 4), req("k6", "E", 1)])
        assert isinstance(clash[0], ConflictError)  # the key names another reservation
        assert isinstance(clash[1], Reservation)
        reserved = [i.locations[0].buckets.reserved for i in svc.availability(list("ABCDE"))]
        assert reserved == [2, 0, 5, 4, 2]
        if not store.stock.serial_writers:
            assert together == [2, 6, 2]
    finally:
        hub.close()


def test_reserve_many_never_oversells_under_racing_batches(store: Store) -> None:
    """Batches over overlapping positions from many threads: never more than on hand, no hang."""
    from crossdock.services.availability import Reservation, ReserveRequest

    hub = Hub(HubConfig(availability=AvailabilityConfig(locations=["W1"])), store)
    svc = AvailabilityService(hub)
    skus = [f"R{i}" for i in range(6)]
    for sku in skus:
        svc.feeds.apply_wms_event(
            WmsEvent(idempotency_key=f"r-{sku}", kind="receipt", sku=sku, location="W1", quantity=7)
        )
    granted: dict[str, Decimal] = dict.fromkeys(skus, Decimal(0))
    lock = threading.Lock()

    def caller(n: int) -> None:
        rnd = random.Random(n)
        for k in range(6):
            picked = rnd.sample(skus, 4)
            reqs = [
                ReserveRequest(
                    idempotency_key=f"t{n}-{k}-{s}", sku=s, location="W1", quantity=Decimal(2)
                )
                for s in picked
            ]
            for s, r in zip(picked, svc.reservations.reserve_many(reqs), strict=True):
                if isinstance(r, Reservation):
                    with lock:
                        granted[s] += r.quantity

    try:
        threads = [threading.Thread(target=caller, args=(n,)) for n in range(8)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        for item in svc.availability(skus):
            b = item.locations[0].buckets
            assert b.reserved == granted[item.sku] <= 7
            assert b.reserved == 6  # 2 at a time out of 7: three granted, the rest refused
    finally:
        hub.close()
