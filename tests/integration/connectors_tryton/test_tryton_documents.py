"""Shipments and invoices pulled from a real Tryton: a hub sale shipped and invoiced there,
and the order service's order moved by them."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from crossdock.app import Application
from crossdock.model.base import EntityType
from crossdock.model.invoice import Invoice
from crossdock.model.shipment import Shipment
from crossdock.services.orders import OrderIn
from crossdock.store.order_rows import OrderState
from crossdock.sync.runtime import Hub, parse_checked

from .conftest import TrytonServer, hub_yaml
from .test_tryton_push import line, order, sales_for, tryton_of

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.usefixtures("hub_env")]


def test_shipment_and_invoice_of_a_hub_sale_come_back(
    tryton: TrytonServer, tmp_path: Path, store_url: str
) -> None:
    """On SQLite and PostgreSQL hub stores; incremental, behind the kinds' bookmarks."""
    hub = Hub.open(parse_checked(hub_yaml(tryton, tmp_path)), store_url=store_url)
    try:
        hub.ingest(
            [order("WEB-7001", line(1, "WID-1", "5", "EA", "9.00"), line(2, "GAD-1", "1", "DZ"))]
        )
        assert hub.deliver(["orders-to-tryton"])["orders-to-tryton"].delivered == 1
        conn = tryton_of(hub)
        c = conn.client
        (sale,) = sales_for(conn, "WEB-7001")
        hub.pull(["tryton"])
        assert hub.store.records.page(EntityType.SHIPMENT) == []

        # Ship only part of line 1 in Tryton: 3 of 5 widgets now, the rest a backorder.
        (shipment,) = c.search("stock.shipment.out", [])
        c.button("stock.shipment.out", "wait", [shipment])
        (moves,) = c.read("stock.shipment.out", [shipment], ["inventory_moves"])
        for m in c.read("stock.move", moves["inventory_moves"], ["quantity"]):
            if m["quantity"] == 5:
                c.write("stock.move", [m["id"]], {"quantity": 3.0})
        for step in ("assign_force", "pick", "pack", "do"):
            c.button("stock.shipment.out", step, [shipment])
        # The invoice Tryton made on confirmation, posted.
        (invoice,) = c.search("account.invoice", [["type", "=", "out"]])
        c.button("account.invoice", "post", [invoice])

        hub.pull(["tryton"])
        (shp,) = hub.store.records.page(EntityType.SHIPMENT)
        got = Shipment.model_validate(shp.data)
        assert got.order_number == "WEB-7001"
        assert got.ship_from == "DAL"
        assert got.status is not None and got.status.value == "shipped"
        lines = sorted((ln.order_line_number, ln.sku, ln.quantity, ln.unit) for ln in got.lines)
        assert lines == [(1, "WID-1", Decimal(3), "EA"), (2, "GAD-1", Decimal(1), "DZ")]

        (inv,) = hub.store.records.page(EntityType.INVOICE)
        bill = Invoice.model_validate(inv.data)
        assert bill.order_number == "WEB-7001"
        assert bill.customer_account == "C-100"
        assert bill.status is not None and bill.status.value == "open"
        assert bill.due_date is not None and bill.invoice_date is not None
        assert bill.due_date > bill.invoice_date  # Net 30
        by_line = {ln.line_number: ln for ln in bill.lines}
        assert by_line[1].sku == "WID-1" and by_line[1].extended_price == Decimal("45.00")
        assert by_line[2].quantity == 1 and by_line[2].unit == "DZ"
        assert bill.totals is not None and bill.totals.total == Decimal("351.00")

        # Nothing changed: the next pull creates and updates nothing of either.
        again = hub.pull(["tryton"])
        assert again.ingest.created == again.ingest.updated == 0
        # A sale Tryton made itself (no hub marker) is not the hub's: its shipments stay out.
        assert sale["comment"].startswith("crossdock:")
    finally:
        hub.close()


def test_a_shipment_done_in_tryton_ships_the_hubs_order_and_consumes_its_reservation(
    tryton: TrytonServer, tmp_path: Path
) -> None:
    """The order service's order, its sale in Tryton, the shipment done there, pulled back:
    the order is partially shipped, then shipped and invoiced; its reservation consumed."""
    hub = Hub.open(parse_checked(hub_yaml(tryton, tmp_path)))
    app = Application(hub)
    try:
        hub.pull(["tryton"])
        app.availability.inventory.run()  # Tryton's stock reaches the positions
        (acme,) = (
            r.data
            for r in hub.store.records.page(EntityType.CUSTOMER)
            if r.data["account_number"] == "C-100"
        )
        ship_to = next(s["code"] for s in acme["sites"] if "ship_to" in s["roles"])
        placed = app.orders.submit(
            "portal",
            OrderIn.model_validate(
                {
                    "order_number": "WEB-8001",
                    "customer": "C-100",
                    "ship_to": ship_to,
                    "lines": [{"line_number": 1, "sku": "WID-1", "quantity": "5"}],
                }
            ),
        ).order
        assert placed.status is OrderState.ACCEPTED, placed.rules
        # Until the order engine sends it, the sale is made as the portal order would be.
        hub.ingest([order("WEB-8001", line(1, "WID-1", "5", "EA", "9.00"))])
        assert hub.deliver(["orders-to-tryton"])["orders-to-tryton"].delivered == 1
        c = tryton_of(hub).client
        (shipment,) = c.search("stock.shipment.out", [])
        c.button("stock.shipment.out", "wait", [shipment])
        (moves,) = c.read("stock.shipment.out", [shipment], ["inventory_moves"])
        c.write("stock.move", moves["inventory_moves"], {"quantity": 2.0})
        for step in ("assign_force", "pick", "pack", "do"):
            c.button("stock.shipment.out", step, [shipment])

        hub.pull(["tryton"])
        app.fulfilment.run()
        got = hub.store.orders.get(placed.id)
        assert got is not None and got.status is OrderState.PARTIALLY_SHIPPED
        (book,) = hub.store.fulfilment.lines(placed.id)
        assert (book.shipped, book.reserved) == (Decimal(2), Decimal(3))
        (link,) = hub.store.orders.reservations(placed.id)
        assert app.availability.reservations.get(link.reservation_id).status.value == "confirmed"

        # The backorder Tryton made ships too; the invoice is posted: shipped, then invoiced.
        (rest,) = c.search("stock.shipment.out", [["state", "=", "waiting"]])
        for step in ("assign_force", "pick", "pack", "do"):
            c.button("stock.shipment.out", step, [rest])
        (inv,) = c.search("account.invoice", [["type", "=", "out"]])
        c.button("account.invoice", "post", [inv])
        hub.pull(["tryton"])
        app.fulfilment.run()
        got = hub.store.orders.get(placed.id)
        assert got is not None and got.status is OrderState.INVOICED
        assert app.availability.reservations.get(link.reservation_id).status.value == "shipped"
        kinds = [s.kind for s in hub.store.orders.timeline(placed.id)]
        assert kinds.count("shipment") == 2 and kinds.count("invoice") == 1
    finally:
        app.close()
