"""A hub for the order engine tests: an ERP and a portal that record every delivery in order.

The ERP answers like the Tryton destination does (its own id and a sale
number, a refusal for an order it cannot take, a cancellation it may refuse);
the portal takes every status version. Both are in-memory destinations of a
connector kind registered here, so these tests need no Tryton.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from crossdock.app import Application
from crossdock.config.availability import AvailabilityConfig
from crossdock.config.hub import EntityOwnership, HubConfig, RetryPolicy, RouteConfig, SystemConfig
from crossdock.config.orders import OrdersConfig
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
from crossdock.model.change import ChangeOp
from crossdock.store import Store
from crossdock.sync.runtime import Hub

from .seed import customer, product, stock

KIND = "order-engine-test"
ERP_STATUSES = ["submitted", "confirmed", "partially_shipped", "shipped", "invoiced", "closed"]


@dataclass
class Recorder:
    """A destination that keeps every delivery it took, in order, and answers like an ERP."""

    got: list[Delivery] = field(default_factory=list)
    refuse: dict[str, str] = field(default_factory=dict)
    """order_number -> the error it is refused with (for good)."""
    refuse_cancel: str | None = None
    down: int = 0
    """Pushes to answer "try again" to (the system is unreachable)."""
    sales: dict[str, str] = field(default_factory=dict)
    """entity id -> sale id (one per order, found again like Tryton's marker)."""

    def push(self, batch: list[Delivery]) -> list[DeliveryResult]:
        if self.down:
            self.down -= 1
            return [
                DeliveryResult(
                    d.delivery_id, DeliveryStatus.RETRY, error="down", code=ErrorCode.TRANSIENT
                )
                for d in batch
            ]
        out: list[DeliveryResult] = []
        for d in batch:
            number = str(d.data.get("order_number", ""))
            if d.op is ChangeOp.UPSERT and number in self.refuse:
                out.append(
                    DeliveryResult(
                        d.delivery_id,
                        DeliveryStatus.FAILED,
                        error=self.refuse[number],
                        code=ErrorCode.REJECTED_BY_DESTINATION,
                    )
                )
                continue
            if d.op is ChangeOp.DELETE and self.refuse_cancel:
                out.append(
                    DeliveryResult(
                        d.delivery_id,
                        DeliveryStatus.FAILED,
                        error=self.refuse_cancel,
                        code=ErrorCode.REJECTED_BY_DESTINATION,
                    )
                )
                continue
            self.got.append(d)
            sale = self.sales.setdefault(d.entity_id, str(100 + len(self.sales)))
            out.append(
                DeliveryResult(
                    d.delivery_id,
                    DeliveryStatus.DELIVERED,
                    native_id=sale,
                    reference=f"SO{sale}",
                )
            )
        return out

    def statuses(self, entity_id: str) -> list[str]:
        return [
            "deleted" if d.op is ChangeOp.DELETE else str(d.data.get("status"))
            for d in self.got
            if d.entity_id == entity_id
        ]


DESTINATIONS: dict[str, Recorder] = {}


class _NoSettings(BaseModel):
    pass


class _Recorded(Connector[_NoSettings]):
    kind = KIND
    Settings = _NoSettings

    def destination(self) -> Destination | None:
        return DESTINATIONS.setdefault(self.name, Recorder())  # type: ignore[return-value]


def engine_config(*, every_version: bool = True) -> HubConfig:
    """ERP route (receipts, filtered to what the ERP takes); the portal's status route."""
    return HubConfig(
        systems=[SystemConfig(name=s, kind=KIND, settings={}) for s in ("erp", "portal", "shop")],
        ownership={
            **{
                e: EntityOwnership(owner="erp")
                for e in (EntityType.PRODUCT, EntityType.PRICE_LIST, EntityType.CUSTOMER)
            },
            EntityType.ORDER: EntityOwnership(owner="orders"),
        },
        availability=AvailabilityConfig(locations=["W1"]),
        routes=[
            RouteConfig(
                name="erp-sales",
                entities=[EntityType.ORDER],
                destination="erp",
                filter={"status": list(ERP_STATUSES)},
                receipts=True,
                retry=RetryPolicy(attempts=3, base_seconds=0.01, cap_seconds=0.01),
            ),
            RouteConfig(
                name="portal-status",
                entities=[EntityType.ORDER],
                destination="portal",
                filter={"channel": ["portal"]},
                every_version=every_version,
                receipts=True,
                retry=RetryPolicy(attempts=1, base_seconds=0.01, cap_seconds=0.01),
            ),
        ],
        orders=OrdersConfig(erp_route="erp-sales"),
    )


def engine_app(url: str, **kw: Any) -> Application:
    """ACME (limit 1000, ship-to S1), W-1 at 10.00 with 100 in stock; fresh recorders."""
    register(KIND, _Recorded)
    DESTINATIONS.clear()
    app = Application(Hub(engine_config(**kw), Store.open(url)))
    store = app.hub.store
    customer(store)
    product(store, "W-1")
    stock(app, "W-1", "100")
    app.attach_steps()
    return app


def erp() -> Recorder:
    return DESTINATIONS.setdefault("erp", Recorder())


def portal() -> Recorder:
    return DESTINATIONS.setdefault("portal", Recorder())


__all__ = ["DESTINATIONS", "Recorder", "engine_app", "engine_config", "erp", "portal"]
