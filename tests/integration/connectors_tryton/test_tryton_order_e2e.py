"""Order to confirmation end to end: posted as the portal over HTTP, validated, priced equal to
the pricing service, reserved; a confirmed Tryton sale; status webhooks received, signed and
in order, by a loopback portal."""

from __future__ import annotations

import json
import threading
import warnings
from collections.abc import Iterator
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from standardwebhooks import Webhook

from crossdock.api import create_api_key, create_app
from crossdock.connectors.tryton.client import TrytonClient
from crossdock.services.pricing import QuoteLine, QuoteRequest

from .conftest import PASSWORD, TrytonServer
from .orders_hub import engine_yaml, open_app, seed

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("hub_env")]
SECRET = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"  # the hub_env fixture's portal secret


class Portal:
    """A loopback receiver: verifies each webhook's signature and keeps the bodies in order."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        verifier, portal = Webhook(SECRET), self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                return

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                verifier.verify(body, dict(self.headers.items()))
                doc = json.loads(body)
                portal.received.extend(doc.get("deliveries", [doc]))  # a batch, or one
                self.send_response(204)
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/orders"


@pytest.fixture
def portal() -> Iterator[Portal]:
    p = Portal()
    yield p
    p.server.shutdown()
    p.server.server_close()


def test_posted_as_the_portal_to_a_confirmed_sale_with_statuses_in_order(
    tryton: TrytonServer, tmp_path: Path, portal: Portal
) -> None:
    hub_file = tmp_path / "crossdock.yaml"
    hub_file.write_text(
        engine_yaml(tryton.url, tryton.database, tmp_path / "hub.sqlite", portal_url=portal.url)
    )
    app = open_app(hub_file)
    client = TrytonClient(tryton.url, tryton.database, "admin", PASSWORD)
    try:
        seed(app)
        key = create_api_key(app.hub.store, "portal", [], system="portal")
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

        for _ in range(4):
            app.hub.sync_once()

        order = app.hub.store.orders.get(posted["id"])
        assert order is not None and order.status.value == "confirmed"
        (sale,) = client.search_read(
            "sale.sale", [["reference", "=", "WEB-77"]], ["state", "number"]
        )
        assert sale["state"] == "processing" and order.erp_number == sale["number"]
        statuses = [b["data"]["status"] for b in portal.received]
        assert statuses == ["submitted", "confirmed"]
        assert portal.received[-1]["data"]["erp_number"] == sale["number"]
        versions = [b["version"] for b in portal.received]
        assert versions == sorted(versions)
        steps = [(s.kind, s.outcome) for s in app.hub.store.orders.timeline(order.id)]
        assert steps.count(("channel", "delivered")) == 2
    finally:
        app.close()
        client.close()
