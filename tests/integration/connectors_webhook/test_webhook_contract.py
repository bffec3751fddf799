"""The webhook connector keeps the destination contract, against a receiver on loopback.

The receiver verifies each request's signature with the standardwebhooks library
(as a real receiver would), applies each delivery id once, and can be told to
answer 503 (unavailable) or 422 (refusing the records).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from standardwebhooks import Webhook

from crossdock.config.hub import HubConfig, SystemConfig
from crossdock.connectors.kit.testing import DestinationContract
from crossdock.connectors.registry import build_connector
from crossdock.connectors.webhook import WebhookConnector
from crossdock.model.base import EntityType

pytestmark = pytest.mark.integration
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


class _Receiver:
    def __init__(self) -> None:
        self.held: dict[str, Any] = {}
        self.applied: set[str] = set()
        self.status = 200
        verifier = Webhook(SECRET)
        me = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                return

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                verifier.verify(body, dict(self.headers.items()))
                if me.status == 200:
                    doc = json.loads(body)
                    for d in doc.get("deliveries", [doc]):
                        if d["id"] not in me.applied:
                            me.applied.add(d["id"])
                            me.held[d["entity_id"]] = d["data"]
                self.send_response(me.status)
                self.send_header("content-length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class _Harness:
    entity_type = EntityType.PRODUCT

    def __init__(self, receiver: _Receiver, batch: bool) -> None:
        self.receiver = receiver
        system = SystemConfig(
            name="portal",
            kind="webhook",
            settings={"url": receiver.url, "secret_env": "PORTAL_S", "batch": batch},
        )
        connector = build_connector(system, HubConfig(systems=[system]))
        assert isinstance(connector, WebhookConnector)
        self.connector = connector
        self.destination = connector.destination()

    def data(self, n: int) -> dict[str, Any]:
        return {"sku": f"S-{n}"}

    def held(self) -> dict[str, Any]:
        return dict(self.receiver.held)

    def break_(self, how: str) -> bool:
        self.receiver.status = 503 if how == "retryable" else 422
        return True


@pytest.fixture
def receiver(monkeypatch: pytest.MonkeyPatch) -> Iterator[_Receiver]:
    monkeypatch.setenv("PORTAL_S", SECRET)
    r = _Receiver()
    yield r
    r.close()


class TestWebhookDestinationBatched(DestinationContract):
    @pytest.fixture
    def harness(self, receiver: _Receiver) -> Iterator[_Harness]:
        h = _Harness(receiver, batch=True)
        yield h
        h.connector.close()


class TestWebhookDestinationOnePerDelivery(DestinationContract):
    @pytest.fixture
    def harness(self, receiver: _Receiver) -> Iterator[_Harness]:
        h = _Harness(receiver, batch=False)
        yield h
        h.connector.close()
