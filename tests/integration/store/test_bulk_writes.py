"""The write transaction's bulk inserts (COPY on PostgreSQL, executemany on SQLite).

Both backends must store the same values, round-trip timestamps and booleans,
and turn a unique violation inside a bulk insert into the ``IntegrityError``
that ingest retries on, with nothing of the transaction kept.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy.exc import IntegrityError

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
