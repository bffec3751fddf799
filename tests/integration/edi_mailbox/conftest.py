"""A hub with one trading partner (bigbox, X12 through a mailbox), its customer and items."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from crossdock.app import Application
from crossdock.config.availability import AvailabilityConfig
from crossdock.config.hub import EntityOwnership, HubConfig, SystemConfig
from crossdock.config.orders import OrdersConfig
from crossdock.model.base import EntityType
from crossdock.model.change import Change
from crossdock.services.availability import WmsEvent
from crossdock.store import Store
from crossdock.sync.runtime import Hub

SAMPLES = Path(__file__).parents[2] / "unit" / "connectors_edi" / "samples"
TYPES = (EntityType.PRODUCT, EntityType.PRICE_LIST, EntityType.CUSTOMER)


def partner(mailbox: Path) -> dict[str, Any]:
    return {
        "mailbox": str(mailbox),
        "ours": {"qualifier": "ZZ", "id": "CROSSDOCKHUB"},
        "theirs": {"qualifier": "01", "id": "123456789"},
        "customer": "BIGBOX",
        "ship_to": "BB-{code}",
        "bill_to": "BB-{code}",
        "units": {"CA": "CS", "EA": "EA"},
        "items": ["VP", "SK", "BP", "UP", "UK"],
    }


def _ingest(app: Application, etype: EntityType, native: str, data: dict[str, Any]) -> None:
    report = app.hub.ingest([Change(system="erp", entity_type=etype, native_id=native, data=data)])
    assert not report.exceptions, report


@pytest.fixture
def mailbox(tmp_path: Path) -> Path:
    return tmp_path / "edi" / "bigbox"


@pytest.fixture
def partner_extra() -> dict[str, Any]:
    """More settings for the partner (a test module overrides it: AS2)."""
    return {}


@pytest.fixture
def app(store_url: str, mailbox: Path, partner_extra: dict[str, Any]) -> Iterator[Application]:
    config = HubConfig(
        systems=[
            SystemConfig(name="erp", kind="files"),
            SystemConfig(name="bigbox", kind="edi_x12", settings=partner(mailbox) | partner_extra),
        ],
        ownership={e: EntityOwnership(owner="erp") for e in TYPES},
        availability=AvailabilityConfig(locations=["W1"]),
        orders=OrdersConfig(),
    )
    a = Application(Hub(config, Store.open(store_url)))
    sites = [
        {"code": "BB-0042", "roles": ["ship_to"]},
        {"code": "BB-0007", "roles": ["ship_to"]},
        {"code": "BB-9000", "roles": ["bill_to"]},
    ]
    _ingest(
        a,
        EntityType.CUSTOMER,
        "BIGBOX",
        {"account_number": "BIGBOX", "status": "active", "credit_limit": "100000", "sites": sites},
    )
    _ingest(
        a,
        EntityType.PRODUCT,
        "W-100",
        {
            "sku": "W-100",
            "status": "active",
            "identifiers": {"upc": "012345678905"},
            "units": [{"code": "CS", "factor": "12"}],
            "list_price": "1.55",
        },
    )
    _ingest(
        a,
        EntityType.PRODUCT,
        "W-200",
        {"sku": "W-200", "status": "active", "list_price": "2.25"},
    )
    store = a.hub.store
    rid = store.crosswalk.find_by_key(EntityType.PRODUCT, "sku", "W-200")
    assert rid is not None
    with store.write() as tx:  # bigbox's own part number for W-200
        tx.add_crosswalk(EntityType.PRODUCT, [("bigbox", "BB-55", rid)], datetime.now(UTC))
    for sku in ("W-100", "W-200"):
        a.availability.feeds.apply_wms_event(
            WmsEvent(
                idempotency_key=f"rcv-{sku}",
                kind="receipt",
                sku=sku,
                location="W1",
                quantity=Decimal("5000"),
            )
        )
    yield a
    a.close()


def drop(mailbox: Path, name: str, as_name: str | None = None) -> Path:
    inbound = mailbox / "inbound"
    inbound.mkdir(parents=True, exist_ok=True)
    target = inbound / (as_name or name)
    shutil.copyfile(SAMPLES / name, target)
    return target
