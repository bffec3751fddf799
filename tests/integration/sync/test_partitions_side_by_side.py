"""One slow partition does not hold up the others: a process works partitions side by side.

The receiver holds every POST that carries the slow entity until the test lets it
go. While it is held, the route's other partitions must be delivered; on a hub that
works partitions one after another (starting, as here, with the slow one) they wait.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from crossdock.config.hub import HubConfig, RouteConfig, SystemConfig
from crossdock.model.base import EntityType
from crossdock.model.change import Change
from crossdock.store import Store
from crossdock.sync.runtime import Hub

pytestmark = pytest.mark.integration
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
PARTITIONS = 4


class HoldingReceiver:
    """Accepts every POST, but holds those that carry ``slow`` until ``release`` is set."""

    def __init__(self) -> None:
        self.slow: str | None = None
        self.release = threading.Event()
        self.accepted: set[str] = set()
        self.changed = threading.Condition()
        me = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                return

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("content-length") or 0)))
                ids = {d["entity_id"] for d in body.get("deliveries", [body])}
                if me.slow in ids:
                    me.release.wait(timeout=60)
                with me.changed:
                    me.accepted |= ids
                    me.changed.notify_all()
                self.send_response(200)
                self.send_header("content-length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks"

    def wait_for(self, ids: set[str], timeout: float) -> bool:
        with self.changed:
            return self.changed.wait_for(lambda: ids <= self.accepted, timeout=timeout)

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[HoldingReceiver]:
    r = HoldingReceiver()
    yield r
    r.close()


def test_a_held_partition_does_not_hold_up_the_others(
    store_url: str, receiver: HoldingReceiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PORTAL_S", SECRET)
    config = HubConfig(
        systems=[
            SystemConfig(name="erp", kind="files"),
            SystemConfig(
                name="portal",
                kind="webhook",
                settings={"url": receiver.url, "secret_env": "PORTAL_S"},
            ),
        ],
        routes=[
            RouteConfig(
                name="to-portal",
                entities=[EntityType.PRODUCT],
                destination="portal",
                partitions=PARTITIONS,
                batch_size=5,
            )
        ],
    )
    hub = Hub(config, Store.open(store_url))
    try:
        hub.ingest(
            [
                Change(
                    system="erp",
                    entity_type=EntityType.PRODUCT,
                    native_id=str(i),
                    data={"sku": f"S-{i}", "description": f"item {i}"},
                )
                for i in range(40)
            ]
        )
        by_partition = {
            p: {
                e.entity_id for e in hub.store.outbox.after(0, limit=100, partition=(p, PARTITIONS))
            }
            for p in range(PARTITIONS)
        }
        slow_partition = next(p for p, ids in by_partition.items() if ids)
        receiver.slow = sorted(by_partition[slow_partition])[0]
        others = set().union(*(ids for p, ids in by_partition.items() if p != slow_partition))
        assert others, "the entities spread over more than one partition"
        # the pass starts with the slow partition, the worst case for one-at-a-time work
        monkeypatch.setattr("crossdock.sync.runtime.random.randrange", lambda n: slow_partition)
        worker = threading.Thread(target=hub.deliver)
        worker.start()
        try:
            assert receiver.wait_for(others, timeout=20), "the other partitions waited"
            assert receiver.slow not in receiver.accepted  # still held
        finally:
            receiver.release.set()
            worker.join(timeout=60)
        assert receiver.wait_for(others | by_partition[slow_partition], timeout=10)
        for p in range(PARTITIONS):
            assert hub.store.cursors.get("to-portal", p).position > 0 or not by_partition[p]
    finally:
        hub.close()
