"""What the worker-process fault tests share: a recording receiver, a worker, the final check.

The receiver is a real HTTP server on loopback that records every delivery in
arrival order (with its arrival time); the worker is `crossdock serve` in its
own process; the check compares what arrived with the canonical projection.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from crossdock.config.hub import RouteConfig
from crossdock.model.base import EntityType
from crossdock.store import Store
from crossdock.sync.projection import project

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


class Recorder:
    def __init__(self, delay: float = 0.0) -> None:
        self.arrivals: list[dict[str, Any]] = []
        self.requests: list[tuple[float, int]] = []  # (arrival, deliveries in it)
        self.lock = threading.Lock()
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                return

            def do_POST(self) -> None:
                if delay:
                    time.sleep(delay)
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                doc = json.loads(body)
                items = doc.get("deliveries", [doc])
                with recorder.lock:
                    recorder.requests.append((time.monotonic(), len(items)))
                    recorder.arrivals.extend(items)
                self.send_response(200)
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


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_worker(
    cfg: Path, env: dict[str, str], interval: float = 0.05, port: int | None = None
) -> subprocess.Popen[bytes]:
    """`crossdock serve` (API + sync loop) in its own process."""
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "crossdock.cli",
            "serve",
            "-c",
            str(cfg),
            "--port",
            str(port or free_port()),
            "--interval",
            str(interval),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def wait_until_serving(port: int, timeout: float = 60.0) -> None:
    """Wait until a worker started by :func:`start_worker` on ``port`` answers its health."""
    import urllib.request

    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/health", timeout=1) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        assert time.monotonic() < deadline, f"the worker on port {port} never served"
        time.sleep(0.05)


def most_in_any_window(requests: list[tuple[float, int]], window: float) -> int:
    """The most deliveries that arrived within any ``window`` seconds."""
    times = sorted(requests)
    most = 0
    total = 0
    lo = 0
    for t, n in times:
        total += n
        while times[lo][0] < t - window:
            total -= times[lo][1]
            lo += 1
        most = max(most, total)
    return most


def caught_up(store: Store, route: RouteConfig) -> bool:
    return not any(
        store.outbox.after(
            store.cursors.get(route.name, p).position, limit=1, partition=(p, route.partitions)
        )
        for p in range(route.partitions)
    )


def check_arrivals(
    arrivals: list[dict[str, Any]], store: Store, route: RouteConfig, entity: EntityType
) -> tuple[int, int]:
    """Exactly-once after de-duplication, per-entity order, final state = projection.

    Returns (unique deliveries, duplicates).
    """
    assert arrivals, "nothing was delivered"
    by_id: dict[str, dict[str, Any]] = {}
    last_version: dict[str, int] = {}
    newest: dict[str, dict[str, Any]] = {}
    for d in arrivals:
        held = by_id.setdefault(d["id"], d)
        assert held["data"] == d["data"], "a re-sent delivery id carries the same content"
        assert d["version"] >= last_version.get(d["entity_id"], 0), "versions never go back"
        last_version[d["entity_id"]] = d["version"]
        if d["version"] >= newest.get(d["entity_id"], {"version": 0})["version"]:
            newest[d["entity_id"]] = d
    final = {entity_id: d["data"] for entity_id, d in newest.items()}
    expected = {r.id: project(route, r.data) for r in store.records.page(entity, limit=1_000_000)}
    assert final == expected
    return len(by_id), len(arrivals) - len(by_id)
