"""Concurrent writers on one store: no lost update, no duplicate identity, gapless outbox order."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from crossdock.config.hub import HubConfig, SystemConfig
from crossdock.model.base import EntityType
from crossdock.model.change import Change
from crossdock.store import Store
from crossdock.sync.ingest import Ingestor

pytestmark = pytest.mark.integration
T0 = datetime(2026, 3, 1, tzinfo=UTC)
P = EntityType.PRODUCT
HUB = HubConfig(systems=[SystemConfig(name=f"s{i}", kind="files") for i in range(4)])


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    s = Store.open(store_url)
    yield s
    s.close()


def test_racing_writers_keep_every_field_and_one_identity(store: Store) -> None:
    """Four systems write different fields of the same 50 SKUs at once, in small batches."""
    fields = ["description", "brand", "category", "long_description"]
    errors: list[BaseException] = []

    def writer(i: int) -> None:
        try:
            ing = Ingestor(store, HUB, batch_size=7)
            ing.ingest(
                Change(
                    system=f"s{i}",
                    entity_type=P,
                    native_id=f"n{n}",
                    data={"sku": f"SKU-{n}", fields[i]: f"{fields[i]}-{n}"},
                    source_ts=T0 + timedelta(seconds=n),
                )
                for n in range(50)
            )
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    recs = store.records.page(P, limit=1000)
    assert len(recs) == 50, "one canonical record per SKU, whatever the race"
    for rec in recs:
        n = rec.data["sku"].split("-")[1]
        for f in fields:
            assert rec.data[f] == f"{f}-{n}", f"lost update of {f} on {rec.data['sku']}"
        assert rec.version == 4
        assert len(store.crosswalk.native_ids(P, rec.id)) == 4
    events = store.outbox.after(0, limit=10_000)
    assert len(events) == 200
    seqs = [e.seq for e in events]
    assert seqs == sorted(seqs)
    per_entity: dict[str, list[int]] = {}
    for e in events:
        per_entity.setdefault(e.entity_id, []).append(e.version)
    assert all(v == [1, 2, 3, 4] for v in per_entity.values()), "versions in outbox order"
