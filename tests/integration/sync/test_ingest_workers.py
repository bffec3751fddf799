"""``Ingestor.ingest(workers=N)``: batches prepared in a process pool, written by one writer.

The pool only works ahead (keys, digests, the model's verdict on each row's
data); the writer applies the batches in order. So N workers must leave the
store exactly as one does: the same records and versions, the same events per
entity in the same order, and each bad row one exception.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from crossdock.config.hub import HubConfig, SystemConfig
from crossdock.connectors.base import SourceItem
from crossdock.model.base import EntityType
from crossdock.model.change import Change
from crossdock.store import Store
from crossdock.sync.ingest import Ingestor, IngestReport
from crossdock.sync.prepare import Invalid, Valid, prepare_batch, prepared_ahead

pytestmark = pytest.mark.integration

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def hub() -> HubConfig:
    return HubConfig(systems=[SystemConfig(name="erp", kind="files", settings={})], ownership={})


def product(n: int, line: int, cost: str = "1.50", **extra: Any) -> Change:
    return Change(
        system="erp",
        entity_type=EntityType.PRODUCT,
        native_id=f"P{n}",
        data={
            "sku": f"SKU-{n}",
            "description": f"item {n}",
            "base_uom": "EA",
            "cost": cost,
            "currency": "USD",
            **extra,
        },
        source_ts=T0 + timedelta(seconds=line),
        idempotency_key=f"file:{line}",
        ref=f"file.csv:{line}",
    )


def feed() -> list[SourceItem]:
    """Thirty products, each of the first five changed three more times later in the feed,
    two bad rows, a resend of a line (duplicate key) and one unchanged resend."""
    items: list[SourceItem] = [product(n, n) for n in range(30)]
    line = 100
    for round_ in range(3):
        for n in range(5):
            line += 1
            items.append(product(n, line, cost=f"{2 + round_}.{n}0"))
    items.insert(12, product(90, 90, cost="not a number"))  # bad: a cost that is no amount
    items.append(product(91, 200, base_uom=""))  # bad: an empty unit
    items.append(product(7, 7))  # the same line again: a duplicate
    items.append(product(8, 300))  # the same content again, from a later line: unchanged
    return items


def run(url: str, workers: int, items: list[SourceItem]) -> tuple[IngestReport, Store]:
    store = Store.open(url)
    report = Ingestor(store, hub(), batch_size=7).ingest(items, workers=workers)
    return report, store


def state(store: Store) -> dict[str, Any]:
    """The store as a person sees it: records by SKU, events per SKU, exceptions by line."""
    by_id = {r.id: r for r in store.records.iter(EntityType.PRODUCT)}
    events: dict[str, list[tuple[int, str]]] = {}
    for e in store.outbox.after(0, limit=10_000):
        sku = by_id[e.entity_id].data["sku"]
        events.setdefault(sku, []).append((e.version, e.data["cost"]))
    return {
        "records": {r.data["sku"]: (r.version, r.data) for r in by_id.values()},
        "events": events,
        "exceptions": sorted(
            (x.ref, x.field, x.code, x.reason) for x in store.exceptions.page(limit=1000)
        ),
    }


def test_two_workers_leave_the_store_as_one_does(store_url: str, tmp_path: Any) -> None:
    items = feed()
    one, store_one = run(f"sqlite:///{tmp_path / 'one.sqlite'}", 1, items)
    two, store_two = run(store_url, 2, feed())
    try:
        assert one.as_dict() == two.as_dict()
        assert (one.created, one.exceptions, one.duplicates, one.unchanged) == (30, 2, 1, 1)
        assert state(store_one) == state(store_two)
    finally:
        store_one.close()
        store_two.close()


def test_each_entity_keeps_its_order_across_batches(store_url: str) -> None:
    report, store = run(store_url, 2, feed())
    try:
        events = state(store)["events"]
        for n in range(5):  # created, then three changes in feed order, one version each
            assert events[f"SKU-{n}"] == [
                (1, "1.50"),
                (2, f"2.{n}0"),
                (3, f"3.{n}0"),
                (4, f"4.{n}0"),
            ]
        assert report.updated == 15
    finally:
        store.close()


def test_a_bad_row_in_a_workers_batch_is_one_exception_and_the_rest_applies(
    store_url: str,
) -> None:
    items: list[SourceItem] = [product(n, n) for n in range(6)]
    items[3] = product(3, 3, cost="abc")
    report, store = run(store_url, 2, items)
    try:
        assert (report.created, report.exceptions) == (5, 1)
        (x,) = store.exceptions.page(limit=10)
        assert (x.ref, x.field, x.native_id) == ("file.csv:3", "cost", "P3")
        assert "SKU-3" not in state(store)["records"]
    finally:
        store.close()


def test_a_prepared_verdict_names_what_inline_validation_names() -> None:
    good, bad = product(1, 1), product(2, 2, cost="abc")
    prepared = prepare_batch([good, bad], rules=None)
    ok, wrong = prepared
    assert ok is not None and isinstance(ok.verdict, Valid)
    assert ok.verdict.data["sku"] == "SKU-1" and ok.keys == [("sku", "SKU-1")]
    assert wrong is not None and isinstance(wrong.verdict, Invalid)
    assert wrong.verdict.path == "cost"


def test_the_pool_prepares_every_batch_and_hands_them_back_in_order() -> None:
    batches: list[list[SourceItem]] = [[product(n, n), product(n + 50, n + 50)] for n in range(5)]
    out = list(prepared_ahead(iter(batches), None, 2))
    assert [b for b, _ in out] == batches
    for batch, prepared in out:  # prepared in a worker, not left to the writer
        assert prepared is not None and len(prepared) == len(batch)
        assert all(p is not None and isinstance(p.verdict, Valid) for p in prepared)


def test_a_pool_that_cannot_start_leaves_the_writer_to_do_the_work(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str
) -> None:
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    import crossdock.sync.prepare as prepare

    class Broken(ProcessPoolExecutor):
        def submit(self, *args: Any, **kwargs: Any) -> Any:
            raise BrokenProcessPool("a worker died")

    monkeypatch.setattr(prepare, "ProcessPoolExecutor", Broken)
    report, store = run(sqlite_url, 2, feed())
    try:
        assert (report.created, report.exceptions, report.updated) == (30, 2, 15)
    finally:
        store.close()
