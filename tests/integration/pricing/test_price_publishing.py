"""Customer prices reach channel routes: a list, cost or assignment change sends new prices.

A portal route takes ``customer_price`` records; the hub file publishes the
prices of the ``gold`` group for the ``web`` channel. Each sync pass runs
the publisher before delivery. On SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import BaseModel

from crossdock.app import Application
from crossdock.config.hub import EntityOwnership, HubConfig, RouteConfig, SystemConfig
from crossdock.config.pricing import PricePublish, PricingConfig
from crossdock.connectors.base import Connector, Delivery, DeliveryResult, DeliveryStatus
from crossdock.connectors.registry import register
from crossdock.model.base import EntityType
from crossdock.model.change import Change
from crossdock.store import Store
from crossdock.sync.runtime import Hub

pytestmark = pytest.mark.integration
T0 = datetime(2026, 6, 1, tzinfo=UTC)
PORTAL: dict[str, dict[str, Any]] = {}
PUSHES: list[list[Delivery]] = []


class _Portal:
    def push(self, batch: Sequence[Delivery]) -> list[DeliveryResult]:
        PUSHES.append(list(batch))
        for d in batch:
            PORTAL[f"{d.data['customer']}/{d.data['sku']}"] = dict(d.data)
        return [DeliveryResult(d.delivery_id, DeliveryStatus.DELIVERED) for d in batch]


class _NoSettings(BaseModel):
    pass


class PortalConnector(Connector):
    kind = "price-portal-test"
    Settings = _NoSettings

    def destination(self) -> _Portal:
        return _Portal()


@pytest.fixture
def hub(store_url: str) -> Iterator[Hub]:
    register("price-portal-test", PortalConnector)
    PORTAL.clear()
    PUSHES.clear()
    types = (EntityType.PRODUCT, EntityType.PRICE_LIST, EntityType.CUSTOMER)
    config = HubConfig(
        systems=[
            SystemConfig(name="erp", kind="files"),
            SystemConfig(name="portal", kind="price-portal-test"),
        ],
        ownership={e: EntityOwnership(owner="erp") for e in types},
        routes=[
            RouteConfig(
                name="prices-to-portal", entities=[EntityType.CUSTOMER_PRICE], destination="portal"
            )
        ],
        pricing=PricingConfig(publish=[PricePublish(channel="web", groups=["gold"])]),
    )
    h = Hub(config, Store.open(store_url))
    Application(h).attach_steps()
    yield h
    h.close()


def erp(etype: EntityType, native: str, data: dict[str, Any], minutes: int = 0) -> Change:
    return Change(
        system="erp",
        entity_type=etype,
        native_id=native,
        data=data,
        source_ts=T0 + timedelta(minutes=minutes),
    )


def base(w1: str, minutes: int = 0) -> Change:
    entries = [
        {"sku": sku, "breaks": [{"min_quantity": "1", "value": value}]}
        for sku, value in (("W-1", w1), ("W-2", "20.00"))
    ]
    return erp(
        EntityType.PRICE_LIST, "BASE", {"code": "BASE", "kind": "base", "entries": entries}, minutes
    )


def seed(hub: Hub) -> None:
    hub.ingest(
        [
            erp(EntityType.PRODUCT, "W-1", {"sku": "W-1", "cost": "2.00"}),
            erp(EntityType.PRODUCT, "W-2", {"sku": "W-2", "cost": "3.00"}),
            erp(EntityType.CUSTOMER, "ACME", {"account_number": "ACME", "customer_group": "gold"}),
            erp(EntityType.CUSTOMER, "BETA", {"account_number": "BETA", "customer_group": "gold"}),
            erp(EntityType.CUSTOMER, "ZED", {"account_number": "ZED", "customer_group": "tin"}),
            base("10.00"),
        ]
    )


def test_the_group_books_are_published_then_only_what_a_change_moved(hub: Hub) -> None:
    seed(hub)
    hub.sync_once()
    assert {k: v["unit_price"] for k, v in PORTAL.items()} == {
        "ACME/W-1": "10.00",
        "ACME/W-2": "20.00",
        "BETA/W-1": "10.00",
        "BETA/W-2": "20.00",
    }, "ZED is not in the published group"
    assert PORTAL["ACME/W-1"]["rule"] == "base" and PORTAL["ACME/W-1"]["list_code"] == "BASE"

    PUSHES.clear()
    hub.ingest([base("11.00", minutes=1)])  # the base list moves W-1 only
    hub.sync_once()
    sent = sorted(f"{d.data['customer']}/{d.data['sku']}" for batch in PUSHES for d in batch)
    assert sent == ["ACME/W-1", "BETA/W-1"]
    assert PORTAL["BETA/W-1"]["unit_price"] == "11.00"

    PUSHES.clear()  # a contract for ACME only: only ACME's W-2 moves
    contract = {
        "code": "ACME-C",
        "kind": "contract",
        "scope": {"customers": ["ACME"]},
        "entries": [{"sku": "W-2", "breaks": [{"min_quantity": "1", "value": "15.00"}]}],
    }
    hub.ingest([erp(EntityType.PRICE_LIST, "ACME-C", contract, minutes=2)])
    hub.sync_once()
    sent = sorted(f"{d.data['customer']}/{d.data['sku']}" for batch in PUSHES for d in batch)
    assert sent == ["ACME/W-2"] and PORTAL["ACME/W-2"]["rule"] == "contract"

    PUSHES.clear()  # a cost rise lifts the floor of W-1 above the list, for everyone
    hub.ingest([erp(EntityType.PRODUCT, "W-1", {"sku": "W-1", "cost": "12.00"}, minutes=3)])
    hub.sync_once()
    assert PORTAL["ACME/W-1"]["unit_price"] == PORTAL["BETA/W-1"]["unit_price"] == "12.00"

    PUSHES.clear()  # ZED joins the group: its whole book goes out, nobody else's
    hub.ingest(
        [erp(EntityType.CUSTOMER, "ZED", {"account_number": "ZED", "customer_group": "gold"}, 4)]
    )
    hub.sync_once()
    sent = sorted(f"{d.data['customer']}/{d.data['sku']}" for batch in PUSHES for d in batch)
    assert sent == ["ZED/W-1", "ZED/W-2"]

    PUSHES.clear()  # nothing moved: a pass publishes and sends nothing
    hub.sync_once()
    assert PUSHES == []
