"""A hub file whose accepted orders go to the real Tryton through the order engine.

The canonical store is seeded as Tryton would have it after a pull: customer
C-100 (Tryton's seeded party), WID-1 and WID-2 (Tryton products) and NOPE-1 (a hub
product Tryton does not know, for a refusal), with stock at DAL. Shared by
the Tryton order tests and the kill test's worker process.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

from crossdock.app import Application
from crossdock.model.base import EntityType
from crossdock.model.change import Change
from crossdock.services.availability import WmsEvent
from crossdock.services.orders import OrderIn
from crossdock.sync.runtime import load_checked

ERP_STATUSES = "[submitted, confirmed, partially_shipped, shipped, invoiced, closed]"


def engine_yaml(
    url: str,
    database: str,
    store: Path,
    *,
    confirm_sales: bool = True,
    portal_url: str | None = None,
    pull: tuple[str, ...] = (),
    store_url: str | None = None,
    recheck_seconds: float = 30.0,
) -> str:
    """``pull``: the Tryton kinds each sync pass pulls (e.g. shipments and invoices back);
    ``store_url``: the hub's store instead of SQLite at ``store`` (e.g. PostgreSQL);
    ``recheck_seconds``: how often held orders are looked at again."""
    portal = (
        f"""
  - name: portal
    kind: webhook
    settings:
      secret_env: PORTAL_WEBHOOK_SECRET
      url: {portal_url}
"""
        if portal_url
        else """
  - name: portal
    kind: webhook
    settings:
      secret_env: PORTAL_WEBHOOK_SECRET
"""
    )
    status_route = (
        """
  - name: portal-status
    entities: [order]
    destination: portal
    filter: {channel: [portal]}
    every_version: true
    receipts: true
"""
        if portal_url
        else ""
    )
    return f"""
store:
  url: {store_url or f"sqlite:///{store}"}
delivery:
  lease_seconds: 1
systems:
  - name: tryton
    kind: tryton
    settings:
      url: {url}
      database: {database}
      user: admin
      password_env: TRYTON_PASSWORD
      units: {{EA: u}}
      pull: [{", ".join(pull)}]
      overlap_seconds: 5
      confirm_sales: {"true" if confirm_sales else "false"}
      create_customers: false
{portal}
ownership:
  order:
    owner: orders
availability:
  locations: [DAL]
routes:
  - name: orders-to-tryton
    entities: [order]
    destination: tryton
    filter: {{status: {ERP_STATUSES}}}
    receipts: true
    retry: {{attempts: 3, base_seconds: 0.2, cap_seconds: 1}}
{status_route}
orders:
  erp_route: orders-to-tryton
  recheck_seconds: {recheck_seconds}
"""


def open_app(hub_file: Path) -> Application:
    app = Application.open(load_checked(hub_file))
    app.attach_steps()
    return app


def seed(app: Application, stock: str = "1000") -> None:
    """What a pull from Tryton would have brought, plus a product Tryton does not have."""
    changes = [
        Change(
            "tryton",
            EntityType.CUSTOMER,
            "C-100",
            {
                "account_number": "C-100",
                "name": "Acme Hardware",
                "status": "active",
                "credit_limit": "1000000",
                "sites": [{"code": "S1", "roles": ["ship_to", "bill_to"]}],
            },
        ),
        *(
            Change(
                "tryton",
                EntityType.PRODUCT,
                sku,
                {"sku": sku, "status": "active", "list_price": "9.00", "cost": "6.00"},
            )
            for sku in ("WID-1", "WID-2", "NOPE-1")
        ),
    ]
    report = app.hub.ingestor.ingest(changes)
    assert not report.exceptions, report
    for sku in ("WID-1", "WID-2", "NOPE-1"):
        app.availability.feeds.apply_wms_event(
            WmsEvent(
                idempotency_key=f"seed-{sku}",
                kind="receipt",
                sku=sku,
                location="DAL",
                quantity=Decimal(stock),
            )
        )


def order(number: str, sku: str = "WID-1", qty: str = "2", **fields: Any) -> OrderIn:
    return OrderIn.model_validate(
        {
            "order_number": number,
            "customer": "C-100",
            "ship_to": "S1",
            "lines": [{"line_number": 1, "sku": sku, "quantity": qty}],
            **fields,
        }
    )


def order_of(number: str, lines: dict[int, tuple[str, str]]) -> OrderIn:
    """An order of several lines: line number → (SKU, quantity)."""
    return OrderIn.model_validate(
        {
            "order_number": number,
            "customer": "C-100",
            "ship_to": "S1",
            "lines": [
                {"line_number": n, "sku": sku, "quantity": qty}
                for n, (sku, qty) in sorted(lines.items())
            ],
        }
    )


__all__ = ["engine_yaml", "open_app", "order", "order_of", "seed"]
