"""Canonical inventory and the availability positions are one fact.

A stock file imported through the files connector, a change from any system,
and WMS events meet in the same stock positions, under the precedence and
drift rules of the availability feeds; the ATP the service publishes back is
never fed in again.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from crossdock.app import Application
from crossdock.config.availability import AvailabilityConfig, Feed
from crossdock.config.hub import EntityOwnership, HubConfig, RouteConfig, SystemConfig
from crossdock.model.base import EntityType
from crossdock.model.change import Change
from crossdock.services.availability.feeds import EventKind, WmsEvent
from crossdock.services.availability.reservations import ReserveRequest
from crossdock.services.availability.service import AvailabilityService
from crossdock.store import Store
from crossdock.sync.runtime import Hub

pytestmark = pytest.mark.integration

STOCK = (
    "ITEMNO,WHSE,ONHAND,ALLOC,HOLD,SAFETY\n"
    "BLT-1,DAL,100,5,2,3\n"
    "BLT-1,ATL,40,0,0,0\n"
    "BLT-2,DAL,7,0,0,0\n"
)
MAPPING = {
    "pattern": "erp_stock*.csv",
    "entity": "inventory",
    "id": ["ITEMNO", "WHSE"],
    "columns": {
        "ITEMNO": "sku",
        "WHSE": "location",
        "ONHAND": "on_hand",
        "ALLOC": "allocated",
        "HOLD": "on_hold",
        "SAFETY": "safety_stock",
    },
}


def _config(tmp_path: Path, availability: AvailabilityConfig | None) -> HubConfig:
    return HubConfig(
        systems=[
            SystemConfig(
                name="erp",
                kind="files",
                settings={"inbox": str(tmp_path / "inbox"), "mappings": [MAPPING]},
            ),
            SystemConfig(name="wms", kind="files", settings={"export_dir": str(tmp_path / "out")}),
        ],
        ownership={EntityType.INVENTORY: EntityOwnership(owner="erp", fields={"*": "*"})},
        routes=[RouteConfig(name="stock-out", entities=[EntityType.INVENTORY], destination="wms")],
        availability=availability,
    )


@pytest.fixture
def application(tmp_path: Path, store_url: str) -> Iterator[Application]:
    (tmp_path / "inbox").mkdir()
    a = Application(Hub(_config(tmp_path, None), Store.open(store_url)))
    a.attach_steps()
    yield a
    a.close()


@pytest.fixture
def hub(application: Application) -> Hub:
    return application.hub


def _atp(svc: AvailabilityService, sku: str, location: str) -> Decimal:
    (found,) = svc.availability([sku], locations=[location])
    (loc,) = found.locations
    return loc.atp


def test_an_imported_stock_file_is_stock_that_can_be_promised(
    application: Application, hub: Hub, tmp_path: Path
) -> None:
    (tmp_path / "inbox" / "erp_stock_1.csv").write_text(STOCK)
    hub.sync_once()
    svc = application.availability
    # ATP = on hand - allocated - on hold - safety stock (nothing reserved yet)
    assert _atp(svc, "BLT-1", "DAL") == Decimal(100 - 5 - 2 - 3)
    assert _atp(svc, "BLT-1", "ATL") == Decimal(40)
    assert _atp(svc, "BLT-2", "DAL") == Decimal(7)
    r = svc.reservations.reserve(
        ReserveRequest(idempotency_key="k1", sku="BLT-2", location="DAL", quantity=Decimal(7))
    )
    assert r.quantity == Decimal(7)
    assert _atp(svc, "BLT-2", "DAL") == 0


def test_published_atp_is_not_fed_back(application: Application, hub: Hub, tmp_path: Path) -> None:
    (tmp_path / "inbox" / "erp_stock_1.csv").write_text(STOCK)
    hub.sync_once()
    svc = application.availability
    before = {(p.sku, p.location): p.version for p in svc.stock.positions(["BLT-1", "BLT-2"])}
    # the ATP went back out as inventory changes from crossdock-atp ...
    published = [r for r in hub.store.records.page(EntityType.INVENTORY) if r.data.get("available")]
    assert len(published) == 3
    # ... and the next passes feed nothing back in
    hub.sync_once()
    report = svc.inventory.run()
    assert report.applied == 0
    after = {(p.sku, p.location): p.version for p in svc.stock.positions(["BLT-1", "BLT-2"])}
    assert after == before


def test_the_same_figures_again_count_nothing_twice(
    application: Application, hub: Hub, tmp_path: Path
) -> None:
    (tmp_path / "inbox" / "erp_stock_1.csv").write_text(STOCK)
    hub.sync_once()
    (tmp_path / "inbox" / "erp_stock_2.csv").write_text(STOCK + "\n")  # other bytes, same rows
    hub.sync_once()
    svc = application.availability
    assert _atp(svc, "BLT-1", "DAL") == Decimal(90)
    (pos,) = svc.stock.positions(["BLT-2"])
    assert pos.on_hand == 7_000_000  # stored in millionths: not 14 after the second file
    assert svc.availability(["BLT-2"])[0].atp == Decimal(7)


def test_a_later_wms_event_beats_an_older_erp_row(application: Application, hub: Hub) -> None:
    svc = application.availability
    t0 = datetime.now(UTC) - timedelta(minutes=10)

    def erp(on_hand: int, as_of: datetime, n: int) -> Change:
        return Change(
            system="erp",
            entity_type=EntityType.INVENTORY,
            native_id="BLT-9|DAL",
            data={"sku": "BLT-9", "location": "DAL", "on_hand": str(on_hand), "as_of": as_of},
            source_ts=as_of,
            idempotency_key=f"erp-{n}",
        )

    hub.ingest([erp(100, t0, 1)])
    svc.inventory.run()
    assert _atp(svc, "BLT-9", "DAL") == 100
    svc.feeds.apply_wms_event(
        WmsEvent(
            idempotency_key="pick-1",
            kind=EventKind.PICK,
            sku="BLT-9",
            location="DAL",
            quantity=Decimal(10),
            occurred_at=t0 + timedelta(minutes=5),
        )
    )
    assert _atp(svc, "BLT-9", "DAL") == 90
    # An ERP row as of before the pick: the pick is in flight for it. It says 100, and
    # 100 less the pick is what the WMS holds: no drift, on hand stays the WMS's 90
    # (a naive overwrite would make it 100 and count the pick twice).
    hub.ingest([erp(100, t0 + timedelta(minutes=2), 2)])
    svc.inventory.run()
    assert _atp(svc, "BLT-9", "DAL") == 90
    assert svc.stock.drift(sku="BLT-9") == []
    # It says 101: the WMS owns on hand (the default precedence), so 90 stands and the
    # difference of one unit is reported as drift.
    hub.ingest([erp(101, t0 + timedelta(minutes=3), 3)])
    svc.inventory.run()
    assert _atp(svc, "BLT-9", "DAL") == 90
    (drift,) = svc.stock.drift(sku="BLT-9")
    assert drift.resolution == "kept_wms" and drift.in_flight == -10_000_000  # the pick
    hub.ingest([erp(101, t0 + timedelta(minutes=3), 3)])  # the same change again: dropped
    svc.inventory.run()
    assert _atp(svc, "BLT-9", "DAL") == 90 and len(svc.stock.drift(sku="BLT-9")) == 1


def test_a_system_named_wms_feeds_counts(tmp_path: Path, store_url: str) -> None:
    (tmp_path / "inbox").mkdir()
    config = _config(tmp_path, AvailabilityConfig(feeds={"wms": Feed.WMS}))
    hub = Hub(config, Store.open(store_url))
    try:
        svc = Application(hub).availability
        hub.ingest(
            [
                Change(
                    system="wms",
                    entity_type=EntityType.INVENTORY,
                    native_id="X@DAL",
                    data={"sku": "X", "location": "DAL", "on_hand": "12"},
                    idempotency_key="count-1",
                )
            ]
        )
        report = svc.inventory.run()
        assert report.applied == 1
        assert _atp(svc, "X", "DAL") == 12
        (pos,) = svc.stock.positions(["X"])
        assert pos.last_event_at is not None  # applied as a WMS count, seen by reconciliation
    finally:
        hub.close()
