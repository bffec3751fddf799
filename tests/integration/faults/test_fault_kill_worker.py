"""Kill -9 the delivery worker again and again while 20k changes flow to a real receiver.

The worker is `crossdock serve` in its own process (API + sync loop), the
receiver an HTTP server on loopback that records every request in arrival
order. After the kills and a final clean run: the receiver, de-duplicated by
delivery id, holds exactly the canonical projection; no entity's versions
ever went backwards; re-sent versions carry the same id.
"""

from __future__ import annotations

import json
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from crossdock.model.base import EntityType
from crossdock.model.change import Change
from crossdock.store import Store
from crossdock.sync.ingest import Ingestor
from crossdock.sync.projection import project
from crossdock.sync.runtime import load_checked

pytestmark = [pytest.mark.integration, pytest.mark.slow]
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
KILLS = int(os.environ.get("CROSSDOCK_FAULT_KILLS", "5"))


class Recorder:
    def __init__(self) -> None:
        self.arrivals: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                return

            def do_POST(self) -> None:
                time.sleep(0.01)  # a receiver that takes its time widens the window to die in
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                doc = json.loads(body)
                with recorder.lock:
                    recorder.arrivals.extend(doc.get("deliveries", [doc]))
                self.send_response(200)
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks"


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    r = Recorder()
    yield r
    r.server.shutdown()
    r.server.server_close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_worker(cfg: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "crossdock.cli",
            "serve",
            "-c",
            str(cfg),
            "--port",
            str(free_port()),
            "--interval",
            "0.05",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def test_kill_9_never_loses_reorders_or_changes_a_delivery(
    tmp_path: Path, recorder: Recorder
) -> None:
    cfg = tmp_path / "crossdock.yaml"
    cfg.write_text(
        f"""
store: {{url: "sqlite:///{tmp_path / "hub.sqlite"}"}}
delivery: {{lease_seconds: 1.5}}
systems:
  - name: erp
    kind: files
  - name: portal
    kind: webhook
    settings: {{url: "{recorder.url}", secret_env: PORTAL_SECRET}}
routes:
  - {{name: to-portal, entities: [product], destination: portal, batch_size: 100, partitions: 4,
      fields: [sku, description, cost]}}
""",
        encoding="utf-8",
    )
    env = {**os.environ, "PORTAL_SECRET": SECRET}
    os.environ["PORTAL_SECRET"] = SECRET
    hub = load_checked(cfg)
    store = Store.open(hub.store.url)
    ingest = Ingestor(store, hub, batch_size=250)
    rng = random.Random(11)
    t0 = datetime(2026, 1, 1, tzinfo=UTC)

    def feed(round_: int, n: int) -> None:
        ingest.ingest(
            Change(
                system="erp",
                entity_type=EntityType.PRODUCT,
                native_id=str(i % 2000),
                data={
                    "sku": f"S-{i % 2000}",
                    "description": f"r{round_} i{i}",
                    "cost": f"{rng.randint(1, 9999) / 100:.2f}",
                },
                source_ts=t0 + timedelta(minutes=round_, microseconds=i),
            )
            for i in range(n)
        )

    feed(0, 10_000)
    worker = start_worker(cfg, env)
    try:
        for k in range(KILLS):
            # Kill it mid-flight: once it is delivering again, at a random moment.
            seen = len(recorder.arrivals)
            started = time.monotonic()
            while len(recorder.arrivals) == seen and time.monotonic() - started < 20:
                time.sleep(0.01)
            time.sleep(rng.uniform(0.0, 0.05))
            worker.send_signal(signal.SIGKILL)
            worker.wait(timeout=10)
            feed(k + 1, 2_000)  # the world goes on while the worker is dead
            worker = start_worker(cfg, env)
        deadline = time.monotonic() + 120

        def behind() -> bool:
            return any(
                store.events_after(store.cursor("to-portal", p).position, limit=1, partition=(p, 4))
                for p in range(4)
            )

        while behind():
            assert time.monotonic() < deadline, "the worker never caught up"
            assert worker.poll() is None, "the worker died on its own"
            time.sleep(0.2)
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)

    with recorder.lock:
        arrivals = list(recorder.arrivals)
    assert arrivals, "nothing was delivered"
    by_id: dict[str, dict[str, Any]] = {}
    last_version: dict[str, int] = {}
    for d in arrivals:
        held = by_id.setdefault(d["id"], d)
        assert held["data"] == d["data"], "a re-sent delivery id carries the same content"
        assert d["version"] >= last_version.get(d["entity_id"], 0), "versions never go back"
        last_version[d["entity_id"]] = d["version"]
    final: dict[str, dict[str, Any]] = {}
    for d in by_id.values():
        if d["version"] >= max(
            v["version"] for v in by_id.values() if v["entity_id"] == d["entity_id"]
        ):
            final[d["entity_id"]] = d["data"]
    route = hub.route("to-portal")
    expected = {
        r.id: project(route, r.data) for r in store.list_records(EntityType.PRODUCT, limit=10_000)
    }
    assert final == expected
    duplicates = len(arrivals) - len(by_id)
    print(f"kills={KILLS} arrivals={len(arrivals)} unique={len(by_id)} duplicates={duplicates}")
    store.close()
