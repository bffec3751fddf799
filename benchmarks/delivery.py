"""Delivery to a loopback HTTP receiver: batched throughput and ingest-to-receiver latency.

Three measurements, each against an anchor taken in the same run against the
same receiver (a separate process that records each delivery's arrival):

1. Throughput: N product changes already in the outbox, delivered by the hub
   (outbox read, compaction, projection, Standard Webhooks signing, POST,
   per-record results, cursor commit) in batches of 500. Anchor: a plain
   ``httpx`` client POSTing the same number of records, pre-serialised, in
   batches of the same size. Target: >= 10k records/s.
2. Latency at 500 changes/s: a feeder ingests 5 changes every 10 ms while a
   ``crossdock serve`` worker process delivers them; latency is the time from
   the ingest call to the receiver's arrival, per change. Anchor: the same
   feeder POSTing each group straight to the receiver. Target: p99 <= 100 ms.
3. (``--scaling``, PostgreSQL) 1, 2 and 3 ``crossdock serve`` worker processes
   on one PostgreSQL store draining the same backlog over a 6-partition route
   in batches of 50 to a receiver that takes 20 ms per request (a real
   destination's latency):
   records/s per worker count. Reported, no target; the anchor is one worker.

    python benchmarks/delivery.py                  # SQLite, 50k records
    python benchmarks/delivery.py --records 10000 --seconds 5
    python benchmarks/delivery.py --scaling        # also the worker-process scaling on PostgreSQL

The last line printed is one JSON object, for machines.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
BATCH = 500


# -- the receiver (its own process) --------------------------------------------------------
def serve_receiver(port: int, delay: float) -> None:
    """Record (marker, arrival) per delivery; GET /stats answers them, POST /reset clears."""
    arrivals: list[tuple[str, float]] = []
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            return

        def _answer(self, body: bytes = b"") -> None:
            self.send_response(200)
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            with lock:
                body = json.dumps(arrivals).encode()
            self._answer(body)

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length") or 0))
            if self.path == "/reset":
                with lock:
                    arrivals.clear()
                self._answer()
                return
            if delay:
                time.sleep(delay)
            now = time.time()
            doc = json.loads(body)
            items = doc.get("deliveries", [doc])
            with lock:
                arrivals.extend((d["data"].get("description", ""), now) for d in items)
            self._answer()

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    server.serve_forever()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Receiver:
    def __init__(self, delay: float = 0.0) -> None:
        self.port = free_port()
        self.proc = subprocess.Popen(
            [sys.executable, __file__, "--serve-receiver", str(self.port), "--delay", str(delay)]
        )
        self.url = f"http://127.0.0.1:{self.port}/hooks"
        self.client = httpx.Client(timeout=30)
        for _ in range(200):
            try:
                self.client.get(f"http://127.0.0.1:{self.port}/stats")
                return
            except httpx.TransportError:
                time.sleep(0.05)
        raise SystemExit("the receiver did not start")

    def arrivals(self) -> list[tuple[str, float]]:
        got = self.client.get(f"http://127.0.0.1:{self.port}/stats").json()
        return [(m, float(t)) for m, t in got]

    def reset(self) -> None:
        self.client.post(f"http://127.0.0.1:{self.port}/reset")

    def close(self) -> None:
        self.client.close()
        self.proc.terminate()
        self.proc.wait(timeout=10)


# -- the hub side ----------------------------------------------------------------------------
def write_config(
    path: Path, store_url: str, receiver_url: str, partitions: int, batch: int = BATCH
) -> Path:
    cfg = path / "crossdock.yaml"
    cfg.write_text(
        f"""
store: {{url: "{store_url}"}}
delivery: {{lease_seconds: 5}}
systems:
  - name: erp
    kind: files
  - name: portal
    kind: webhook
    settings: {{url: "{receiver_url}", secret_env: PORTAL_SECRET}}
routes:
  - {{name: to-portal, entities: [product], destination: portal, batch_size: {batch},
      partitions: {partitions}, fields: [sku, description, cost]}}
""",
        encoding="utf-8",
    )
    return cfg


def changes(n: int, marker: str, start: int = 0) -> list[Any]:
    from crossdock.model.base import EntityType
    from crossdock.model.change import Change

    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    return [
        Change(
            system="erp",
            entity_type=EntityType.PRODUCT,
            native_id=str(i),
            data={"sku": f"S-{i}", "description": f"{marker}{i}", "cost": f"{i % 900 + 1}.25"},
            source_ts=t0 + timedelta(microseconds=i),
        )
        for i in range(start, start + n)
    ]


def start_worker(cfg: Path, interval: float) -> subprocess.Popen[bytes]:
    """A `crossdock serve` worker process (API + sync loop) on the hub file."""
    cmd = [sys.executable, "-m", "crossdock.cli", "serve", "-c", str(cfg), "--port"]
    return subprocess.Popen(
        [*cmd, str(free_port()), "--interval", str(interval)],
        env={**os.environ, "PORTAL_SECRET": SECRET},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def progress(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def measure_throughput(root: Path, receiver: Receiver, n: int) -> tuple[float, float]:
    from crossdock.store import Store
    from crossdock.sync.ingest import Ingestor
    from crossdock.sync.runtime import Hub, load_checked

    cfg = write_config(root, f"sqlite:///{root / 'tp.sqlite'}", receiver.url, 1)
    config = load_checked(cfg)
    store = Store.open(config.store.url)
    progress(f"throughput: ingesting {n:,} changes into the outbox ...")
    ingestor = Ingestor(store, config, batch_size=5000)
    for i in range(0, n, 5000):
        ingestor.ingest(changes(min(5000, n - i), "tp", i))
    hub = Hub(config, store)
    receiver.reset()
    progress("throughput: delivering ...")
    start = time.perf_counter()
    done = 0
    while True:
        report = hub.deliver()["to-portal"]
        done += report.delivered
        if report.events == 0:
            break
        progress(f"  ... {done:,}/{n:,}")
    hub_rate = done / (time.perf_counter() - start)
    got = len(receiver.arrivals())
    if got != n:
        raise SystemExit(f"the receiver holds {got} deliveries, expected {n}")
    hub.close()

    # Anchor: the same records, as plain JSON batches, POSTed by a plain client.
    receiver.reset()
    payloads = [
        json.dumps(
            {
                "deliveries": [
                    {
                        "id": f"to-portal:product:{j}:1",
                        "entity_id": str(j),
                        "version": 1,
                        "data": {"sku": f"S-{j}", "description": f"an{j}", "cost": "1.25"},
                    }
                    for j in range(i, min(i + BATCH, n))
                ]
            }
        ).encode()
        for i in range(0, n, BATCH)
    ]
    progress("throughput anchor: plain client ...")
    with httpx.Client(timeout=30) as client:
        start = time.perf_counter()
        for body in payloads:
            client.post(receiver.url, content=body, headers={"content-type": "application/json"})
        anchor_rate = n / (time.perf_counter() - start)
    return hub_rate, anchor_rate


def percentile(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(q * len(s)))]


def paced(seconds: float, send: Any) -> dict[str, float]:
    """Call ``send(group_index)`` every 10 ms for ``seconds``; the wall time of each call."""
    sent: dict[str, float] = {}
    groups = int(seconds * 100)
    start = time.perf_counter()
    for g in range(groups):
        target = start + g * 0.01
        pause = target - time.perf_counter()
        if pause > 0:
            time.sleep(pause)
        now = time.time()
        for marker in send(g):
            sent[marker] = now
    return sent


def latencies(receiver: Receiver, sent: dict[str, float], timeout: float = 60) -> list[float]:
    deadline = time.monotonic() + timeout
    while True:
        arrived = {m: t for m, t in receiver.arrivals() if m in sent}
        if len(arrived) >= len(sent) or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    if len(arrived) < len(sent):
        raise SystemExit(f"only {len(arrived)} of {len(sent)} changes arrived")
    return [(arrived[m] - sent[m]) * 1000 for m in sent]


def measure_latency(
    root: Path, receiver: Receiver, seconds: float
) -> tuple[list[float], list[float]]:
    from crossdock.store import Store
    from crossdock.sync.ingest import Ingestor
    from crossdock.sync.runtime import load_checked

    cfg = write_config(root, f"sqlite:///{root / 'lat.sqlite'}", receiver.url, 1)
    config = load_checked(cfg)
    store = Store.open(config.store.url)
    ingestor = Ingestor(store, config, batch_size=50)
    worker = start_worker(cfg, 0.005)
    try:
        ingestor.ingest(changes(5, "warmup", 10**6))
        time.sleep(3)  # the worker is up and has delivered the warm-up
        receiver.reset()
        progress(f"latency: 500 changes/s for {seconds:g}s through the hub ...")

        def via_hub(g: int) -> list[str]:
            batch = changes(5, "lat", g * 5)
            ingestor.ingest(batch)
            return [str(c.data["description"]) for c in batch]

        hub_ms = latencies(receiver, paced(seconds, via_hub))
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
    store.close()

    receiver.reset()
    progress(f"latency anchor: 500 changes/s for {seconds:g}s posted straight ...")
    with httpx.Client(timeout=30) as client:

        def direct(g: int) -> list[str]:
            items = [
                {"id": f"a{g}-{k}", "data": {"description": f"anchor{g * 5 + k}"}} for k in range(5)
            ]
            client.post(receiver.url, json={"deliveries": items})
            return [str(i["data"]["description"]) for i in items]

        anchor_ms = latencies(receiver, paced(seconds, direct))
    return hub_ms, anchor_ms


def measure_scaling(pg: str, n: int) -> dict[int, float]:
    import psycopg

    from crossdock.store import Store
    from crossdock.sync.ingest import Ingestor
    from crossdock.sync.runtime import load_checked

    rates: dict[int, float] = {}
    receiver = Receiver(delay=0.02)
    try:
        for workers in (1, 2, 3):
            schema = f"bench_{uuid.uuid4().hex[:8]}"
            with psycopg.connect(pg, autocommit=True) as conn:
                conn.execute(f"CREATE SCHEMA {schema}")
            sep = "&" if "?" in pg else "?"
            url = f"{pg}{sep}options=-csearch_path%3D{schema}"
            with tempfile.TemporaryDirectory() as tmp:
                cfg = write_config(Path(tmp), url, receiver.url, 6, batch=50)
                config = load_checked(cfg)
                store = Store.open(url)
                ingestor = Ingestor(store, config, batch_size=5000)
                for i in range(0, n, 5000):
                    ingestor.ingest(changes(min(5000, n - i), "sc", i))
                receiver.reset()
                progress(f"scaling: {workers} worker process(es), {n:,} records ...")
                start = time.perf_counter()
                procs = [start_worker(cfg, 0.02) for _ in range(workers)]
                try:
                    while len(receiver.arrivals()) < n:
                        if time.perf_counter() - start > 600:
                            raise SystemExit("scaling run did not finish in 10 minutes")
                        time.sleep(0.25)
                    rates[workers] = n / (time.perf_counter() - start)
                finally:
                    for p in procs:
                        p.kill()
                        p.wait(timeout=10)
                store.close()
            with psycopg.connect(pg, autocommit=True) as conn:
                conn.execute(f"DROP SCHEMA {schema} CASCADE")
            progress(f"  {workers} worker(s): {rates[workers]:,.0f} records/s")
    finally:
        receiver.close()
    return rates


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--records", type=int, default=50_000)
    ap.add_argument("--seconds", type=float, default=10.0, help="length of the latency run")
    ap.add_argument("--scaling", action="store_true", help="worker-process scaling on PostgreSQL")
    ap.add_argument("--serve-receiver", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--delay", type=float, default=0.0, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.serve_receiver:
        serve_receiver(args.serve_receiver, args.delay)
        return
    os.environ["PORTAL_SECRET"] = SECRET
    receiver = Receiver()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            hub_rate, anchor_rate = measure_throughput(Path(tmp), receiver, args.records)
            hub_ms, anchor_ms = measure_latency(Path(tmp), receiver, args.seconds)
    finally:
        receiver.close()
    scaling: dict[int, float] = {}
    if args.scaling:
        pg = os.environ.get("CROSSDOCK_BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
        scaling = measure_scaling(pg, args.records // 2)

    p99, a99 = percentile(hub_ms, 0.99), percentile(anchor_ms, 0.99)
    p50, a50 = percentile(hub_ms, 0.50), percentile(anchor_ms, 0.50)
    ratio = hub_rate / anchor_rate
    print(f"throughput: hub {hub_rate:,.0f} records/s, plain client {anchor_rate:,.0f} records/s,")
    print(f"            ratio {ratio:.3f}  (target: >= 10,000 records/s)")
    print(f"latency at 500/s: hub p50 {p50:.1f} ms p99 {p99:.1f} ms; straight p50 {a50:.1f} ms")
    print(f"            p99 {a99:.1f} ms  (target: hub p99 <= 100 ms)")
    if scaling:
        base = scaling[1]
        print(
            "scaling (PostgreSQL, 6 partitions, 20 ms receiver): "
            + ", ".join(f"{w} worker(s) {r:,.0f}/s (x{r / base:.2f})" for w, r in scaling.items())
        )
    print(
        json.dumps(
            {
                "benchmark": "delivery_webhook_sqlite",
                "value": round(hub_rate),
                "unit": "records/s",
                "anchor": "plain httpx client, same receiver, same batches",
                "anchor_value": round(anchor_rate),
                "ratio": round(ratio, 4),
                "latency_p99_ms": round(p99, 1),
                "latency_p50_ms": round(p50, 1),
                "anchor_latency_p99_ms": round(a99, 1),
                "latency_p99_ratio": round(p99 / a99, 2) if a99 else None,
                "scaling_records_per_s": {str(w): round(r) for w, r in scaling.items()},
            }
        )
    )


if __name__ == "__main__":
    main()
