"""A delivery to a URL that carries credentials logs none of them, at any level.

The destination's URL holds a user-info password and a query token, the route
signs with a webhook secret, and the receiver answers 503 once before it takes
the batch, so the retry path logs too. All log output of the process, at DEBUG,
is captured and searched.
"""

from __future__ import annotations

import io
import logging
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from crossdock.config.hub import EntityOwnership, HubConfig, RouteConfig, SystemConfig
from crossdock.model.base import EntityType
from crossdock.model.change import Change
from crossdock.observability.logging import configure_logging
from crossdock.store import Store
from crossdock.sync.runtime import Hub

pytestmark = pytest.mark.integration

PASSWORD = "url-Passw0rd-4471"
TOKEN = "query-T0ken-9913"
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


class _Flaky(BaseHTTPRequestHandler):
    calls = 0
    lock = threading.Lock()

    def log_message(self, format: str, *args: Any) -> None:
        return

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length") or 0))
        with _Flaky.lock:
            _Flaky.calls += 1
            first = _Flaky.calls == 1
        self.send_response(503 if first else 200)
        self.send_header("content-length", "0")
        self.end_headers()


@pytest.fixture
def receiver() -> Iterator[str]:
    _Flaky.calls = 0
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Flaky)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    host, port = server.server_address[:2]
    yield f"http://crossdock:{PASSWORD}@{host!s}:{port}/hooks?token={TOKEN}&tenant=7"
    server.shutdown()
    server.server_close()


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    out = io.StringIO()
    configure_logging("DEBUG", json=True, stream=out)
    yield out
    root.handlers[:] = handlers
    root.setLevel(level)


def test_delivery_to_a_url_with_credentials_logs_no_secret(
    store_url: str, receiver: str, captured: io.StringIO, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PORTAL_SECRET", SECRET)
    config = HubConfig(
        systems=[
            SystemConfig(name="erp", kind="files", settings={}),
            SystemConfig(
                name="portal",
                kind="webhook",
                settings={"url": receiver, "secret_env": "PORTAL_SECRET", "inbound": False},
            ),
        ],
        ownership={EntityType.PRODUCT: EntityOwnership(owner="erp")},
        routes=[
            RouteConfig(
                name="items", entities=[EntityType.PRODUCT], destination="portal", batch_size=10
            )
        ],
    )
    hub = Hub(config, Store.open(store_url))
    try:
        change = Change(
            system="erp",
            entity_type=EntityType.PRODUCT,
            native_id="P1",
            data={"sku": "P1", "base_uom": "EA", "units": [{"code": "EA", "factor": "1"}]},
            source_ts=datetime.now(UTC),
        )
        hub.ingest([change])
        hub.worker("items").sleep = lambda _s: None
        report = hub.deliver()["items"]
    finally:
        hub.close()
    assert report.delivered == 1 and report.retries >= 1
    text = captured.getvalue()
    assert "retrying" in text  # the retry was logged, so the search below means something
    for secret in (PASSWORD, TOKEN, SECRET, SECRET.removeprefix("whsec_")):
        assert secret not in text
