"""A hub for the console's order and customer pages: a held order, an accepted one, a review task.

Shared by tests/integration/ui (TestClient) and tests/e2e (a real browser).
ACME's credit limit is 30.00: PO-1 (5 x 10.00) is held for credit, PO-2
(1 x 10.00) is accepted. Two customers that look alike (one from the CRM,
one from the portal) leave an ``incoming`` task in the customer review queue.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from crossdock.api import create_api_key
from crossdock.app import Application
from crossdock.config.availability import AvailabilityConfig
from crossdock.config.customers import CustomersConfig
from crossdock.config.hub import EntityOwnership, HubConfig, SystemConfig
from crossdock.config.orders import OrdersConfig
from crossdock.model.base import EntityType
from crossdock.model.change import Change
from crossdock.services.availability import WmsEvent
from crossdock.services.orders import OrderIn
from crossdock.store import Store
from crossdock.sync.runtime import Hub

CUS = EntityType.CUSTOMER


@dataclass(frozen=True)
class OrderKeys:
    admin: str
    operator: str
    approver: str
    read: str


@dataclass(frozen=True)
class Seeded:
    held_id: str
    accepted_id: str
    task_id: int


def config() -> HubConfig:
    owned = {e: EntityOwnership(owner="erp") for e in (EntityType.PRODUCT, EntityType.PRICE_LIST)}
    return HubConfig(
        systems=[SystemConfig(name=s, kind="files") for s in ("erp", "crm", "portal")],
        ownership={
            **owned,
            CUS: EntityOwnership(owner="erp", create=["erp", "crm", "portal"], fields={"*": "*"}),
        },
        availability=AvailabilityConfig(locations=["W1"]),
        customers=CustomersConfig(),
        orders=OrdersConfig.model_validate(
            {"channels": {"default": {"credit": {"on_fail": "hold"}}}}
        ),
    )


def open_app(path: Path, url: str | None = None) -> Application:
    return Application(Hub(config(), Store.open(url or f"sqlite:///{path / 'hub.sqlite'}")))


def _ingest(
    app: Application, system: str, etype: EntityType, native: str, data: dict[str, Any]
) -> None:
    report = app.hub.ingest([Change(system=system, entity_type=etype, native_id=native, data=data)])
    assert not report.exceptions, report


def acme(app: Application, credit_limit: str) -> None:
    _ingest(
        app,
        "erp",
        CUS,
        "ACME",
        {
            "account_number": "ACME",
            "status": "active",
            "credit_limit": credit_limit,
            "sites": [{"code": "S1", "roles": ["ship_to"]}, {"code": "B1", "roles": ["bill_to"]}],
        },
    )


def _lookalike(name: str, line1: str) -> dict[str, Any]:
    return {
        "name": name,
        "sites": [
            {
                "code": "MAIN",
                "roles": ["sold_to", "ship_to"],
                "address": {"line1": line1, "city": "Springfield", "postal_code": "62701"},
            }
        ],
    }


def order(number: str, qty: str) -> OrderIn:
    return OrderIn.model_validate(
        {
            "order_number": number,
            "customer": "ACME",
            "ship_to": "S1",
            "lines": [{"line_number": 1, "sku": "W-1", "quantity": qty}],
        }
    )


def seed(app: Application) -> Seeded:
    acme(app, "30")
    _ingest(
        app,
        "erp",
        EntityType.PRODUCT,
        "W-1",
        {"sku": "W-1", "status": "active", "list_price": "10.00", "cost": "1.00"},
    )
    app.availability.feeds.apply_wms_event(
        WmsEvent(
            idempotency_key="rcv-W-1",
            kind="receipt",
            sku="W-1",
            location="W1",
            quantity=Decimal(100),
        )
    )
    held = app.orders.submit("portal", order("PO-1", "5")).order
    accepted = app.orders.submit("portal", order("PO-2", "1")).order
    _ingest(app, "crm", CUS, "C-1", _lookalike("Acme Supply Corp.", "12 Main St"))
    app.hub.ingestor.ingest(
        [
            Change(
                system="portal",
                entity_type=CUS,
                native_id="P-2",
                data=_lookalike("Acme Suply", "40 Oak Ave"),
            )
        ]
    )
    (task,) = app.hub.store.customer_match.reviews(limit=10)
    return Seeded(held.id, accepted.id, task.id)


def make_keys(app: Application) -> OrderKeys:
    store = app.hub.store
    return OrderKeys(
        admin=create_api_key(store, "Ada Admin", ["admin"]),
        operator=create_api_key(store, "Otto Operator", ["operate"]),
        approver=create_api_key(store, "Alma Approver", ["approve"]),
        read=create_api_key(store, "Rita Reader", ["read"]),
    )
