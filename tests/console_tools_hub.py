"""Seed data for the console's reconciliation, quote and ATP pages, on the console hub.

Shared by tests/integration/ui (TestClient) and tests/e2e (a real browser), as
tests/console_hub.py is.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from console_hub import product
from crossdock.app import Application
from crossdock.model.base import EntityType
from crossdock.model.change import Change
from crossdock.services.availability import ErpSnapshot
from crossdock.sync.reconcile_log import ReconcileLog
from crossdock.sync.runtime import Hub

INBOUND_DAYS = 7
"""The seeded purchase order is due this many days from today."""


def reconciled(hub: Hub) -> str:
    """ERP's snapshot kept as its last report: W-100 renamed there, one product new; the run id.

    P-900 (HAZ-9) is not listed, so it is missing in the system.
    """
    snapshot = [
        product("P-100", sku="W-100", description="Widget XL", base_uom="EA"),
        product("P-777", sku="NEW-7", description="Gadget", base_uom="EA"),
    ]
    report = hub.reconcile("erp", snapshot)
    return ReconcileLog(hub.store).save(report, actor="cli:test")


def catalog(hub: Hub) -> None:
    """W-1 (with a case of 12), customer ACME shipping to DAL, list BASE with a break at 24."""

    def put(etype: EntityType, native: str, data: dict[str, Any]) -> None:
        report = hub.ingestor.ingest([Change("erp", etype, native, data)])
        assert not report.exceptions, report

    put(EntityType.PRODUCT, "W-1", {"sku": "W-1", "units": [{"code": "CS", "factor": "12"}]})
    put(
        EntityType.CUSTOMER,
        "ACME",
        {"account_number": "ACME", "sites": [{"code": "DAL", "roles": ["ship_to"]}]},
    )
    put(
        EntityType.PRICE_LIST,
        "BASE",
        {
            "code": "BASE",
            "kind": "base",
            "entries": [
                {
                    "sku": "W-1",
                    "breaks": [
                        {"min_quantity": "1", "value": "10.00"},
                        {"min_quantity": "24", "value": "9.00"},
                    ],
                }
            ],
        },
    )


def stock(hub: Hub) -> date:
    """SKU A at W1: 10 on hand, 1 on hold, PO-42 of 5 due in a week; the PO's date."""
    eta = date.today() + timedelta(days=INBOUND_DAYS)
    Application(hub).availability.feeds.apply_erp_snapshot(
        ErpSnapshot.model_validate(
            {
                "as_of": datetime.now(UTC).isoformat(),
                "items": [
                    {
                        "sku": "A",
                        "location": "W1",
                        "on_hand": "10",
                        "on_hold": "1",
                        "inbound": [{"reference": "PO-42", "quantity": "5", "eta": eta}],
                    }
                ],
            }
        )
    )
    return eta
