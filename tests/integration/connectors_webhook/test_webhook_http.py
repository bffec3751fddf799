"""The webhook destination against a real HTTP receiver on 127.0.0.1.

The receiver is a ``ThreadingHTTPServer`` that records every request and
verifies its signature with the ``standardwebhooks`` library, as a
distributor's portal would.
"""

from __future__ import annotations

import base64
import json
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from standardwebhooks import Webhook, WebhookVerificationError

from crossdock.config.hub import HubConfig, SystemConfig
from crossdock.connectors.base import Delivery, DeliveryStatus, Destination
from crossdock.connectors.registry import build_connector
from crossdock.connectors.webhook import WebhookConnector
from crossdock.errors import ErrorCode, RetryableError
from crossdock.model.base import EntityType
from crossdock.model.change import ChangeOp

pytestmark = pytest.mark.integration

SECRET = "whsec_" + base64.b64encode(b"crossdock-integration-secret-32b").decode()
Reply = tuple[int, dict[str, str], bytes]


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    client_port: int
    payload: Any = None
    verified: bool = False


@dataclass
class Receiver:
    """What the fake portal saw, and how it answers."""

    url: str = ""
    requests: list[Received] = field(default_factory=list)
    reply: Callable[[Received], Reply] = lambda r: (200, {}, b"")
    delay: float = 0.0
    stop: threading.Event = field(default_factory=threading.Event)


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            rec = Received(dict(self.headers.items()), body, self.client_address[1])
            try:
                rec.payload = Webhook(SECRET).verify(body, rec.headers)
                rec.verified = True
            except WebhookVerificationError:
                rec.verified = False
            receiver.requests.append(rec)
            if receiver.delay:
                receiver.stop.wait(receiver.delay)
            status, headers, out = receiver.reply(rec) if rec.verified else (401, {}, b"bad sig")
            try:
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    rec = Receiver()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(rec))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    rec.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/crossdock"
    try:
        yield rec
    finally:
        rec.stop.set()
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.fixture
def connect(
    monkeypatch: pytest.MonkeyPatch, receiver: Receiver
) -> Iterator[Callable[..., Destination]]:
    monkeypatch.setenv("PORTAL_WEBHOOK_SECRET", SECRET)
    made: list[WebhookConnector] = []

    def make(**settings: Any) -> Destination:
        raw = {"secret_env": "PORTAL_WEBHOOK_SECRET", "url": receiver.url, **settings}
        system = SystemConfig(name="portal", kind="webhook", settings=raw)
        connector = build_connector(system, HubConfig(systems=[system]))
        assert isinstance(connector, WebhookConnector)
        made.append(connector)
        dest = connector.destination()
        assert dest is not None
        return dest

    yield make
    for c in made:
        c.close()


def delivery(n: int) -> Delivery:
    return Delivery(
        delivery_id=f"to-portal:product:prd_{n}:1",
        route="to-portal",
        entity_type=EntityType.PRODUCT,
        entity_id=f"prd_{n}",
        version=1,
        op=ChangeOp.UPSERT,
        data={"sku": f"S-{n}", "list_price": {"amount": "12.50", "currency": "USD"}},
        native_id=None,
        event_time=datetime(2024, 5, 1, 12, 0, tzinfo=UTC),
    )


def _json(obj: Any) -> bytes:
    return json.dumps(obj).encode()


def test_batch_post_is_delivered_and_verifiable(
    connect: Callable[..., Destination], receiver: Receiver
) -> None:
    batch = [delivery(1), delivery(2), delivery(3)]
    results = connect().push(batch)
    assert [r.status for r in results] == [DeliveryStatus.DELIVERED] * 3
    [req] = receiver.requests
    assert req.verified
    assert req.headers["webhook-id"].startswith("batch_")
    assert req.headers["Idempotency-Key"] == req.headers["webhook-id"]
    assert req.payload["type"] == "crossdock.deliveries"
    assert [d["id"] for d in req.payload["deliveries"]] == [d.delivery_id for d in batch]
    assert req.payload["deliveries"][0]["data"]["list_price"] == {
        "amount": "12.50",
        "currency": "USD",
    }


def test_one_keep_alive_connection_per_connector(
    connect: Callable[..., Destination], receiver: Receiver
) -> None:
    dest = connect()
    dest.push([delivery(1)])
    dest.push([delivery(2)])
    assert len({r.client_port for r in receiver.requests}) == 1


def test_single_mode_uses_the_delivery_id_as_webhook_id(
    connect: Callable[..., Destination], receiver: Receiver
) -> None:
    batch = [delivery(1), delivery(2)]
    results = connect(batch=False).push(batch)
    assert [r.status for r in results] == [DeliveryStatus.DELIVERED] * 2
    assert [r.headers["webhook-id"] for r in receiver.requests] == [d.delivery_id for d in batch]
    assert all(r.verified for r in receiver.requests)
    assert receiver.requests[1].payload["id"] == batch[1].delivery_id
    assert receiver.requests[1].headers["Idempotency-Key"] == batch[1].delivery_id


def test_server_error_is_retryable(connect: Callable[..., Destination], receiver: Receiver) -> None:
    receiver.reply = lambda r: (500, {}, b"database down")
    with pytest.raises(RetryableError) as info:
        connect().push([delivery(1)])
    assert info.value.code is ErrorCode.DESTINATION_UNAVAILABLE
    assert "500" in info.value.message


def test_throttling_honours_retry_after(
    connect: Callable[..., Destination], receiver: Receiver
) -> None:
    receiver.reply = lambda r: (429, {"Retry-After": "7"}, b"slow down")
    with pytest.raises(RetryableError) as info:
        connect().push([delivery(1)])
    assert info.value.retry_after == 7
    assert info.value.code is ErrorCode.RATE_LIMITED


def test_bad_request_fails_each_delivery_with_the_body(
    connect: Callable[..., Destination], receiver: Receiver
) -> None:
    receiver.reply = lambda r: (400, {"Content-Type": "text/plain"}, b"unknown field: list_price")
    results = connect().push([delivery(1), delivery(2)])
    assert [r.status for r in results] == [DeliveryStatus.FAILED] * 2
    assert all(r.code is ErrorCode.REJECTED_BY_DESTINATION for r in results)
    assert results[0].error == "HTTP 400 Bad Request: unknown field: list_price"


def test_connection_refused_is_retryable(monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("PORTAL_WEBHOOK_SECRET", SECRET)
    raw = {"secret_env": "PORTAL_WEBHOOK_SECRET", "url": f"http://127.0.0.1:{port}/hooks"}
    system = SystemConfig(name="portal", kind="webhook", settings=raw)
    connector = build_connector(system, HubConfig(systems=[system]))
    try:
        dest = connector.destination()
        assert dest is not None
        with pytest.raises(RetryableError) as info:
            dest.push([delivery(1)])
        assert info.value.code is ErrorCode.DESTINATION_UNAVAILABLE
    finally:
        connector.close()


def test_slow_receiver_times_out_as_retryable(
    connect: Callable[..., Destination], receiver: Receiver
) -> None:
    receiver.delay = 3.0
    with pytest.raises(RetryableError) as info:
        connect(timeout_seconds=0.2).push([delivery(1)])
    assert info.value.code is ErrorCode.TRANSIENT
    assert "in time" in info.value.message


def test_per_delivery_results_and_native_ids(
    connect: Callable[..., Destination], receiver: Receiver
) -> None:
    batch = [delivery(1), delivery(2), delivery(3)]

    def reply(r: Received) -> Reply:
        ids = [d["id"] for d in r.payload["deliveries"]]
        results = [
            {"id": ids[0], "status": "ok", "native_id": "PORTAL-1"},
            {"id": ids[1], "status": "failed", "error": "sku S-2 is blocked"},
            {"id": ids[2], "status": "retry"},
        ]
        return 200, {"Content-Type": "application/json"}, _json({"results": results})

    receiver.reply = reply
    results = connect().push(batch)
    assert [r.status for r in results] == [
        DeliveryStatus.DELIVERED,
        DeliveryStatus.FAILED,
        DeliveryStatus.RETRY,
    ]
    assert results[0].native_id == "PORTAL-1"
    assert results[1].error == "sku S-2 is blocked"
