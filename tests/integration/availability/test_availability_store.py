"""The availability service on a real store (SQLite file and PostgreSQL).

Reservations race for the last units and never oversell; an ERP snapshot that
disagrees with the event-fed state while picks are in flight is reconciled as
the precedence says; bad input is a clear error or an idempotent no-op.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select, update

from crossdock.config.availability import AvailabilityConfig, ChannelRule, Precedence, PublishRule
from crossdock.config.hub import HubConfig
from crossdock.errors import ConflictError, ErrorCode, InvalidInput, NotFound
from crossdock.model.base import EntityType
from crossdock.services.availability import (
    AvailabilityService,
    ErpSnapshot,
    ReserveRequest,
    Resolution,
    WmsEvent,
)
from crossdock.store import Store
from crossdock.store import schema as t
from crossdock.sync.runtime import Hub

pytestmark = pytest.mark.integration
D = Decimal
NOW = datetime.now(UTC)


def make(store_url: str, **cfg: object) -> Hub:
    avail = AvailabilityConfig.model_validate({"locations": ["W1", "W2"], **cfg})
    return Hub(HubConfig(availability=avail), Store.open(store_url))


@pytest.fixture
def hub(store_url: str) -> Iterator[Hub]:
    h = make(store_url, channels=[{"name": "web", "ring_fence_units": "3"}])
    yield h
    h.close()


def receive(svc: AvailabilityService, sku: str, loc: str, qty: str, key: str, **kw: object) -> None:
    svc.feeds.apply_wms_event(
        WmsEvent.model_validate(
            {
                "idempotency_key": key,
                "kind": "receipt",
                "sku": sku,
                "location": loc,
                "quantity": qty,
            }
            | kw
        )
    )


@pytest.mark.parametrize("mode", ["each_alone", "group_commit_two_nodes"])
def test_64_clients_racing_for_the_last_units_never_oversell(store_url: str, mode: str) -> None:
    """Each client's write in its own transaction (the database arbitrates), or shared
    transactions from two services on one store (two API nodes, each a writer thread)."""
    hub = make(store_url, group_commit=mode != "each_alone")
    try:
        _race(hub, [AvailabilityService(hub) for _ in range(1 if mode == "each_alone" else 2)])
    finally:
        hub.close()


def _race(hub: Hub, services: list[AvailabilityService]) -> None:
    svc = services[0]
    skus = [f"S{i:02d}" for i in range(24)]
    for sku in skus:
        receive(svc, sku, "W1", "5", f"r-{sku}")
    start = threading.Barrier(64)
    errors: list[BaseException] = []
    won: list[tuple[str, D]] = []
    lock = threading.Lock()

    def client(n: int) -> None:
        rnd = random.Random(n)
        try:
            start.wait()
            for i in range(6):
                sku = rnd.choice(skus)
                q = D(rnd.choice([1, 1, 2, 3]))
                req = ReserveRequest(
                    idempotency_key=f"c{n}-{i}", sku=sku, location="W1", quantity=q
                )
                try:
                    services[n % len(services)].reservations.reserve(req)
                except ConflictError as exc:
                    if exc.code is not ErrorCode.INSUFFICIENT_STOCK:
                        raise
                    continue
                with lock:
                    won.append((sku, q))
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(64)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert not errors, errors[:3]
    held = {sku: sum((q for s, q in won if s == sku), D(0)) for sku in skus}
    for item in svc.availability(skus):
        (loc,) = item.locations
        assert loc.buckets.reserved == held[item.sku] <= D(5), item.sku
        assert loc.buckets.on_hand == D(5) and loc.atp == D(5) - held[item.sku] >= 0
    with hub.store.engine.connect() as conn:
        rows = conn.execute(select(t.stock_positions.c.reserved)).all()
        assert all(r[0] >= 0 for r in rows)
        n = conn.execute(select(t.reservations.c.id).where(t.reservations.c.status == "held"))
        assert len(n.all()) == len(won)
    assert sum(held.values()) > D(len(skus) * 3), "the race should sell most of the stock"


def test_reservation_lifecycle_and_channel_fence(hub: Hub) -> None:
    svc = AvailabilityService(hub)
    receive(svc, "A", "W1", "10", "r1")
    r = svc.reservations.reserve(
        ReserveRequest(idempotency_key="k1", sku="A", location="W1", quantity=D(2), channel="web")
    )
    again = svc.reservations.reserve(
        ReserveRequest(idempotency_key="k1", sku="A", location="W1", quantity=D(2), channel="web")
    )
    assert again.id == r.id and again.replayed
    with pytest.raises(ConflictError, match="idempotency_key"):
        svc.reservations.reserve(
            ReserveRequest(idempotency_key="k1", sku="A", location="W1", quantity=D(3))
        )
    with pytest.raises(ConflictError) as exc:  # web sees at most 3 units
        svc.reservations.reserve(
            ReserveRequest(
                idempotency_key="k2", sku="A", location="W1", quantity=D(4), channel="web"
            )
        )
    assert exc.value.code is ErrorCode.INSUFFICIENT_STOCK
    confirmed = svc.reservations.confirm(r.id, "SO-1")
    assert confirmed.status.value == "confirmed" and confirmed.order_ref == "SO-1"
    assert svc.reservations.confirm(r.id).replayed  # idempotent
    (item,) = svc.availability(["A"])
    b = item.locations[0].buckets
    assert (b.on_hand, b.allocated, b.reserved, item.atp) == (D(10), D(2), D(0), D(8))
    with pytest.raises(ConflictError, match="confirmed"):
        svc.reservations.release(r.id)
    # A pick of the order takes on hand and its allocation.
    svc.feeds.apply_wms_event(
        WmsEvent(idempotency_key="p1", kind="pick", sku="A", location="W1", quantity=D(2))
    )
    (item,) = svc.availability(["A"])
    b = item.locations[0].buckets
    assert (b.on_hand, b.allocated, item.atp) == (D(8), D(0), D(8))
    r2 = svc.reservations.reserve(
        ReserveRequest(idempotency_key="k3", sku="A", location="W1", quantity=D(5))
    )
    assert svc.reservations.release(r2.id).status.value == "released"
    assert svc.reservations.release(r2.id).replayed
    assert svc.availability(["A"])[0].atp == D(8)


def test_shipping_consumes_an_allocation_once_per_key_and_never_more(hub: Hub) -> None:
    """A held reservation that ships is confirmed first; the same key again changes nothing;
    more than it allocated is refused; the pick (the stock feed) moves the position."""
    svc = AvailabilityService(hub)
    receive(svc, "A", "W1", "10", "r1")
    r = svc.reservations.reserve(
        ReserveRequest(idempotency_key="k1", sku="A", location="W1", quantity=D(4))
    )
    first = svc.reservations.ship(r.id, D(3), "shp-1:1")
    assert (first.reservation.status.value, first.shipped, first.remaining) == (
        "confirmed",
        D(3),
        D(1),
    )
    (item,) = svc.availability(["A"])
    b = item.locations[0].buckets
    assert (b.on_hand, b.reserved, b.allocated) == (D(10), D(0), D(4))  # confirmed, not moved
    again = svc.reservations.ship(r.id, D(3), "shp-1:1")
    assert again.replayed and again.shipped == D(3)
    with pytest.raises(ConflictError, match="another shipment"):
        svc.reservations.ship(r.id, D(1), "shp-1:1")
    with pytest.raises(ConflictError) as over:
        svc.reservations.ship(r.id, D(2), "shp-2:1")
    assert over.value.code is ErrorCode.OVER_SHIPPED
    last = svc.reservations.ship(r.id, D(1), "shp-2:1")
    assert (last.reservation.status.value, last.remaining) == ("shipped", D(0))
    assert svc.reservations.release(r.id).replayed  # nothing left to give back
    # The goods leave in the WMS: its pick takes on hand and the allocation, once.
    svc.feeds.apply_wms_event(
        WmsEvent(idempotency_key="p1", kind="pick", sku="A", location="W1", quantity=D(4))
    )
    (item,) = svc.availability(["A"])
    b = item.locations[0].buckets
    assert (b.on_hand, b.reserved, b.allocated, item.atp) == (D(6), D(0), D(0), D(6))
    released = svc.reservations.reserve(
        ReserveRequest(idempotency_key="k2", sku="A", location="W1", quantity=D(1))
    )
    svc.reservations.release(released.id)
    with pytest.raises(ConflictError, match="released"):
        svc.reservations.ship(released.id, D(1), "shp-3:1")


def _expire(hub: Hub, rid: str) -> None:
    with hub.store.write() as tx:
        tx.conn.execute(
            update(t.reservations)
            .where(t.reservations.c.id == rid)
            .values(expires_at=datetime.now(UTC) - timedelta(seconds=5))
        )


def test_expired_reservations_give_stock_back(hub: Hub) -> None:
    svc = AvailabilityService(hub)
    receive(svc, "A", "W1", "6", "r1")
    a = svc.reservations.reserve(
        ReserveRequest(idempotency_key="a", sku="A", location="W1", quantity=D(2))
    )
    b = svc.reservations.reserve(
        ReserveRequest(idempotency_key="b", sku="A", location="W1", quantity=D(4))
    )
    _expire(hub, a.id)
    assert svc.reservations.sweep() == 1
    assert svc.reservations.sweep() == 0
    assert svc.availability(["A"])[0].atp == D(2)
    with pytest.raises(ConflictError) as exc:
        svc.reservations.confirm(a.id)
    assert exc.value.code is ErrorCode.RESERVATION_EXPIRED
    # Not swept yet: confirming expires it on the spot and gives the units back.
    _expire(hub, b.id)
    with pytest.raises(ConflictError) as exc:
        svc.reservations.confirm(b.id)
    assert exc.value.code is ErrorCode.RESERVATION_EXPIRED
    assert svc.availability(["A"])[0].atp == D(6)
    # A reserve that finds too little first expires what is overdue at the position.
    c = svc.reservations.reserve(
        ReserveRequest(idempotency_key="c", sku="A", location="W1", quantity=D(6))
    )
    _expire(hub, c.id)
    d = svc.reservations.reserve(
        ReserveRequest(idempotency_key="d", sku="A", location="W1", quantity=D(6))
    )
    assert d.status.value == "held"
    assert svc.reservations.get(c.id).status.value == "expired"


@pytest.mark.parametrize("owner", ["wms", "erp"])
def test_snapshot_with_picks_in_flight_is_reconciled_by_precedence(
    store_url: str, owner: str
) -> None:
    hub = make(store_url, precedence=Precedence.model_validate({"on_hand": owner}))
    try:
        svc = AvailabilityService(hub)
        t0 = NOW - timedelta(minutes=30)
        events = [
            ("e1", "receipt", "100", t0),
            ("e2", "pick", "10", t0 + timedelta(minutes=5)),
            ("e3", "pick", "5", t0 + timedelta(minutes=20)),  # after the snapshot: in flight
            ("e4", "receipt", "1", t0 + timedelta(minutes=21)),  # in flight too
        ]
        for key, kind, q, at in events:
            svc.feeds.apply_wms_event(
                WmsEvent.model_validate(
                    {
                        "idempotency_key": key,
                        "kind": kind,
                        "sku": "A",
                        "location": "W1",
                        "quantity": q,
                        "occurred_at": at.isoformat(),
                    }
                )
            )
        assert svc.availability(["A"])[0].locations[0].buckets.on_hand == D(86)
        snap = ErpSnapshot.model_validate(
            {
                "as_of": (t0 + timedelta(minutes=10)).isoformat(),
                "items": [
                    {"sku": "A", "location": "W1", "on_hand": "88", "on_hold": "3"},
                    {"sku": "B", "location": "W2", "on_hand": "40"},
                ],
            }
        )
        lines = {(x.sku, x.location): x for x in svc.feeds.apply_erp_snapshot(snap)}
        a = lines[("A", "W1")]
        # The ERP saw 100 - 10 = 90 at as_of; it says 88: drift -2, whoever wins.
        assert (a.expected, a.in_flight, a.drift, a.reported) == (D(90), D(-4), D(-2), True)
        b = lines[("B", "W2")]
        assert (b.on_hand, b.resolution, b.reported) == (D(40), Resolution.ADOPTED, False)
        pos = svc.availability(["A"])[0].locations[0]
        if owner == "wms":
            assert a.resolution is Resolution.KEPT_WMS and pos.buckets.on_hand == D(86)
        else:  # the snapshot wins, the picks and receipts in flight are replayed on top
            assert a.resolution is Resolution.APPLIED_ERP and pos.buckets.on_hand == D(84)
        assert pos.buckets.on_hold == D(3)  # ERP owns holds by default
        (drift,) = svc.stock.drift(sku="A")
        assert (drift.location, drift.drift, drift.in_flight) == ("W1", -2_000_000, -4_000_000)
        assert drift.resolution == a.resolution.value
        # The same snapshot again is reported again but moves nothing more.
        svc.feeds.apply_erp_snapshot(snap)
        assert svc.availability(["A"])[0].locations[0].buckets.on_hand == pos.buckets.on_hand
    finally:
        hub.close()


def test_bad_input_is_refused_or_an_idempotent_no_op(hub: Hub) -> None:
    svc = AvailabilityService(hub)
    receive(svc, "A", "W1", "5", "r1")
    receive(svc, "A", "W1", "5", "r1")  # duplicate: a no-op
    assert svc.availability(["A"])[0].atp == D(5)
    with pytest.raises(NotFound, match="sku"):
        svc.availability(["NOPE"])
    with pytest.raises(InvalidInput) as bad_loc:
        svc.availability(["A"], locations=["W9"])
    assert bad_loc.value.field == "location"
    with pytest.raises(NotFound, match="channel"):
        svc.availability(["A"], channel="fax")
    with pytest.raises(InvalidInput) as neg:
        svc.feeds.apply_wms_event(
            WmsEvent(idempotency_key="x", kind="receipt", sku="A", location="W1", quantity=D(-1))
        )
    assert neg.value.field == "quantity"
    with pytest.raises(InvalidInput) as loc:
        receive(svc, "A", "W9", "1", "x2")
    assert loc.value.field == "location"
    with pytest.raises(NotFound):  # nothing to pick from
        svc.feeds.apply_wms_event(
            WmsEvent(idempotency_key="x3", kind="pick", sku="B", location="W1", quantity=D(1))
        )
    with pytest.raises(InvalidInput, match="time zone"):
        svc.feeds.apply_wms_event(
            WmsEvent(
                idempotency_key="x4",
                kind="adjustment",
                sku="A",
                location="W1",
                quantity=D(1),
                occurred_at=datetime(2026, 1, 1),
            )
        )
    with pytest.raises(NotFound):
        svc.reservations.reserve(
            ReserveRequest(idempotency_key="k", sku="B", location="W1", quantity=D(1))
        )
    with pytest.raises(NotFound):
        svc.reservations.confirm("rsv_nope")
    with pytest.raises(NotFound):
        svc.reservations.release("rsv_nope")
    with pytest.raises(InvalidInput, match="six decimal"):
        svc.reservations.reserve(
            ReserveRequest(idempotency_key="k", sku="A", location="W1", quantity=D("0.0000001"))
        )
    with pytest.raises(InvalidInput, match="twice"):
        svc.feeds.apply_erp_snapshot(
            ErpSnapshot.model_validate(
                {
                    "as_of": NOW.isoformat(),
                    "items": [
                        {"sku": "A", "location": "W1", "on_hand": "1"},
                        {"sku": "A", "location": "W1", "on_hand": "2"},
                    ],
                }
            )
        )
    # Nothing of the refused input was written.
    (item,) = svc.availability(["A"])
    assert (item.atp, item.locations[0].buckets.on_hand) == (D(5), D(5))
    assert svc.stock.reservations() == []


def test_availability_changes_are_published_past_the_threshold(store_url: str) -> None:
    hub = make(
        store_url,
        publish=PublishRule(levels=[D(5)]),
        channels=[ChannelRule(name="web", ring_fence_percent=D(50))],
    )
    try:
        svc = AvailabilityService(hub)
        receive(svc, "A", "W1", "10", "r1")  # first figure: published (10)

        def reserve(key: str, q: int) -> None:
            svc.reservations.reserve(
                ReserveRequest(idempotency_key=key, sku="A", location="W1", quantity=D(q))
            )

        reserve("a", 1)  # 9: noise
        reserve("b", 2)  # 7: noise
        reserve("c", 2)  # 5: the level
        reserve("d", 1)  # 4: noise below
        reserve("e", 4)  # 0: always
        events = hub.store.outbox.after(0, entity_types=[EntityType.INVENTORY])
        assert [e.data["available"] for e in events] == ["10", "5", "0"]
        assert events[0].data["available_by_channel"] == {"web": "5"}
        assert {e.source_system for e in events} == {"crossdock-atp"}
        (rec,) = hub.store.records.page(EntityType.INVENTORY)
        assert rec.data["sku"] == "A" and rec.data["available"] == "0"
    finally:
        hub.close()


def test_time_phased_availability_from_inbound(hub: Hub) -> None:
    svc = AvailabilityService(hub)
    today = datetime.now(UTC).date()
    receive(svc, "A", "W1", "2", "r1")
    svc.feeds.apply_erp_snapshot(
        ErpSnapshot.model_validate(
            {
                "as_of": datetime.now(UTC).isoformat(),
                "items": [
                    {
                        "sku": "A",
                        "location": "W1",
                        "on_hand": "2",
                        "inbound": [
                            {
                                "reference": "PO-1",
                                "quantity": "10",
                                "eta": (today + timedelta(days=3)).isoformat(),
                            },
                            {
                                "reference": "TR-1",
                                "quantity": "4",
                                "eta": (today + timedelta(days=7)).isoformat(),
                                "kind": "transfer",
                            },
                        ],
                    }
                ],
            }
        )
    )
    (item,) = svc.availability(["A"], on=today + timedelta(days=5))
    assert item.projected_atp == D(12)
    assert [q for _, q in item.locations[0].timeline] == [D(2), D(12), D(16)]
    # Receiving part of PO-1 turns expected stock into stock on hand.
    receive(svc, "A", "W1", "6", "r2", reference="PO-1")
    (item,) = svc.availability(["A"], on=today + timedelta(days=5))
    assert item.atp == D(8) and item.projected_atp == D(12)
    assert [(i.reference, i.quantity) for i in item.locations[0].inbound] == [
        ("PO-1", D(4)),
        ("TR-1", D(4)),
    ]


def test_a_publish_decided_but_not_yet_sent_survives_for_the_next_drain(
    store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    hub = make(store_url, group_commit=False)
    try:
        svc = AvailabilityService(hub)
        receive(svc, "A", "W1", "1", "r1")
        # The process "dies" after the reservation commits and before it drains.
        monkeypatch.setattr(svc.ctx.publisher, "drain_if_pending", lambda: 0)
        svc.reservations.reserve(
            ReserveRequest(idempotency_key="a", sku="A", location="W1", quantity=D(1))
        )
        events = hub.store.outbox.after(0, entity_types=[EntityType.INVENTORY])
        assert [e.data["available"] for e in events] == ["1"]
        # A new process: its first drain sends what the queue kept.
        fresh = AvailabilityService(hub)
        assert fresh.ctx.publisher.drain() == 1
        events = hub.store.outbox.after(0, entity_types=[EntityType.INVENTORY])
        assert [e.data["available"] for e in events] == ["1", "0"]
        assert fresh.ctx.publisher.drain() == 0
    finally:
        hub.close()


def test_each_sync_pass_sweeps_expired_reservations(hub: Hub) -> None:
    from crossdock.app import Application

    application = Application(hub)
    application.attach_steps()
    svc = application.availability
    receive(svc, "A", "W1", "5", "r-sweep")
    held = svc.reservations.reserve(
        ReserveRequest(idempotency_key="s", sku="A", location="W1", quantity=D(5))
    )
    assert svc.availability(["A"])[0].atp == D(0)
    _expire(hub, held.id)
    hub.sync_once()  # what `crossdock serve` runs every interval
    assert svc.reservations.get(held.id).status.value == "expired"
    assert svc.availability(["A"])[0].atp == D(5)
