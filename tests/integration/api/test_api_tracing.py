"""One trace id follows a change: API or webhook in, the outbox, the feed, lineage, the audit
row, and the outbound webhook (header and body) to a real receiver on loopback; with an
exporter configured, the spans nest under the caller's."""

from __future__ import annotations

import json
import threading
import warnings
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from pydantic import BaseModel

from crossdock.api import create_api_key, create_app
from crossdock.app import Application
from crossdock.config.hub import HubConfig, RouteConfig, SystemConfig
from crossdock.connectors.base import Connector
from crossdock.connectors.registry import register
from crossdock.model.base import EntityType
from crossdock.observability import tracing
from crossdock.store import Store
from crossdock.sync.runtime import Hub

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

KIND = "tracing-test"
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
CALLER = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
CALLER_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"


class _NoSettings(BaseModel):
    pass


class _Null(Connector):
    kind = KIND
    Settings = _NoSettings


class Receiver:
    def __init__(self) -> None:
        self.posts: list[tuple[dict[str, str], dict[str, Any]]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                return

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                receiver.posts.append(
                    ({k.lower(): v for k, v in self.headers.items()}, json.loads(body))
                )
                self.send_response(200)
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.server.shutdown()
    r.server.server_close()


@pytest.fixture
def hub(store_url: str, receiver: Receiver, monkeypatch: pytest.MonkeyPatch) -> Iterator[Hub]:
    monkeypatch.setenv("PORTAL_SECRET", SECRET)
    register(KIND, _Null)
    config = HubConfig(
        systems=[
            SystemConfig(name="erp", kind=KIND, settings={}),
            SystemConfig(
                name="portal",
                kind="webhook",
                settings={"url": receiver.url, "secret_env": "PORTAL_SECRET", "inbound": True},
            ),
        ],
        routes=[RouteConfig(name="to-portal", entities=[EntityType.PRODUCT], destination="portal")],
    )
    h = Hub(config, Store.open(store_url))
    yield h
    h.close()


def _send(client: TestClient, key: str, headers: dict[str, str]) -> None:
    r = client.post(
        "/v1/changes",
        headers={"Authorization": f"Bearer {key}", **headers},
        json={"changes": [{"entity_type": "product", "native_id": "P1", "data": {"sku": "P1"}}]},
    )
    assert r.status_code == 200, r.text


def test_one_trace_id_from_the_caller_to_the_receiver(hub: Hub, receiver: Receiver) -> None:
    erp = create_api_key(hub.store, "erp", system="erp")
    admin = create_api_key(hub.store, "boss", ["admin"])
    auth = {"Authorization": f"Bearer {admin}"}
    with TestClient(create_app(Application(hub))) as client:
        _send(client, erp, {"traceparent": CALLER})
        hub.deliver()
        feed = client.get("/v1/events", headers=auth).json()["items"]
        rid = feed[0]["subject"]
        versions = client.get(f"/v1/records/product/{rid}/versions", headers=auth).json()
        audit = client.get("/v1/audit", headers=auth, params={"action": "changes."}).json()
    assert tracing.trace_id(feed[0]["traceparent"]) == CALLER_TRACE
    assert feed[0]["traceparent"] != CALLER  # the hub's own span under the caller's
    assert [v["trace_id"] for v in versions["versions"]] == [CALLER_TRACE]
    assert audit["items"][0]["detail"]["trace_id"] == CALLER_TRACE
    headers, body = receiver.posts[0]
    assert tracing.trace_id(headers["traceparent"]) == CALLER_TRACE
    assert tracing.trace_id(body["deliveries"][0]["traceparent"]) == CALLER_TRACE


def test_a_change_without_a_trace_starts_one_and_keeps_it(hub: Hub, receiver: Receiver) -> None:
    erp = create_api_key(hub.store, "erp", system="erp")
    with TestClient(create_app(Application(hub))) as client:
        _send(client, erp, {"traceparent": "garbage"})
    hub.deliver()
    event = hub.store.outbox.after(0)[0]
    started = tracing.trace_id(event.traceparent)
    assert started is not None and started != CALLER_TRACE
    assert tracing.trace_id(receiver.posts[0][0]["traceparent"]) == started


def test_a_pulled_change_gets_its_batchs_trace(hub: Hub) -> None:
    from crossdock.model.change import Change

    hub.ingest([Change("erp", EntityType.PRODUCT, f"P{i}", {"sku": f"P{i}"}) for i in range(3)])
    traces = {tracing.trace_id(e.traceparent) for e in hub.store.outbox.after(0)}
    assert len(traces) == 1 and None not in traces


def test_spans_nest_under_the_callers_when_exported(hub: Hub, receiver: Receiver) -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracing.use_provider(provider)
    try:
        erp = create_api_key(hub.store, "erp", system="erp")
        with TestClient(create_app(Application(hub))) as client:
            _send(client, erp, {"traceparent": CALLER})
        hub.deliver()
    finally:
        tracing.stop_exporting()
    spans = {s.name: s for s in exporter.get_finished_spans()}
    api, ingest, post = (
        spans["crossdock.api.changes"],
        spans["crossdock.ingest"],
        spans["crossdock.webhook.post"],
    )
    assert {f"{s.context.trace_id:032x}" for s in (api, ingest, post)} == {CALLER_TRACE}
    assert api.parent is not None and f"{api.parent.span_id:016x}" == "00f067aa0ba902b7"
    assert ingest.parent is not None and ingest.parent.span_id == api.context.span_id
    assert post.parent is not None and post.parent.span_id == api.context.span_id
    headers, _ = receiver.posts[0]
    assert tracing.parse(headers["traceparent"])[1] == f"{post.context.span_id:016x}"  # type: ignore[index]


def test_a_webhooks_trace_goes_with_its_changes(hub: Hub) -> None:
    import time

    from standardwebhooks import Webhook

    body = json.dumps(
        {"changes": [{"entity_type": "product", "native_id": "W1", "data": {"sku": "W1"}}]}
    )
    now = int(time.time())
    signature = Webhook(SECRET).sign("msg_trace", datetime.fromtimestamp(now, UTC), body)
    headers = {
        "webhook-id": "msg_trace",
        "webhook-timestamp": str(now),
        "webhook-signature": signature,
        "content-type": "application/json",
        "traceparent": CALLER,
    }
    with TestClient(create_app(Application(hub))) as client:
        r = client.post("/v1/webhooks/portal", content=body.encode(), headers=headers)
    assert r.status_code == 202, r.text
    hub.sync_once()
    events = [e for e in hub.store.outbox.after(0) if e.source_system == "portal"]
    assert [tracing.trace_id(e.traceparent) for e in events] == [CALLER_TRACE]
