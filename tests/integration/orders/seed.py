"""A hub with one customer, a few items, prices and stock, for the order tests."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from crossdock.app import Application
from crossdock.config.availability import AvailabilityConfig
from crossdock.config.hub import EntityOwnership, HubConfig, SystemConfig
from crossdock.config.orders import OrdersConfig
from crossdock.model.base import EntityType
from crossdock.model.change import Change
from crossdock.services.availability import WmsEvent
from crossdock.services.orders import OrderIn
from crossdock.store import Store
from crossdock.sync.ingest import Ingestor
from crossdock.sync.runtime import Hub

TYPES = (EntityType.PRODUCT, EntityType.PRICE_LIST, EntityType.CUSTOMER)
SYSTEMS = ("erp", "portal", "shop")


def hub_config(orders: dict[str, Any] | None = None) -> HubConfig:
    return HubConfig(
        systems=[SystemConfig(name=s, kind="files") for s in SYSTEMS],
        ownership={e: EntityOwnership(owner="erp") for e in TYPES},
        availability=AvailabilityConfig(locations=["W1"]),
        orders=OrdersConfig.model_validate(orders or {}),
    )


def ingest(store: Store, etype: EntityType, native: str, data: dict[str, Any]) -> None:
    report = Ingestor(store, hub_config()).ingest(
        [Change(system="erp", entity_type=etype, native_id=native, data=data)]
    )
    assert not report.exceptions, report


def customer(store: Store, account: str = "ACME", **fields: Any) -> None:
    data: dict[str, Any] = {
        "account_number": account,
        "status": "active",
        "credit_limit": "1000",
        "sites": [
            {"code": "S1", "roles": ["ship_to"]},
            {"code": "B1", "roles": ["bill_to"]},
        ],
    }
    ingest(store, EntityType.CUSTOMER, account, {**data, **fields})


def product(store: Store, sku: str, price: str = "10.00", **fields: Any) -> None:
    data: dict[str, Any] = {
        "sku": sku,
        "status": "active",
        "units": [{"code": "CS", "factor": "12"}],
        "list_price": price,
        "cost": "1.00",
    }
    ingest(store, EntityType.PRODUCT, sku, {**data, **fields})


def stock(app: Application, sku: str, qty: str, key: str | None = None) -> None:
    app.availability.feeds.apply_wms_event(
        WmsEvent(
            idempotency_key=key or f"rcv-{sku}-{qty}",
            kind="receipt",
            sku=sku,
            location="W1",
            quantity=Decimal(qty),
        )
    )


def seeded(url: str, orders: dict[str, Any] | None = None) -> Application:
    """ACME (limit 1000, ship-to S1), W-1 at 10.00 (100 in stock), W-2 inactive, W-3 shop only."""
    app = Application(Hub(hub_config(orders), Store.open(url)))
    store = app.hub.store
    customer(store)
    product(store, "W-1")
    product(store, "W-2", status="inactive")
    product(store, "W-3", channels=["shop"])
    for sku in ("W-1", "W-2", "W-3"):
        stock(app, sku, "100")
    return app


def order(number: str = "PO-1", *lines: dict[str, Any], **fields: Any) -> OrderIn:
    body: dict[str, Any] = {
        "order_number": number,
        "customer": "ACME",
        "ship_to": "S1",
        "lines": list(lines) or [{"line_number": 1, "sku": "W-1", "quantity": "2"}],
    }
    return OrderIn.model_validate({**body, **fields})


def line(n: int, sku: str = "W-1", qty: str = "1", **fields: Any) -> dict[str, Any]:
    return {"line_number": n, "sku": sku, "quantity": qty, **fields}


def reserved(app: Application, sku: str = "W-1") -> Decimal:
    """Units of ``sku`` reserved at W1."""
    (item,) = app.availability.availability([sku])
    return item.locations[0].buckets.reserved


def shipment(
    app: Application, number: str, order_number: str, *lines: dict[str, Any], **kw: Any
) -> None:
    data = {
        "shipment_number": number,
        "order_number": order_number,
        "status": "shipped",
        "lines": list(lines),
        **kw,
    }
    report = app.hub.ingest(
        [Change(system="erp", entity_type=EntityType.SHIPMENT, native_id=number, data=data)]
    )
    assert not report.exceptions, report


def invoice(
    app: Application,
    number: str,
    order_number: str,
    *lines: dict[str, Any],
    status: str = "open",
    amount_due: str | None = None,
) -> None:
    total = sum((Decimal(ln["extended_price"]) for ln in lines), Decimal(0))
    data: dict[str, Any] = {
        "invoice_number": number,
        "order_number": order_number,
        "status": status,
        "lines": list(lines),
        "totals": {"subtotal": str(total), "total": str(total)},
    }
    if amount_due is not None:
        data["amount_due"] = amount_due
    report = app.hub.ingest(
        [Change(system="erp", entity_type=EntityType.INVOICE, native_id=number, data=data)]
    )
    assert not report.exceptions, report


def sl(n: int | None, qty: str, sku: str = "W-1", **kw: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"sku": sku, "quantity": qty, **kw}
    if n is not None:
        out["order_line_number"] = n
    return out


def il(n: int, qty: str, price: str, sku: str = "W-1", **kw: Any) -> dict[str, Any]:
    return {
        "line_number": n,
        "sku": sku,
        "quantity": qty,
        "unit_price": price,
        "extended_price": str(Decimal(qty) * Decimal(price)),
        **kw,
    }
