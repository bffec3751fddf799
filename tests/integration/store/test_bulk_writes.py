"""The write transaction's bulk inserts (COPY on PostgreSQL, executemany on SQLite).

Both backends must store the same values, round-trip timestamps and booleans,
and turn a unique violation inside a bulk insert into the ``IntegrityError``
that ingest retries on, with nothing of the transaction kept.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy.exc import IntegrityError

from crossdock.errors import ConflictError
from crossdock.model.base import EntityType
from crossdock.store import Store, StoredRecord
from crossdock.store.bulk import COPY_FROM

pytestmark = pytest.mark.integration

NOW = datetime(2026, 12, 2, 8, 30, 15, 123456, tzinfo=UTC)


def _records(n: int, *, deleted_every: int = 7) -> list[StoredRecord]:
    return [
        StoredRecord(
            EntityType.PRODUCT,
            f"prd_{i:032x}",
            1,
            {"sku": f"SKU-{i}", "description": 'tab\there, quote " and back\\slash, é'},
            {"sku": ["erp", "2026-12-02T08:30:15.123456Z", 1]},
            i % deleted_every == 0,
        )
        for i in range(n)
    ]


@pytest.mark.parametrize("n", [3, COPY_FROM * 4])
def test_bulk_insert_round_trips_every_value(store_url: str, n: int) -> None:
    store = Store.open(store_url)
    try:
        recs = _records(n)
        with store.write() as tx:
            tx.insert_records(recs, NOW)
            tx.add_crosswalk(
                EntityType.PRODUCT, [("erp", f"N{i}", r.id) for i, r in enumerate(recs)], NOW
            )
        got = store.records.get_many(EntityType.PRODUCT, [r.id for r in recs])
        assert len(got) == n
        for r in recs:
            g = got[r.id]
            assert (g.version, g.data, g.provenance, g.deleted) == (
                r.version,
                r.data,
                r.provenance,
                r.deleted,
            )
        one = store.records.get(EntityType.PRODUCT, recs[1].id)
        assert one is not None and one.created_at == NOW
        with store.write() as tx:
            found = tx.crosswalk_lookup(EntityType.PRODUCT, [("erp", f"N{i}") for i in range(n)])
        assert found == {("erp", f"N{i}"): r.id for i, r in enumerate(recs)}
    finally:
        store.close()


@pytest.mark.parametrize("n", [3, COPY_FROM * 4])
def test_unique_violation_in_a_bulk_insert_is_an_integrity_error_and_rolls_back(
    store_url: str, n: int
) -> None:
    store = Store.open(store_url)
    try:
        recs = _records(n)
        with store.write() as tx:
            tx.insert_records(recs[:1], NOW)

        def write_all() -> None:
            with store.write() as tx:
                tx.add_crosswalk(EntityType.PRODUCT, [("erp", "fresh", recs[1].id)], NOW)
                tx.insert_records(recs, NOW)  # recs[0] is there already

        with pytest.raises(IntegrityError):
            write_all()
        with store.write() as tx:
            assert tx.crosswalk_lookup(EntityType.PRODUCT, [("erp", "fresh")]) == {}
        assert set(store.records.get_many(EntityType.PRODUCT, [r.id for r in recs])) == {recs[0].id}
    finally:
        store.close()


def test_batch_update_writes_every_record_or_names_the_one_that_moved(store_url: str) -> None:
    """The batch update is one statement: a record whose version moved is named, none kept."""
    store = Store.open(store_url)
    try:
        recs = _records(5)
        with store.write() as tx:
            tx.insert_records(recs, NOW)
        later = datetime(2026, 12, 3, tzinfo=UTC)

        def v2(r: StoredRecord) -> StoredRecord:
            data = {**r.data, "description": f"{r.id} v2"}
            return StoredRecord(r.entity_type, r.id, 2, data, r.provenance, False)

        with store.write() as tx:  # all five from v1: each is written once
            tx.update_records([(v2(r), 1) for r in recs], later)
        got = store.records.get_many(EntityType.PRODUCT, [r.id for r in recs])
        assert {g.version for g in got.values()} == {2}
        assert all(got[r.id].data["description"] == f"{r.id} v2" for r in recs)
        assert all(got[r.id].deleted is False for r in recs)

        def v3(r: StoredRecord) -> StoredRecord:
            return StoredRecord(r.entity_type, r.id, 3, {**r.data, "description": "v3"}, {}, False)

        # the fourth is expected at v1 but the store holds v2: a conflict naming it
        with pytest.raises(ConflictError, match=recs[3].id), store.write() as tx:
            tx.update_records([(v3(r), 1 if i == 3 else 2) for i, r in enumerate(recs)], later)
        got = store.records.get_many(EntityType.PRODUCT, [r.id for r in recs])
        assert {g.version for g in got.values()} == {2}  # nothing of the batch was kept
    finally:
        store.close()
