"""A real webhook receiver on loopback that misbehaves: refused, 500s, 429, timeouts, throttled.

Each test drives the hub's own delivery (webhook connector, retries, circuit,
rate limit) until the route has caught up, then checks that nothing was lost
or parked and that what the receiver holds is the canonical projection.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from crossdock.config.hub import (
    CircuitPolicy,
    HubConfig,
    RateLimit,
    RetryPolicy,
    RouteConfig,
    SystemConfig,
)
from crossdock.model.base import EntityType
from crossdock.model.change import Change
from crossdock.store import Store
from crossdock.sync.projection import project
from crossdock.sync.runtime import Hub

pytestmark = [pytest.mark.integration, pytest.mark.slow]
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
Behaviour = Callable[[int], tuple[int, dict[str, str], float]]  # n -> status, headers, delay


class Receiver:
    """Answers request n as ``behaviour(n)`` says; keeps what it accepted and when."""

    def __init__(self, behaviour: Behaviour, port: int = 0) -> None:
        self.behaviour = behaviour
        self.requests: list[float] = []
        self.accepted: list[tuple[float, dict[str, Any]]] = []
        self.lock = threading.Lock()
        me = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                return

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                with me.lock:
                    n = len(me.requests)
                    me.requests.append(time.monotonic())
                status, headers, delay = me.behaviour(n)
                time.sleep(delay)
                if status == 200:
                    with me.lock:
                        for d in json.loads(body)["deliveries"]:
                            me.accepted.append((time.monotonic(), d))
                try:
                    self.send_response(status)
                    for k, v in headers.items():
                        self.send_header(k, v)
                    self.end_headers()
                except OSError:
                    pass  # the client gave up (timeout)

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def holds(self) -> dict[str, dict[str, Any]]:
        newest: dict[str, dict[str, Any]] = {}
        for _, d in self.accepted:
            if d["entity_id"] not in newest or newest[d["entity_id"]]["version"] <= d["version"]:
                newest[d["entity_id"]] = d
        return {k: v["data"] for k, v in newest.items()}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def make_hub(
    tmp_path: Path, port: int, *, rate: RateLimit | None = None, batch_size: int = 10
) -> Hub:
    cfg = HubConfig(
        systems=[
            SystemConfig(name="erp", kind="files"),
            SystemConfig(
                name="portal",
                kind="webhook",
                settings={
                    "url": f"http://127.0.0.1:{port}/hooks",
                    "secret_env": "PORTAL_S",
                    "timeout_seconds": 0.3,
                },
                rate_limit=rate,
                circuit=CircuitPolicy(failures=3, open_seconds=0.4),
            ),
        ],
        routes=[
            RouteConfig(
                name="to-portal",
                entities=[EntityType.PRODUCT],
                destination="portal",
                fields=["sku", "description"],
                batch_size=batch_size,
                retry=RetryPolicy(attempts=4, base_seconds=0.01, cap_seconds=0.05),
            )
        ],
    )
    hub = Hub(cfg, Store.open(f"sqlite:///{tmp_path}/h.sqlite"))
    hub.ingest(
        [
            Change(
                system="erp",
                entity_type=EntityType.PRODUCT,
                native_id=str(i),
                data={"sku": f"S-{i}", "description": f"item {i}"},
            )
            for i in range(60)
        ]
    )
    return hub


def deliver_until_caught_up(hub: Hub, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while hub.store.cursors.get("to-portal").position < hub.store.outbox.last_seq():
        assert time.monotonic() < deadline, hub.route_status()
        hub.deliver()
        time.sleep(0.05)


def assert_nothing_lost(hub: Hub, receiver: Receiver) -> None:
    assert hub.store.parked.page("to-portal") == [], "a destination fault never parks records"
    route = hub.config.route("to-portal")
    expected = {r.id: project(route, r.data) for r in hub.store.records.page(EntityType.PRODUCT)}
    assert receiver.holds() == expected


@pytest.fixture(autouse=True)
def secret(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("PORTAL_S", SECRET)
    return


def test_connection_refused_for_a_while(tmp_path: Path) -> None:
    port = free_port()
    hub = make_hub(tmp_path, port)
    report = hub.deliver()["to-portal"]
    assert report.blocked and report.delivered == 0
    assert hub.guard("portal").breaker.state.value == "open"
    receiver = Receiver(lambda n: (200, {}, 0.0), port=port)  # the destination comes back
    try:
        deliver_until_caught_up(hub)
        assert hub.guard("portal").breaker.state.value == "closed"
        assert_nothing_lost(hub, receiver)
    finally:
        receiver.close()
        hub.close()


def test_500s_then_recovery(tmp_path: Path) -> None:
    receiver = Receiver(lambda n: (500, {}, 0.0) if n < 5 else (200, {}, 0.0))
    hub = make_hub(tmp_path, receiver.port)
    try:
        deliver_until_caught_up(hub)
        assert_nothing_lost(hub, receiver)
    finally:
        receiver.close()
        hub.close()


def test_429_retry_after_is_honoured(tmp_path: Path) -> None:
    receiver = Receiver(lambda n: (429, {"Retry-After": "1"}, 0.0) if n == 0 else (200, {}, 0.0))
    hub = make_hub(tmp_path, receiver.port)
    try:
        deliver_until_caught_up(hub)
        assert receiver.requests[1] - receiver.requests[0] >= 0.95, "waited the Retry-After"
        assert_nothing_lost(hub, receiver)
    finally:
        receiver.close()
        hub.close()


def test_timeouts_and_a_slow_receiver(tmp_path: Path) -> None:
    # Two requests outlast the client's 0.3 s timeout (the receiver still applies them:
    # the retry re-sends the same delivery ids), then it is merely slow.
    receiver = Receiver(lambda n: (200, {}, 0.5) if n < 2 else (200, {}, 0.05))
    hub = make_hub(tmp_path, receiver.port)
    try:
        deliver_until_caught_up(hub)
        ids = [d["id"] for _, d in receiver.accepted]
        assert len(ids) > len(set(ids)), "timed-out batches arrived twice, with the same ids"
        assert_nothing_lost(hub, receiver)
    finally:
        receiver.close()
        hub.close()


def test_rate_limit_holds_at_the_receiver(tmp_path: Path) -> None:
    receiver = Receiver(lambda n: (200, {}, 0.0))
    hub = make_hub(tmp_path, receiver.port, rate=RateLimit(per_second=100, burst=10), batch_size=10)
    try:
        started = time.monotonic()
        deliver_until_caught_up(hub)
        elapsed = time.monotonic() - started
        assert elapsed >= 0.45, "60 deliveries at 100/s after a burst of 10 take 0.5 s"
        times = [t for t, _ in receiver.accepted]
        for i, t in enumerate(times):  # in any window, at most burst + rate * window
            later = [u for u in times[i:] if u - t <= 0.25]
            assert len(later) <= 10 + 100 * 0.25 + 10, "one batch of slack for timing"
        assert_nothing_lost(hub, receiver)
    finally:
        receiver.close()
        hub.close()
