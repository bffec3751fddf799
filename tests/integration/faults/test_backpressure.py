"""A 429 is back-pressure, not a failure of the record: it slows the route and parks nothing.

An unbatched route (one POST per delivery) to a real loopback receiver that
answers 429 (Retry-After: 0) to every fifth POST used to park 40 of 60 records
"retries exhausted": attempts were counted per round, and each round that
delivered something counted as a success. Now each delivery has its own
budget, which back-pressure never spends, and the pause is shared in the store.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from crossdock.config.hub import CircuitPolicy, HubConfig, RetryPolicy, RouteConfig, SystemConfig
from crossdock.model.base import EntityType
from crossdock.model.change import Change
from crossdock.store import Store
from crossdock.sync.guards import DestinationGuard
from crossdock.sync.runtime import Hub

pytestmark = pytest.mark.integration
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
Answer = Callable[[int], tuple[int, dict[str, str]]]


class Receiver:
    """Answers POST n as ``answer(n)`` says and keeps, per entity, the versions it accepted."""

    def __init__(self, answer: Answer) -> None:
        self.posts = 0
        self.accepted: dict[str, list[int]] = {}
        lock = threading.Lock()
        me = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                return

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("content-length") or 0)))
                with lock:
                    n = me.posts
                    me.posts += 1
                    status, headers = answer(n)
                    if status == 200:
                        for d in body.get("deliveries", [body]):
                            me.accepted.setdefault(d["entity_id"], []).append(d["version"])
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("content-length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver(request: pytest.FixtureRequest) -> Iterator[Receiver]:
    r = Receiver(request.param)
    yield r
    r.close()


def _hub(store_url: str, url: str, monkeypatch: pytest.MonkeyPatch, attempts: int = 3) -> Hub:
    monkeypatch.setenv("PORTAL_S", SECRET)
    config = HubConfig(
        systems=[
            SystemConfig(name="erp", kind="files"),
            SystemConfig(
                name="portal",
                kind="webhook",
                settings={"url": url, "secret_env": "PORTAL_S", "batch": False},
                circuit=CircuitPolicy(failures=3, open_seconds=30),
            ),
        ],
        routes=[
            RouteConfig(
                name="to-portal",
                entities=[EntityType.PRODUCT],
                destination="portal",
                batch_size=100,
                retry=RetryPolicy(attempts=attempts, base_seconds=0.001, cap_seconds=0.002),
            )
        ],
    )
    hub = Hub(config, Store.open(store_url))
    changes = [
        Change(
            system="erp",
            entity_type=EntityType.PRODUCT,
            native_id=str(i),
            data={"sku": f"S-{i}", "description": f"item {i} v{v}"},
        )
        for v in (1, 2)
        for i in range(30)
    ]
    for change in changes:
        hub.ingest([change])  # 60 events: two versions of each of 30 products
    return hub


def _every_fifth_429(n: int) -> tuple[int, dict[str, str]]:
    return (429, {"Retry-After": "0"}) if n % 5 == 4 else (200, {})


@pytest.mark.parametrize("receiver", [_every_fifth_429], indirect=True)
def test_an_unbatched_route_under_429s_delivers_everything_and_parks_nothing(
    store_url: str, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    hub = _hub(store_url, receiver.url, monkeypatch)
    try:
        hub.worker("to-portal").drain()
        for _ in range(5):
            hub.deliver()
        assert hub.store.parked.page("to-portal") == []
        assert hub.store.cursors.get("to-portal").position == hub.store.outbox.last_seq()
        assert len(receiver.accepted) == 30
        assert all(versions == sorted(versions) for versions in receiver.accepted.values())
        assert receiver.posts > 30  # the 429s were answered, and the same records went again
        assert hub.guard("portal").breaker.state.value == "closed"
    finally:
        hub.close()


def _always_503(n: int) -> tuple[int, dict[str, str]]:
    return 503, {}


@pytest.mark.parametrize("receiver", [_always_503], indirect=True)
def test_a_destination_that_fails_every_post_opens_the_circuit_and_parks_nothing(
    store_url: str, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    hub = _hub(store_url, receiver.url, monkeypatch)
    try:
        report = hub.worker("to-portal").drain()
        assert report.blocked and report.delivered == 0
        assert hub.guard("portal").breaker.state.value == "open"
        assert hub.store.parked.page("to-portal") == []
    finally:
        hub.close()


def test_each_record_spends_its_own_budget(store_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A record whose POST keeps failing parks after its attempts; its neighbours go through."""
    bad = "1"
    receiver = Receiver(lambda n: (200, {}))
    hub = _hub(store_url, receiver.url, monkeypatch, attempts=3)
    real = hub.destination("portal").push  # type: ignore[attr-defined]
    tries: dict[str, int] = {}

    def push(batch: Any) -> Any:
        results = real([d for d in batch if d.entity_id != hub_id(bad)])
        from crossdock.connectors.base import DeliveryResult, DeliveryStatus
        from crossdock.errors import ErrorCode

        for d in batch:
            if d.entity_id == hub_id(bad):
                tries[d.delivery_id] = tries.get(d.delivery_id, 0) + 1
                results.append(
                    DeliveryResult(
                        d.delivery_id, DeliveryStatus.RETRY, error="boom", code=ErrorCode.TRANSIENT
                    )
                )
        return results

    def hub_id(native: str) -> str:
        rid = hub.store.crosswalk.resolve("erp", EntityType.PRODUCT, native)
        assert rid is not None
        return rid

    monkeypatch.setattr(hub.destination("portal"), "push", push)
    try:
        hub.worker("to-portal").drain()
        parked = hub.store.parked.page("to-portal")
        assert [p.entity_id for p in parked] == [hub_id(bad)]
        assert parked[0].attempts == 3 and "retries exhausted after 3 attempts" in parked[0].error
        assert list(tries.values()) == [3]
        assert len(receiver.accepted) == 29
    finally:
        hub.close()
        receiver.close()


def test_a_pause_set_by_one_worker_holds_every_worker(store_url: str) -> None:
    store = Store.open(store_url)
    try:
        now = [1_000.0]
        policy = CircuitPolicy(failures=3, open_seconds=30)
        first = DestinationGuard.shared(store, "portal", policy, None, clock=lambda: now[0])
        second = DestinationGuard.shared(store, "portal", policy, None, clock=lambda: now[0])
        assert second.pause.remaining() == 0
        assert first.pause.hold(12.0) == pytest.approx(12.0)
        assert second.pause.remaining() == pytest.approx(12.0)
        assert second.pause.hold(5.0) == pytest.approx(12.0)  # a shorter wait never shortens it
        now[0] += 12.5
        assert first.pause.remaining() == 0
    finally:
        store.close()
