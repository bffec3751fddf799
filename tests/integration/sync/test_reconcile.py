"""Reconciliation of a WMS snapshot with the hub, on SQLite and PostgreSQL.

The ERP owns products; the WMS owns their ``channels`` field and receives
``sku`` and ``description`` through a route. The WMS's snapshot agrees on
one product, holds a stale description of another, a channel list of its own
for a third, a product the hub never heard of, and lacks a fourth.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import BaseModel

from crossdock.config.hub import (
    EntityOwnership,
    HubConfig,
    NonOwnerPolicy,
    RouteConfig,
    SystemConfig,
)
from crossdock.connectors.base import (
    Connector,
    Delivery,
    DeliveryResult,
    DeliveryStatus,
    SourceError,
)
from crossdock.connectors.registry import register
from crossdock.errors import ErrorCode
from crossdock.model.base import EntityType
from crossdock.model.change import Change
from crossdock.store import Store
from crossdock.sync.reconcile import DriftKind, Remedy, same_value
from crossdock.sync.runtime import Hub

pytestmark = pytest.mark.integration
P = EntityType.PRODUCT
T0 = datetime(2026, 5, 1, tzinfo=UTC)
PUSHED: list[Delivery] = []


class _Recording:
    def push(self, batch: Sequence[Delivery]) -> list[DeliveryResult]:
        PUSHED.extend(batch)
        return [DeliveryResult(d.delivery_id, DeliveryStatus.DELIVERED) for d in batch]


class _NoSettings(BaseModel):
    pass


class RecordingConnector(Connector):
    kind = "recording-test"
    Settings = _NoSettings

    def destination(self) -> _Recording:
        return _Recording()


@pytest.fixture
def hub(store_url: str) -> Iterator[Hub]:
    register("recording-test", RecordingConnector)
    PUSHED.clear()
    config = HubConfig(
        systems=[
            SystemConfig(name="erp", kind="files"),
            SystemConfig(name="wms", kind="recording-test"),
        ],
        ownership={
            P: EntityOwnership(
                owner="erp", fields={"channels": "wms"}, non_owner=NonOwnerPolicy.IGNORE
            )
        },
        routes=[
            RouteConfig(
                name="to-wms", entities=[P], destination="wms", fields=["sku", "description"]
            )
        ],
    )
    h = Hub(config, Store.open(store_url))
    yield h
    h.close()


def erp(n: int, **data: object) -> Change:
    base = {"sku": f"S{n}", "description": f"item {n}", "cost": "12.50"}
    return Change(
        system="erp", entity_type=P, native_id=f"E{n}", data={**base, **data}, source_ts=T0
    )


def wms(n: int, ts: datetime = T0, **data: object) -> Change:
    return Change(system="wms", entity_type=P, native_id=f"W{n}", data=dict(data), source_ts=ts)


def seed(hub: Hub) -> None:
    hub.ingest([erp(n) for n in range(1, 5)])
    # The WMS knows each product under its own id (linked by SKU) and lists its channels.
    hub.ingest([wms(n, sku=f"S{n}", channels=["store"]) for n in range(1, 5)])


def test_the_drift_is_named_per_record_and_field_with_its_remedy(hub: Hub) -> None:
    seed(hub)
    snapshot = [
        wms(1, sku="S1", description="item 1", channels=["store"], cost="12.5"),
        wms(2, sku="S2", description="old text", channels=["store"]),
        wms(3, T0 + timedelta(hours=1), sku="S3", description="item 3", channels=["store", "web"]),
        wms(9, sku="S9", description="a stranger"),
        SourceError(system="wms", reason="bad row", code=ErrorCode.MAPPING_FAILED, ref="x:3"),
    ]
    report = hub.reconcile("wms", snapshot)
    kinds = {(d.kind, d.native_id, d.field): d for d in report.drifts}
    assert report.records == 4 and report.agreeing == 1 and report.unreadable == 1
    stale = kinds[(DriftKind.DIFFERENT, "W2", "description")]
    assert (stale.system_value, stale.hub_value) == ("old text", "item 2")
    assert stale.remedy is Remedy.RESEND and stale.route == "to-wms" and stale.owner == "erp"
    own = kinds[(DriftKind.DIFFERENT, "W3", "channels")]
    assert own.remedy is Remedy.INGEST and own.owner == "wms"
    assert kinds[(DriftKind.UNKNOWN_TO_HUB, "W9", None)].remedy is Remedy.INGEST  # ingest decides
    missing = kinds[(DriftKind.MISSING_IN_SYSTEM, "W4", None)]
    assert missing.remedy is Remedy.RESEND and missing.entity_id is not None
    assert len(report.drifts) == 4 and not report.in_sync


def test_heal_applies_each_remedy_through_the_normal_paths(hub: Hub) -> None:
    seed(hub)
    snapshot = [
        wms(1, sku="S1", description="item 1", channels=["store"]),
        wms(2, sku="S2", description="old text", channels=["store"]),
        wms(3, T0 + timedelta(hours=1), sku="S3", description="item 3", channels=["web"]),
    ]
    report = hub.reconcile("wms", snapshot)
    healed = hub.heal(report, actor="test")
    assert healed["ingested"] == 1 and healed["changed"] == 1
    assert healed["resent"] == 2 and healed["delivered"] == 2  # W2's description, W4 missing
    assert {d.data["sku"] for d in PUSHED} == {"S2", "S4"}
    again = hub.reconcile("wms", [*snapshot[:2], snapshot[2]], check_missing=False)
    # The hub took the WMS's channels; the WMS's copy of S2 is still stale until it applies
    # what was re-sent (the recording destination does not change the snapshot).
    assert {(d.native_id, d.field) for d in again.drifts} == {("W2", "description")}
    assert hub.store.audit.entries(5)[0]["action"] == "reconcile.heal"


def test_an_older_system_value_of_an_owned_field_does_not_win_by_healing(hub: Hub) -> None:
    seed(hub)
    hub.ingest([wms(3, T0 + timedelta(hours=2), channels=["web"])])
    stale = wms(3, T0 + timedelta(hours=1), sku="S3", channels=["store"])
    report = hub.reconcile("wms", [stale], check_missing=False)
    assert [d.field for d in report.drifts] == ["channels"]
    hub.heal(report, actor="test")
    assert [d.field for d in hub.reconcile("wms", [stale], check_missing=False).drifts] == [
        "channels"
    ], "the merge dropped the older value; the drift stays for a person to see"


def test_numbers_and_text_compare_as_a_person_would() -> None:
    assert same_value("12.5", "12.50") and same_value(3, "3.0") and same_value(" a ", "a")
    assert not same_value("12.5", "12.6") and not same_value(None, "x")
    assert not same_value(True, "1")
