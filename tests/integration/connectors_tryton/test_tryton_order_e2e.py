"""Order to cash end to end against the real Tryton: posted as the portal over HTTP, validated,
priced equal to the pricing service, reserved; a confirmed Tryton sale; its shipment done in
Tryton pulled back with its carrier and tracking reference (Tryton's carrier modules
installed), shipped, reservation consumed; its invoice posted there pulled back (invoiced);
status webhooks received, signed and in order, by a loopback portal."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from crossdock.api import create_api_key, create_app
from crossdock.app import Application
from crossdock.connectors.tryton.client import TrytonClient
from crossdock.services.pricing import QuoteLine, QuoteRequest
from crossdock.store.order_rows import OrderState
from loopback import LoopbackReceiver

from .conftest import PASSWORD, TrytonServer
from .orders_hub import engine_yaml, open_app, seed

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("hub_env")]
SECRET = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"  # the hub_env fixture's portal secret


@pytest.fixture
def portal() -> Iterator[LoopbackReceiver]:
    with LoopbackReceiver(SECRET, path="/orders") as p:
        yield p


def passes(app: Application, n: int = 3) -> None:
    for _ in range(n):
        app.hub.sync_once()


TRACKING = "1Z999AA10123456784"
PARCEL = "1Z999AA10123456791"


def make_carrier(client: TrytonClient) -> int:
    """A carrier as Tryton's ``carrier`` module has one: a party and a service product."""
    party = client.create("party.party", [{"name": "Parcel Co"}])[0]
    (unit,) = client.search("product.uom", [["symbol", "=", "u"]])
    template = client.create(
        "product.template",
        [
            {
                "name": "Ground",
                "type": "service",
                "default_uom": unit,
                "products": [["create", [{}]]],
            }
        ],
    )[0]
    (product,) = client.search("product.product", [["template", "=", template]])
    return client.create("carrier", [{"party": party, "carrier_product": product}])[0]


def ship_in_tryton(client: TrytonClient, shipment: int, carrier: int) -> None:
    """What a warehouse clerk does in Tryton: carrier and tracking set, picked, boxed, done."""
    client.button("stock.shipment.out", "wait", [shipment])
    client.write(
        "stock.shipment.out", [shipment], {"carrier": carrier, "shipping_reference": TRACKING}
    )
    for step in ("assign_force", "pick"):
        client.button("stock.shipment.out", step, [shipment])
    # the clerk packs it in one box, whose label carries its own reference
    (box,) = client.create("stock.package.type", [{"name": "Box"}])
    (moves,) = client.read("stock.shipment.out", [shipment], ["outgoing_moves"])
    client.create(
        "stock.package",
        [
            {
                "type": box,
                "shipment": f"stock.shipment.out,{shipment}",
                "moves": [["add", moves["outgoing_moves"]]],
                "shipping_reference": PARCEL,
            }
        ],
    )
    for step in ("pack", "do"):
        client.button("stock.shipment.out", step, [shipment])


def test_posted_as_the_portal_to_shipped_and_invoiced_in_tryton_with_statuses_in_order(
    tryton_carrier: TrytonServer, tmp_path: Path, portal: LoopbackReceiver
) -> None:
    tryton = tryton_carrier
    hub_file = tmp_path / "crossdock.yaml"
    hub_file.write_text(
        engine_yaml(
            tryton.url,
            tryton.database,
            tmp_path / "hub.sqlite",
            portal_url=portal.url,
            pull=("shipments", "invoices"),
        )
    )
    app = open_app(hub_file)
    client = TrytonClient(tryton.url, tryton.database, "admin", PASSWORD)
    store = app.hub.store
    try:
        seed(app)
        key = create_api_key(store, "portal", [], system="portal")
        with TestClient(create_app(app)) as http:
            r = http.post(
                "/v1/orders",
                json={
                    "order_number": "WEB-77",
                    "customer": "C-100",
                    "ship_to": "S1",
                    "lines": [{"line_number": 1, "sku": "WID-1", "quantity": "6"}],
                },
                headers={"Authorization": f"Bearer {key}"},
            )
            assert r.status_code == 201, r.text
            posted = r.json()
        assert posted["status"] == "accepted"
        quoted = app.pricing.quote(
            QuoteRequest("C-100", [QuoteLine("WID-1", Decimal(6))], ship_to="S1", channel="portal")
        )
        assert posted["lines"][0]["unit_price"] == str(quoted.lines[0].unit_price)  # type: ignore[union-attr]
        assert [res["quantity"] for res in posted["reservations"]] == ["6"]

        # Accepted (published as the canonical "submitted"), sent, confirmed by Tryton.
        passes(app, 4)
        order = store.orders.get(posted["id"])
        assert order is not None and order.status is OrderState.CONFIRMED
        (sale,) = client.search_read(
            "sale.sale",
            [["reference", "=", "WEB-77"]],
            ["state", "number", "shipments", "invoices"],
        )
        assert sale["state"] == "processing" and order.erp_number == sale["number"]
        assert [b["data"]["status"] for b in portal.received] == ["submitted", "confirmed"]

        # The warehouse ships it in Tryton; the next passes pull the shipment back.
        (shipment,) = sale["shipments"]
        ship_in_tryton(client, shipment, make_carrier(client))
        (done,) = client.read("stock.shipment.out", [shipment], ["number", "state"])
        assert done["state"] == "done"
        passes(app)
        order = store.orders.get(posted["id"])
        assert order is not None and order.status is OrderState.SHIPPED, order
        (link,) = store.orders.reservations(order.id)
        held = app.availability.reservations.get(link.reservation_id)
        assert held.status.value == "shipped"  # consumed, once
        (book,) = store.fulfilment.lines(order.id)
        assert (book.shipped, book.reserved, book.released) == (Decimal(6), 0, 0)

        # Accounting posts the invoice Tryton made on confirmation: invoiced.
        (invoice,) = sale["invoices"]
        client.button("account.invoice", "post", [invoice])
        passes(app)
        order = store.orders.get(posted["id"])
        assert order is not None and order.status is OrderState.INVOICED, order
        assert order.problem is None

        statuses = [b["data"]["status"] for b in portal.received]
        assert statuses == ["submitted", "confirmed", "shipped", "invoiced"]
        by_status = {b["data"]["status"]: b["data"] for b in portal.received}
        assert by_status["confirmed"]["erp_number"] == sale["number"]
        # Tryton's carrier (its party, its service product) and tracking reference
        assert by_status["shipped"]["shipments"] == [
            {
                "shipment_number": done["number"],
                "carrier": "Parcel Co",
                "service": "Ground",
                "tracking_numbers": [TRACKING, PARCEL],  # the shipment's, then its box's
                "lines": [{"line_number": 1, "sku": "WID-1", "quantity": "6"}],
            }
        ]
        assert by_status["invoiced"]["shipments"] == by_status["shipped"]["shipments"]
        versions = [b["version"] for b in portal.received]
        assert versions == sorted(versions) and len(set(versions)) == 4
        assert portal.refused_signatures == 0
        steps = [(s.kind, s.outcome) for s in store.orders.timeline(order.id)]
        assert steps.count(("channel", "delivered")) == 4
        assert steps.count(("shipment", "applied")) == 1
        assert [o for k, o in steps if k == "invoice"] == ["open"]  # posted, not yet paid
    finally:
        app.close()
        client.close()
