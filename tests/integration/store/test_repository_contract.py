"""One contract for the store's repositories, run on SQLite, PostgreSQL and the in-memory twin.

Each test seeds the same rows through the store's own write path
(``store.write()``, ``store.cursors.save``, ``store.parked.park``) and asks
the repositories the same questions; the three backends must give the same
answers, so a unit test on the twin proves what it would prove on a database.
"""

from __future__ import annotations

import zlib
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from crossdock.errors import ErrorCode
from crossdock.model.base import EntityType
from crossdock.store import (
    ExceptionStatus,
    NewException,
    NewParked,
    ParkedStatus,
    StoredRecord,
    dumps,
)
from crossdock.store.bulk import BUCKETS

P = EntityType.PRODUCT
C = EntityType.CUSTOMER
T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def store(any_store: Any) -> Any:
    """A store of each kind (tests/integration/store/conftest.py): the suite runs on all three."""
    return any_store


def _rec(et: EntityType, rid: str, *, deleted: bool = False, v: int = 1) -> StoredRecord:
    return StoredRecord(et, rid, v, {"id": rid, "n": v}, {"n": ["erp", "t"]}, deleted)


def _event(
    et: EntityType, eid: str, version: int, at: datetime, op: str = "upsert"
) -> dict[str, Any]:
    return {
        "traceparent": f"00-{'ab' * 16}-{version:016x}-01",
        "event_id": f"ev-{eid}-{version}",
        "entity_type": et.value,
        "entity_id": eid,
        "version": version,
        "op": op,
        "source_system": "erp",
        "changed": dumps(["n"]),
        "data": dumps({"id": eid, "n": version}),
        "time": at,
        "bucket": zlib.crc32(eid.encode()) % BUCKETS,
    }


def _seed(store: Any) -> None:
    with store.write() as tx:
        tx.insert_records(
            [_rec(P, "p1"), _rec(P, "p2"), _rec(P, "p3", deleted=True), _rec(C, "c1")], T0
        )
        tx.add_crosswalk(P, [("erp", "E1", "p1"), ("shop", "S1", "p1")], T0)
        tx.add_crosswalk(P, [("erp", "E1b", "p1"), ("erp", "E2", "p2")], T0 + timedelta(1))
        tx.set_record_keys(P, [("sku", "SKU-1", "p1"), ("sku", "SKU-2", "p2")])
        tx.add_events(
            [
                _event(P, "p1", 1, T0),
                _event(P, "p2", 1, T0 + timedelta(minutes=1)),
                _event(C, "c1", 1, T0 + timedelta(minutes=2)),
                _event(P, "p1", 2, T0 + timedelta(minutes=3)),
                _event(P, "p3", 1, T0 + timedelta(minutes=4)),
                _event(P, "p3", 2, T0 + timedelta(minutes=5), op="delete"),
            ]
        )


class TestRecords:
    def test_get_and_get_many(self, store: Any) -> None:
        _seed(store)
        p1 = store.records.get(P, "p1")
        assert (p1.id, p1.version, p1.data, p1.provenance, p1.deleted) == (
            "p1",
            1,
            {"id": "p1", "n": 1},
            {"n": ["erp", "t"]},
            False,
        )
        assert p1.created_at == T0 and p1.updated_at == T0
        assert store.records.get(P, "nope") is None
        assert store.records.get(C, "p1") is None
        many = store.records.get_many(P, ["p1", "p3", "nope"])
        assert sorted(many) == ["p1", "p3"] and many["p3"].deleted

    def test_pages_in_id_order_without_tombstones_unless_asked(self, store: Any) -> None:
        _seed(store)
        assert [r.id for r in store.records.page(P)] == ["p1", "p2"]
        assert [r.id for r in store.records.page(P, include_deleted=True)] == ["p1", "p2", "p3"]
        assert [r.id for r in store.records.page(P, after_id="p1")] == ["p2"]
        assert [r.id for r in store.records.page(P, limit=1)] == ["p1"]
        assert [r.id for r in store.records.iter(P, page=1)] == ["p1", "p2"]
        assert store.records.count() == {"product": 2, "customer": 1}

    def test_changed_after_and_as_of(self, store: Any) -> None:
        _seed(store)
        changed = store.records.changed_after(1, [P])
        assert [(et, eid) for _, et, eid in changed] == [(P, "p2"), (P, "p1"), (P, "p3"), (P, "p3")]
        assert len(store.records.changed_after(0, [P, C], limit=2)) == 2
        assert store.records.as_of(P, "p1", T0 + timedelta(minutes=2)) == {"id": "p1", "n": 1}
        assert store.records.as_of(P, "p1", T0 + timedelta(hours=1)) == {"id": "p1", "n": 2}
        assert store.records.as_of(P, "p1", T0 - timedelta(1)) is None
        assert store.records.as_of(P, "p3", T0 + timedelta(hours=1)) is None  # deleted


class TestCrosswalk:
    def test_resolve_and_native_ids(self, store: Any) -> None:
        _seed(store)
        cw = store.crosswalk
        assert cw.resolve("erp", P, "E1") == "p1"
        assert cw.resolve("erp", C, "E1") is None
        assert cw.native_ids(P, "p1") == [("erp", "E1"), ("shop", "S1"), ("erp", "E1b")]
        assert cw.native_ids_of(P, ["p1", "p2", "none"]) == {
            "p1": [("erp", "E1"), ("shop", "S1"), ("erp", "E1b")],
            "p2": [("erp", "E2")],
            "none": [],
        }
        assert cw.native_ids_for(P, "erp", ["p1", "p2"]) == {"p1": "E1", "p2": "E2"}
        assert cw.of_system("erp", P) == {"E1": "p1", "E1b": "p1", "E2": "p2"}
        assert cw.find_by_key(P, "sku", "SKU-2") == "p2"
        assert cw.find_by_key(P, "sku", "SKU-9") is None
        assert cw.find_by_keys(P, "sku", ["SKU-2", "SKU-9"]) == {"SKU-2": "p2"}
        assert cw.find_by_keys(P, "sku", []) == {}


class TestOutbox:
    def test_events_after_filters_and_counts(self, store: Any) -> None:
        _seed(store)
        ob = store.outbox
        all_ = ob.after(0)
        assert [e.seq for e in all_] == sorted(e.seq for e in all_) and len(all_) == 6
        first = all_[0]
        assert (first.entity_type, first.entity_id, first.version) == (P, "p1", 1)
        assert first.data == {"id": "p1", "n": 1} and first.changed == ["n"]
        assert first.time == T0
        s2 = all_[1].seq
        assert [e.entity_id for e in ob.after(s2, entity_types=[C])] == ["c1"]
        assert [e.version for e in ob.after(0, entity_id="p1")] == [1, 2]
        assert len(ob.after(0, limit=2)) == 2
        parts = [ob.after(0, partition=(p, 4)) for p in range(4)]
        assert sorted(e.seq for part in parts for e in part) == [e.seq for e in all_]
        assert [ob.count_after(0, partition=(p, 4)) for p in range(4)] == [len(p) for p in parts]
        assert ob.count_after(s2) == 4 and ob.count_after(0, entity_types=[C]) == 1
        assert ob.count() == 6 and ob.last_seq() == all_[-1].seq

    def test_history_and_times(self, store: Any) -> None:
        _seed(store)
        ob = store.outbox
        all_ = ob.after(0)
        prev = ob.previous(P, "p1", 2)
        assert prev is not None and prev.version == 1
        assert ob.previous(P, "p1", 1) is None
        assert ob.event_time(all_[2].seq) == T0 + timedelta(minutes=2)
        assert ob.event_time(10_000) is None
        assert ob.first_seq_since(T0 + timedelta(seconds=30)) == all_[1].seq
        assert ob.first_seq_since(T0 + timedelta(days=1)) is None
        edges = [T0 + timedelta(seconds=30), T0 + timedelta(minutes=2), T0 + timedelta(days=1)]
        want: dict[str | None, list[int]] = {}
        for e in all_:
            for i in range(2):
                if edges[i] <= e.time < edges[i + 1]:
                    want.setdefault(e.source_system, [0, 0])[i] += 1
        assert sum(sum(v) for v in want.values()) == len(all_) - 1, "the first event is before"
        assert ob.count_by_source(edges) == want
        assert ob.count_by_source([T0 + timedelta(days=1), T0 + timedelta(days=2)]) == {}
        assert [(e.version, e.op.value) for e in ob.history(P, "p3")] == [
            (1, "upsert"),
            (2, "delete"),
        ]
        assert ob.history(P, "nope") == []
        assert all_[3].traceparent == f"00-{'ab' * 16}-{2:016x}-01"  # kept as written

    def test_an_empty_outbox(self, store: Any) -> None:
        assert store.outbox.last_seq() == 0 and store.outbox.count() == 0
        assert store.outbox.after(0) == []


class TestCursorsAndParked:
    def test_cursors_start_at_zero_and_accumulate(self, store: Any) -> None:
        assert store.cursors.get("r").position == 0
        with store.write() as tx:
            store.cursors.save(tx, "r", 5, success=True, delivered=2, error=None)
            store.cursors.save(tx, "r", 3, partition=1, success=False, delivered=0, error="x")
        with store.write() as tx:
            store.cursors.save(tx, "r", 9, success=False, delivered=3, error="boom")
        c0 = store.cursors.get("r")
        assert (c0.position, c0.delivered, c0.last_error) == (9, 5, "boom")
        assert c0.last_success_at is not None
        c1 = store.cursors.get("r", 1)
        assert (c1.position, c1.last_success_at, c1.partition) == (3, None, 1)
        assert [c.partition for c in store.cursors.of_route("r")] == [0, 1]
        store.cursors.move_by_hand("r", 1, partitions=2, actor="t", reason="replay")
        assert [c.position for c in store.cursors.of_route("r")] == [1, 1]

    def test_parked_rows(self, store: Any) -> None:
        def parked(route: str, eid: str) -> NewParked:
            return NewParked(route, P, eid, 1, 1, f"d-{eid}", "rejected", "no", 2, {"a": 1})

        with store.write() as tx:
            store.parked.park(tx, parked("r1", "p1"))
            store.parked.park(tx, parked("r1", "p2"))
            store.parked.park(tx, parked("r2", "p1"))
        rows = store.parked.page("r1")
        assert [(p.entity_id, p.payload, p.status) for p in rows] == [
            ("p1", {"a": 1}, ParkedStatus.PARKED),
            ("p2", {"a": 1}, ParkedStatus.PARKED),
        ]
        assert store.parked.count_by_route() == {"r1": 2, "r2": 1}
        assert store.parked.entities_parked("r1", ["p1", "p9"]) == {"p1"}
        with store.write() as tx:
            assert store.parked.close(tx, "r1", "p1", ParkedStatus.SKIPPED) == 1
            assert store.parked.close(tx, "r1", "p1", ParkedStatus.SKIPPED) == 0
        assert [p.entity_id for p in store.parked.page("r1")] == ["p2"]
        assert [p.entity_id for p in store.parked.page("r1", ParkedStatus.SKIPPED)] == ["p1"]
        assert len(store.parked.page()) == 2
        assert [p.route for p in store.parked.page(entity_id="p1")] == ["r2"]


class TestExceptions:
    def test_listing_waiting_and_status(self, store: Any) -> None:
        waiting = ErrorCode.WAITING_FOR_RECORD.value
        with store.write() as tx:
            tx.add_exceptions(
                [
                    NewException(
                        "erp", "validation_failed", "bad", "product", "E1", payload={"x": 1}
                    ),
                    NewException("shop", waiting, "wait", "product", "S1", field="SKU-1"),
                    NewException("erp", waiting, "wait", "customer", "E9", field="SKU-1"),
                ],
                T0,
            )
        ex = store.exceptions
        rows = ex.page()
        assert [e.code for e in rows] == ["validation_failed", waiting, waiting]
        assert rows[0].payload == {"x": 1} and rows[0].status is ExceptionStatus.OPEN
        assert [e.system for e in ex.page(system="shop")] == ["shop"]
        assert [e.native_id for e in ex.page(entity_type="customer")] == ["E9"]
        assert [e.native_id for e in ex.page(code=waiting, system="erp")] == ["E9"]
        assert len(ex.page(created_before=T0 + timedelta(seconds=1))) == 3
        assert ex.page(created_before=T0) == []
        assert [e.id for e in ex.page(after_id=rows[0].id)] == [rows[1].id, rows[2].id]
        assert [e.native_id for e in ex.waiting_for(P, ["SKU-1", "SKU-2"])] == ["S1"]
        assert ex.count() == 3
        ex.set_status(rows[0].id, ExceptionStatus.RESOLVED, actor="t", note="fixed")
        got = ex.get(rows[0].id)
        assert got.status is ExceptionStatus.RESOLVED and got.note == "fixed"
        assert ex.count() == 2 and ex.count(ExceptionStatus.RESOLVED) == 1
        assert len(ex.page(status=None)) == 3
        assert ex.get(10_000) is None


def test_fulfilment_ledger_applied_lines_and_invoices(store: Any) -> None:
    """Ledger lines and applied lines are upserts by key; invoices by number."""
    from decimal import Decimal as D  # noqa: N817

    from crossdock.store.fulfil_rows import (
        AppliedLine,
        DocKind,
        InvoiceBalance,
        LedgerLine,
        LineStatus,
    )

    f = store.fulfilment
    with store.write() as tx:
        assert f.lock_lines(tx, "ord_1") == []
        assert f.applied(tx, DocKind.SHIPMENT, "S1") == {}
        first = LedgerLine("ord_1", 2, "A", D(5), D(2), D(3), status=LineStatus.PARTIALLY_SHIPPED)
        f.save(tx, [first], [AppliedLine(DocKind.SHIPMENT, "S1", "2|A|", "ord_1", 2, D(3))])
    with store.write() as tx:
        done = LedgerLine("ord_1", 2, "A", D(5), D(0), D(5), status=LineStatus.SHIPPED)
        f.save(tx, [done], [AppliedLine(DocKind.SHIPMENT, "S1", "2|A|", "ord_1", 2, D(5))])
        assert f.applied(tx, DocKind.SHIPMENT, "S1")["2|A|"].quantity == D(5)
        assert f.applied(tx, DocKind.INVOICE, "S1") == {}
        f.put_invoice(tx, InvoiceBalance("I1", "ord_1", "cus_1", D("9.50"), D("9.50"), "open"))
        f.put_invoice(tx, InvoiceBalance("I1", "ord_1", "cus_1", D("9.50"), D(0), "paid"))
    assert f.lines("ord_1") == [done]
    assert f.lines("ord_2") == []
    (inv,) = f.invoices("ord_1")
    assert (inv.open_amount, inv.status) == (D(0), "paid")
