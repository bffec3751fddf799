"""A hub for the console's tests: an ERP that sends products, a WMS route that refuses some SKUs.

Shared by tests/integration/ui (TestClient) and tests/e2e (a real browser). The
WMS is an in-process destination of this test (``ConsoleTestConnector``): it
takes every product except the SKUs in :data:`REFUSED`, which it refuses as a
permanent failure, so the route parks them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from pydantic import BaseModel

from crossdock.api import create_api_key
from crossdock.config.hub import EntityOwnership, HubConfig, RouteConfig, SystemConfig
from crossdock.connectors.base import (
    Connector,
    Delivery,
    DeliveryResult,
    DeliveryStatus,
    Destination,
)
from crossdock.connectors.registry import register
from crossdock.errors import ErrorCode
from crossdock.model.base import EntityType
from crossdock.model.change import Change
from crossdock.store import Store
from crossdock.sync.runtime import Hub

KIND = "consoletest"
REFUSED: set[str] = set()
"""SKUs the WMS refuses (cleared by :func:`open_hub`)."""


class _Settings(BaseModel):
    destination: bool = False


class _WMS:
    delivered: ClassVar[list[dict[str, Any]]] = []

    def push(self, batch: Sequence[Delivery]) -> list[DeliveryResult]:
        out = []
        for d in batch:
            if d.data.get("sku") in REFUSED:
                out.append(
                    DeliveryResult(
                        d.delivery_id,
                        DeliveryStatus.FAILED,
                        error=f"WMS refuses SKU {d.data.get('sku')}: unknown item class",
                        code=ErrorCode.REJECTED_BY_DESTINATION,
                    )
                )
            else:
                out.append(DeliveryResult(d.delivery_id, DeliveryStatus.DELIVERED))
        return out


class ConsoleTestConnector(Connector):
    kind = KIND
    Settings = _Settings

    def destination(self) -> Destination | None:
        return _WMS() if self.settings.destination else None  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Keys:
    admin: str
    read: str


def open_hub(path: Path, url: str | None = None) -> Hub:
    """The console hub on ``url`` (a SQLite file under ``path`` by default)."""
    register(KIND, ConsoleTestConnector)
    REFUSED.clear()
    config = HubConfig(
        systems=[
            SystemConfig(name="erp", kind=KIND),
            SystemConfig(name="wms", kind=KIND, settings={"destination": True}),
        ],
        ownership={EntityType.PRODUCT: EntityOwnership(owner="erp")},
        routes=[RouteConfig(name="to-wms", entities=[EntityType.PRODUCT], destination="wms")],
    )
    return Hub(config, Store.open(url or f"sqlite:///{path / 'hub.sqlite'}"))


def make_keys(hub: Hub) -> Keys:
    return Keys(
        admin=create_api_key(hub.store, "Olga Operator", ["admin"]),
        read=create_api_key(hub.store, "Rita Reader", ["read"]),
    )


def product(native_id: str, **data: Any) -> Change:
    return Change(system="erp", entity_type=EntityType.PRODUCT, native_id=native_id, data=data)


def seed(hub: Hub) -> None:
    """A delivered product, one the WMS refuses (parked), one change refused by the model."""
    REFUSED.add("HAZ-9")
    hub.ingest(
        [
            product("P-100", sku="W-100", description="Widget", base_uom="EA", list_price="10.00"),
            product("P-900", sku="HAZ-9", description="Solvent", base_uom="EA"),
        ]
    )
    hub.deliver()
    hub.ingest([product("P-100", sku="W-100", list_price="ten dollars")])
