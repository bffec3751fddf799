"""The batched write paths say and store exactly what one write at a time would.

A WMS batch locks its positions in one statement, computes each event's row
from the locked row and writes one update per position; it must leave the
same positions, the same event history and the same answers as the events
applied one by one. A refused reserve answers from one read of its locked
row. Driver errors on the transaction's own cursor still surface as
SQLAlchemy's, which the race retries and savepoint reruns depend on.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from crossdock.config.availability import AvailabilityConfig
from crossdock.config.hub import HubConfig
from crossdock.errors import ConflictError, ErrorCode, NotFound
from crossdock.model.base import EntityType
from crossdock.services.availability import AvailabilityService, ReserveRequest, WmsEvent
from crossdock.store import Store
from crossdock.store import schema as t
from crossdock.store.availability import ReservationRow, StockStore, StockTx
from crossdock.sync.runtime import Hub

pytestmark = pytest.mark.integration
D = Decimal


@pytest.fixture
def svc(store_url: str) -> Iterator[AvailabilityService]:
    cfg = AvailabilityConfig.model_validate({"locations": ["W1", "W2"]})
    hub = Hub(HubConfig(availability=cfg), Store.open(store_url))
    yield AvailabilityService(hub)
    hub.close()


def _events(prefix: str) -> list[WmsEvent]:
    """Every kind of event, several on one position, a key repeated inside the batch."""
    raw: list[dict[str, Any]] = [
        {"kind": "receipt", "sku": "X", "quantity": "10"},
        {"kind": "pick", "sku": "X", "quantity": "3"},
        {"kind": "adjustment", "sku": "Y", "quantity": "-2", "location": "W2"},
        {"kind": "cycle_count", "sku": "X", "quantity": "4.5"},
        {"kind": "transfer_out", "sku": "X", "quantity": "1"},
        {"kind": "receipt", "sku": "Z", "quantity": "2", "reference": "PO-none"},
        {"kind": "transfer_in", "sku": "Y", "quantity": "4", "location": "W2"},
        {"kind": "pick", "sku": "Z", "quantity": "1"},
        {"kind": "adjustment", "sku": "X", "quantity": "0.25"},
    ]
    out = [
        WmsEvent.model_validate(
            {"idempotency_key": f"{prefix}-{i}", "location": "W1", **e}
            | {"sku": f"{prefix}{e['sku']}"}
        )
        for i, e in enumerate(raw)
    ]
    out.insert(5, out[1])  # the same pick again, inside the batch: a no-op that says so
    out.append(WmsEvent.model_validate(out[0].model_dump() | {"idempotency_key": "seen"}))
    return out


def _prime(svc: AvailabilityService, prefix: str) -> None:
    """Stock and an allocation (a confirmed reservation) before the events, and a seen key."""
    svc.feeds.apply_wms_events(
        [
            WmsEvent.model_validate(
                {
                    "idempotency_key": f"{prefix}-prime",
                    "kind": "receipt",
                    "sku": f"{prefix}X",
                    "location": "W1",
                    "quantity": "5",
                }
            ),
            WmsEvent.model_validate(
                {
                    "idempotency_key": f"{prefix}-prime-y",
                    "kind": "receipt",
                    "sku": f"{prefix}Y",
                    "location": "W2",
                    "quantity": "3",
                }
            ),
        ]
    )
    r = svc.reservations.reserve(
        ReserveRequest(idempotency_key=f"{prefix}-r", sku=f"{prefix}X", location="W1", quantity=2)
    )
    svc.reservations.confirm(r.id, "SO-1")


def test_a_batch_of_events_equals_the_same_events_one_at_a_time(
    svc: AvailabilityService,
) -> None:
    svc.feeds.apply_wms_event(
        WmsEvent(idempotency_key="seen", kind="receipt", sku="Q", location="W1", quantity=D(1))
    )
    _prime(svc, "B")
    _prime(svc, "S")
    batch = svc.feeds.apply_wms_events(_events("B"))
    singles = [svc.feeds.apply_wms_event(e) for e in _events("S")]

    def answer(r: Any) -> tuple[Any, ...]:
        p = r.position
        cols = (p.on_hand, p.allocated, p.reserved, p.version) if p else None
        return (r.key[1:], r.duplicate, p.sku[1:] if p else None, cols)

    assert [answer(r) for r in batch] == [answer(r) for r in singles]
    assert [r.duplicate for r in batch].count(True) == 2

    def stored(prefix: str) -> tuple[Any, ...]:
        p = t.stock_positions.c
        k = t.inventory_event_keys.c
        with svc.store.engine.connect() as conn:
            positions = conn.execute(
                select(p.sku, p.location, p.on_hand, p.allocated, p.reserved, p.version)
                .where(p.sku.like(f"{prefix}%"))
                .order_by(p.sku, p.location)
            ).all()
            keys = conn.execute(
                select(k.key, k.sku, k.kind, k.delta)
                .where(k.sku.like(f"{prefix}%"))
                .order_by(k.key)
            ).all()
        return (
            [(r[0][1:], *r[1:]) for r in positions],
            [(r[0][1:], r[1][1:], *r[2:]) for r in keys],
        )

    assert stored("B") == stored("S")
    x = svc.availability(["BX"])[0].locations[0]
    # 5 + 10, pick 3 (takes the 2 allocated), count 4.5, out 1, +0.25
    assert x.buckets.on_hand == D("3.75") and x.buckets.allocated == 0


def _ev(key: str, kind: str, sku: str, qty: int) -> WmsEvent:
    return WmsEvent(idempotency_key=key, kind=kind, sku=sku, location="W1", quantity=D(qty))


def test_a_batch_with_a_bad_event_writes_nothing(svc: AvailabilityService) -> None:
    svc.feeds.apply_wms_event(_ev("k0", "receipt", "A", 5))
    before = svc.stock.position("A", "W1")
    with pytest.raises(NotFound) as exc:  # found in the writer, after N's row was made
        svc.feeds.apply_wms_events(
            [_ev("k1", "pick", "A", 1), _ev("k2", "receipt", "N", 1), _ev("k3", "pick", "M", 1)]
        )
    assert "events.2.sku" in str(exc.value)
    assert svc.stock.position("A", "W1") == before
    assert svc.stock.position("N", "W1") is None
    with svc.store.engine.connect() as conn:
        keys = conn.execute(select(t.inventory_event_keys.c.key)).scalars().all()
    assert keys == ["k0"]


def test_a_refused_reserve_says_what_there_is_and_changes_nothing(
    svc: AvailabilityService,
) -> None:
    svc.feeds.apply_wms_event(
        WmsEvent(idempotency_key="k0", kind="receipt", sku="A", location="W1", quantity=D(3))
    )
    svc.reservations.reserve(
        ReserveRequest(idempotency_key="a", sku="A", location="W1", quantity=2)
    )
    before = svc.stock.position("A", "W1")
    with pytest.raises(ConflictError) as exc:
        svc.reservations.reserve(
            ReserveRequest(idempotency_key="b", sku="A", location="W1", quantity=2)
        )
    assert exc.value.code is ErrorCode.INSUFFICIENT_STOCK
    assert "only 1 of 'A'" in str(exc.value)
    assert svc.stock.position("A", "W1") == before
    assert svc.stock.reservations(sku="A") and len(svc.stock.reservations(sku="A")) == 1


def test_driver_errors_on_the_raw_cursor_are_sqlalchemy_errors(store_url: str) -> None:
    store = Store.open(store_url)
    try:
        stock = StockStore(store)
        now = datetime.now(UTC)
        row = ReservationRow("rsv_1", "key-1", "A", "W1", None, 1, "held", None, now, now)
        with stock.write() as stx:
            stx.insert_reservation(row, now)
        with pytest.raises(IntegrityError), stock.write() as stx:
            stx.insert_reservation(row, now)
        assert stock.reservation("rsv_1") is not None
    finally:
        store.close()


def test_the_one_statement_reserve_grants_replays_and_refuses_as_the_three_did(
    store_url: str,
) -> None:
    """PostgreSQL's one-round-trip reserve: key lookup, conditional update and insert."""
    store = Store.open(store_url)
    try:
        stock = StockStore(store)
        now = datetime.now(UTC)
        with stock.write() as stx:
            if not stx.reserves_in_one_statement:
                with pytest.raises(NotImplementedError):
                    stx.reserve_new(
                        ReservationRow("r", "k", "A", "W1", None, 1, "held", None, now, now), now
                    )
                return
            stx.ensure_position("A", "W1", now)
            stx.change("A", "W1", now, on_hand=3_000_000)
        before = stock.position("A", "W1")
        assert before is not None

        def held(rid: str, key: str, qty: int, sku: str = "A") -> ReservationRow:
            return ReservationRow(rid, key, sku, "W1", "web", qty, "held", None, now, now)

        first = held("rsv_a", "key-a", 2_000_000)
        with stock.write() as stx:
            pos, found = stx.reserve_new(first, now)
        assert found is None and pos is not None
        assert (pos.reserved, pos.version) == (2_000_000, before.version + 1)
        assert stock.reservation("rsv_a") == first
        after = stock.position("A", "W1")
        with stock.write() as stx:  # the key again (even for other units): nothing written
            pos, found = stx.reserve_new(held("rsv_b", "key-a", 1_000_000), now)
        assert (pos, found) == (None, first)
        with stock.write() as stx:  # more than is left: nothing written
            assert stx.reserve_new(held("rsv_c", "key-c", 2_000_000), now) == (None, None)
        with stock.write() as stx:  # no such position
            assert stx.reserve_new(held("rsv_d", "key-d", 1, sku="NONE"), now) == (None, None)
        assert stock.position("A", "W1") == after
        assert [r.id for r in stock.reservations()] == ["rsv_a"]
    finally:
        store.close()


def test_a_write_that_queues_no_publish_asks_nothing_of_the_queue(
    store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg = AvailabilityConfig.model_validate({"locations": ["W1"], "publish": {"levels": ["0"]}})
    hub = Hub(HubConfig(availability=cfg), Store.open(store_url))
    try:
        svc = AvailabilityService(hub)
        svc.feeds.apply_wms_event(
            WmsEvent(idempotency_key="r", kind="receipt", sku="A", location="W1", quantity=D(10))
        )  # the first figure: published
        taken: list[int] = []
        real = StockTx.take_publish

        def take(stx: StockTx, limit: int) -> Any:
            taken.append(limit)
            return real(stx, limit)

        monkeypatch.setattr(StockTx, "take_publish", take)
        svc.reservations.reserve(
            ReserveRequest(idempotency_key="a", sku="A", location="W1", quantity=1)
        )  # 10 -> 9 crosses no level: nothing queued, no statement on the queue
        assert taken == []
        svc.reservations.reserve(
            ReserveRequest(idempotency_key="b", sku="A", location="W1", quantity=9)
        )  # 9 -> 0: published, in the batch's own transaction
        assert len(taken) == 1
        events = hub.store.outbox.after(0, entity_types=[EntityType.INVENTORY])
        assert [e.data["available"] for e in events] == ["10", "0"]
    finally:
        hub.close()
