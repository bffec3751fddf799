"""Retention prunes rows past their age, and never what a cursor, a parked delivery or the
next delivery still needs; on both backends."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import BaseModel

from crossdock.config.hub import HubConfig, RouteConfig, SystemConfig
from crossdock.config.retention import RetentionConfig
from crossdock.connectors.base import Connector, Destination
from crossdock.connectors.kit.testing import MemoryDestination
from crossdock.connectors.registry import register
from crossdock.model.base import EntityType
from crossdock.model.change import Change
from crossdock.store import ExceptionStatus, Store
from crossdock.sync.runtime import Hub

KIND = "retention-test"
LATER = datetime.now(UTC) + timedelta(days=1000)  # every row is past every age by then
SHOP = MemoryDestination()


class _NoSettings(BaseModel):
    pass


class _Shop(Connector):
    kind = KIND
    Settings = _NoSettings

    def destination(self) -> Destination | None:
        return SHOP


def _hub(url: str, archive: Path | None = None, routes: int = 1) -> Hub:
    register(KIND, _Shop)
    names = ["to-shop", "to-shop-2"][:routes]
    return Hub(
        HubConfig(
            systems=[
                SystemConfig(name="erp", kind=KIND, settings={}),
                SystemConfig(name="shop", kind=KIND, settings={}),
            ],
            routes=[
                RouteConfig(name=n, entities=[EntityType.PRODUCT], destination="shop")
                for n in names
            ],
            retention=RetentionConfig(archive=archive, batch=2),
        ),
        Store.open(url),
    )


@pytest.fixture
def hub(store_url: str, tmp_path: Path) -> Iterator[Hub]:
    SHOP.held.clear()
    SHOP.applied.clear()
    h = _hub(store_url, tmp_path / "archive")
    yield h
    h.close()


def _put(hub: Hub, native: str, price: str, key: str | None = None) -> None:
    change = Change(
        "erp",
        EntityType.PRODUCT,
        native,
        {"sku": native, "list_price": price},
        idempotency_key=key,
    )
    assert hub.ingestor.ingest([change]).exceptions == 0


def _versions(hub: Hub) -> list[tuple[str, int]]:
    events = hub.store.outbox.after(0, limit=1000)
    return sorted(
        (hub.store.records.get(e.entity_type, e.entity_id).data["sku"], e.version) for e in events
    )  # type: ignore[union-attr]


def test_events_go_once_every_route_has_passed_them_and_a_newer_version_exists(
    hub: Hub, tmp_path: Path
) -> None:
    for price in ("1", "2", "3"):
        _put(hub, "P1", price)
    _put(hub, "P2", "9")
    hub.deliver()
    _put(hub, "P1", "4")  # not delivered yet
    report = hub.prune(now=LATER)
    assert report.pruned["events"] == 2  # P1 v1 and v2
    # kept: P1 v3 (the last every route passed), P1 v4 (unread), P2 v1 (its only version)
    assert _versions(hub) == [("P1", 3), ("P1", 4), ("P2", 1)]
    archived = [
        json.loads(line)
        for f in (tmp_path / "archive").glob("events-*.jsonl.gz")
        for line in gzip.decompress(f.read_bytes()).decode().splitlines()
    ]
    assert sorted(r["version"] for r in archived) == [1, 2]
    hub.deliver()  # and delivery goes on from where it was
    p1 = hub.store.crosswalk.resolve("erp", EntityType.PRODUCT, "P1")
    assert SHOP.held[(EntityType.PRODUCT, p1)]["list_price"] == "4"


def test_a_route_that_has_not_run_holds_every_event(store_url: str) -> None:
    hub = _hub(store_url, routes=2)
    try:
        for price in ("1", "2", "3"):
            _put(hub, "P1", price)
        hub.deliver(["to-shop"])
        assert "events" not in hub.prune(now=LATER).pruned
        assert len(_versions(hub)) == 3
    finally:
        hub.close()


def test_a_parked_delivery_holds_its_event(hub: Hub) -> None:
    _put(hub, "P1", "1")
    SHOP.failing = "permanent"
    try:
        hub.deliver()
    finally:
        SHOP.failing = None
    _put(hub, "P1", "2")
    _put(hub, "P1", "3")
    hub.deliver()  # v3 parks behind v1
    report = hub.prune(now=LATER)
    assert report.pruned.get("events", 0) == 1  # v2 only: v1 is parked
    assert [v for _, v in _versions(hub)] == [1, 3]


def test_keys_exceptions_and_audit_past_their_age_go_open_ones_stay(hub: Hub) -> None:
    _put(hub, "P1", "1", key="k1")
    bad = Change("erp", EntityType.PRODUCT, "BAD", {"description": "no sku"})
    hub.ingestor.ingest([bad, bad])
    first, second = hub.store.exceptions.page(limit=10)
    hub.store.exceptions.set_status(first.id, ExceptionStatus.DISMISSED, actor="t", note="x")
    hub.store.audit.append("t", "test.action", "x", {})
    assert hub.prune().total == 0  # nothing is old yet
    report = hub.prune(now=LATER)
    assert report.pruned["idempotency_keys"] == 1
    assert report.pruned["exceptions"] == 1
    assert report.pruned["audit"] >= 1
    assert [e.id for e in hub.store.exceptions.page(limit=10)] == [second.id]
    # the prune itself is audited
    assert hub.store.audit.page(limit=1)[0].action == "retention.prune"
    # a key past its age is forgotten: the same change is applied again
    _put(hub, "P1", "1", key="k1")
