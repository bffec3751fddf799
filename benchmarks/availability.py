"""Availability: WMS event to ATP visible through the API, and reservations under 64 clients.

Both parts drive a real HTTP API the way its callers would: ``--api-workers``
uvicorn processes accept on one listening socket (by default one on SQLite,
an embedded store on one node, and two on PostgreSQL, where a deployment
runs several; the no-oversell guarantee holds across processes because it
rests in the SQL); clients keep a connection each (stdlib
``http.client``, so the load generator takes little of the machine).

(1) Latency. A paced WMS feed offers ``--rate`` events a second (2,000 by
default) in batches of ``--batch`` to ``POST /v1/availability/events``
(after ``--warmup`` seconds of the same, not measured: a server's first
requests build its services and caches);
after each batch's answer the client reads ``GET /v1/availability`` for a
SKU of the batch and checks it shows the batch's version. Latency runs from
the moment an event happened (a batch's events fill it at the offered rate,
and a server that falls behind is charged for the wait) to that read. The
rate achieved is printed too: a p99 under a load the server cannot keep up
with only measures the queue. Anchor, same run, same store, same pacing and
threads: the same number of plain single-row ``UPDATE stock_positions``
statements in one transaction per batch, then a ``SELECT`` of one row.

(2) Throughput. 64 channel clients each send one reservation per request
(``POST /v1/reservations``, one unit of a random SKU, each SKU with a few
units; 64 kept connections on one asyncio loop, requests pre-encoded, so the
load generator takes little of the two cores the API and store share) until
``--reservations`` attempts are made, more than there is stock, so the last
units are fought over; afterwards no SKU may have more reserved than ATP
allowed, and every reservation held must be one a client was told it won.
The same run also reserves through the service in process (64 threads; what
the service itself can do, without HTTP). Anchor: 64 threads running the
same number of single-row ``UPDATE`` transactions on the same table.

Each HTTP part also prints the CPU it cost per request: the API processes'
(user + system, from ``/proc``), this load generator's and, on a local
PostgreSQL, the server's, so a figure can be read against what the cores
allow. ``CROSSDOCK_BENCH_PROFILE=<dir>`` writes a pyinstrument profile of
each API process's event loop thread there (HTML, text, and the session for
``pyinstrument --load``); pyinstrument must be installed, it is not a
dependency.

    python benchmarks/availability.py                      # SQLite
    python benchmarks/availability.py --backend postgres   # CROSSDOCK_BENCH_PG_URL, or local

The last line printed is one JSON object, for machines.
"""

from __future__ import annotations

import argparse
import gc
import http.client
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import uvicorn
from sqlalchemy import text

from crossdock.api import create_api_key, create_app
from crossdock.app import Application
from crossdock.config.availability import AvailabilityConfig
from crossdock.config.hub import HubConfig, RateLimit, ThrottleConfig
from crossdock.errors import ConflictError
from crossdock.services.availability import AvailabilityService, ReserveRequest, WmsEvent
from crossdock.store import Store
from crossdock.sync.runtime import Hub

CONFIG = AvailabilityConfig.model_validate(
    {
        "locations": ["W1", "W2"],
        "channels": [{"name": "web", "ring_fence_percent": "80"}],
        "publish": {"levels": ["0", "10"], "min_change": "50"},
    }
)


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def seed(svc: AvailabilityService, skus: list[str], qty: int) -> None:
    for i in range(0, len(skus), 500):
        svc.feeds.apply_wms_events(
            [
                WmsEvent(
                    idempotency_key=f"seed-{s}",
                    kind="receipt",
                    sku=s,
                    location="W1",
                    quantity=Decimal(qty),
                )
                for s in skus[i : i + 500]
            ]
        )


def paced(
    batches: int, rate: float, batch: int, workers: int, work: Callable[[int], None]
) -> list[float]:
    """Run ``work(k)`` for batch k at its due time on ``workers`` threads; latency per event (s).

    Batch k is due when its last event happens; an event's latency runs from when it
    happened to when ``work`` returned, so a server that falls behind is charged for it.
    """
    t0 = time.perf_counter() + 0.2
    lat: list[float] = [0.0] * batches
    nxt = iter(range(batches))
    lock = threading.Lock()
    errors: list[BaseException] = []

    def loop() -> None:
        while True:
            with lock:
                k = next(nxt, None)
            if k is None:
                return
            due = t0 + k * batch / rate
            wait = due - time.perf_counter()
            if wait > 0:
                time.sleep(wait)
            try:
                work(k)
            except BaseException as exc:
                errors.append(exc)
                return
            lat[k] = time.perf_counter() - due

    # Each event of a batch was due when it happened: the j-th of a batch of n waited
    # (n - 1 - j) / rate for the batch to fill before it was sent. Charge that too.

    threads = [threading.Thread(target=loop) for _ in range(workers)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    if errors:
        raise errors[0]
    return [lk + (batch - 1 - j) / rate for lk in lat for j in range(batch)]


class Api:
    """``workers`` API processes on one listening socket, and a client connection per thread."""

    def __init__(self, hub: Hub, workers: int, scope: str, name: str = "api") -> None:
        self.key = create_api_key(hub.store, f"bench-{scope}", [scope])
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(1024)
        self.port = int(self.sock.getsockname()[1])
        url = hub.store.engine.url.render_as_string(hide_password=False)
        fd = self.sock.fileno()
        self.procs = [
            subprocess.Popen(
                [sys.executable, __file__, "--serve", url, "--fd", str(fd), "--name", name],
                stdout=sys.stderr,
                pass_fds=(fd,),
            )
            for _ in range(workers)
        ]
        self.local = threading.local()
        deadline = time.time() + 60
        while True:
            try:
                if self.request("GET", "/v1/health")[0] == 200:
                    break
            except OSError:
                pass
            if time.time() > deadline or any(p.poll() is not None for p in self.procs):
                raise RuntimeError("the API server did not start")
            time.sleep(0.2)

    def request(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        """One request on this thread's kept connection; (status, decoded JSON body)."""
        headers = {"Authorization": f"Bearer {self.key}"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        for attempt in (1, 2):
            conn = getattr(self.local, "conn", None)
            fresh = conn is None
            if conn is None:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
                self.local.conn = conn
            try:
                conn.request(method, path, body=data, headers=headers)
                resp = conn.getresponse()
                raw = resp.read()
            except (http.client.HTTPException, OSError):
                self.local.conn = None
                conn.close()
                if fresh or attempt == 2:
                    raise
                continue  # the server closed an idle kept connection: every call here is idempotent
            return resp.status, json.loads(raw) if raw else None
        raise AssertionError("unreachable")

    def cpu_seconds(self) -> float:
        """User + system CPU the API processes used so far (Linux ``/proc``)."""
        return sum(_proc_cpu_seconds(p.pid) for p in self.procs)

    def close(self) -> None:
        for p in self.procs:
            p.terminate()
        for p in self.procs:
            p.wait(timeout=30)
        self.sock.close()


def _proc_cpu_seconds(pid: int | str) -> float:
    """User + system CPU of one process so far (Linux ``/proc``); 0 if it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _postgres_cpu_seconds() -> float:
    """CPU of the local PostgreSQL server's processes alive now (a pooled connection's
    backend lives through a part; one that exits mid-part is missed, so this is a floor)."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == "postgres":
                    total += _proc_cpu_seconds(entry.name)
            except OSError:
                continue
    return total


class CpuMeter:
    """CPU per request of the API processes, this load generator and a local PostgreSQL."""

    def __init__(self, api: Api, local_pg: bool) -> None:
        self.api = api
        self.local_pg = local_pg
        self.server = api.cpu_seconds()
        self.client = time.process_time()
        self.db = _postgres_cpu_seconds() if local_pg else 0.0

    def per_request_ms(self, requests: int) -> dict[str, float]:
        server = self.api.cpu_seconds() - self.server
        client = time.process_time() - self.client
        out = {
            "server_cpu_ms_per_request": round(server * 1000 / requests, 3),
            "client_cpu_ms_per_request": round(client * 1000 / requests, 3),
        }
        if self.local_pg:
            db = _postgres_cpu_seconds() - self.db
            out["db_cpu_ms_per_request"] = round(db * 1000 / requests, 3)
        return out


def _local_pg(hub: Hub) -> bool:
    url = hub.store.engine.url
    return url.get_backend_name() == "postgresql" and url.host in ("127.0.0.1", "localhost", None)


def _hub_config() -> HubConfig:
    """The throttle stays on, with limits above what this benchmark offers: its cost is
    in the figures, its refusals are not."""
    unlimited = RateLimit(per_second=1e6, burst=1_000_000)
    return HubConfig(
        availability=CONFIG, throttle=ThrottleConfig(per_key=unlimited, per_system=unlimited)
    )


def latency_run(hub: Hub, args: argparse.Namespace) -> dict[str, Any]:
    svc = AvailabilityService(hub)
    skus = [f"L{i:05d}" for i in range(args.skus)]
    seed(svc, skus, 1000)
    api = Api(hub, args.api_workers, "write", "latency")
    batches = int(args.rate * args.seconds / args.batch)
    warm = int(args.rate * args.warmup / args.batch)
    rnd = random.Random(7)
    plan = [[rnd.choice(skus) for _ in range(args.batch)] for _ in range(warm + batches)]
    stale = 0

    def api_batch(k: int) -> None:
        nonlocal stale
        evs = [
            {
                "idempotency_key": f"b{k}-{j}",
                "kind": "adjustment",
                "sku": s,
                "location": "W1",
                "quantity": 1 if (k + j) % 2 else -1,
            }
            for j, s in enumerate(plan[k])
        ]
        status, body = api.request("POST", "/v1/availability/events", {"events": evs})
        if status != 200:
            raise RuntimeError(f"POST events answered {status}: {body}")
        last = body["items"][-1]
        status, got = api.request("GET", f"/v1/availability?sku={last['sku']}&location=W1")
        if status != 200:
            raise RuntimeError(f"GET availability answered {status}: {got}")
        if got["items"][0]["locations"][0]["version"] < last["version"]:
            stale += 1

    log(
        f"(1) API: {batches} batches of {args.batch} events at {args.rate:.0f} events/s, "
        f"after {args.warmup:.0f} s of the same not measured ..."
    )
    try:
        paced(warm, args.rate, args.batch, args.workers, api_batch)  # first requests warm up
        cpu = CpuMeter(api, _local_pg(hub))
        start = time.perf_counter()
        lat = paced(batches, args.rate, args.batch, args.workers, lambda k: api_batch(warm + k))
        elapsed = time.perf_counter() - start
        cpu_ms = cpu.per_request_ms(2 * batches)  # a POST and a GET per batch
    finally:
        api.close()

    engine = hub.store.engine
    is_pg = engine.dialect.name == "postgresql"
    upd = text(
        "UPDATE stock_positions SET on_hand = on_hand + :d WHERE sku = :s AND location = 'W1'"
    )
    sel = text("SELECT on_hand FROM stock_positions WHERE sku = :s AND location = 'W1'")

    def anchor_batch(k: int) -> None:
        with hub.store.write() as tx:
            for j, s in enumerate(sorted(plan[k]) if is_pg else plan[k]):
                tx.conn.execute(upd, {"d": 1 if (k + j) % 2 else -1, "s": s})
        with engine.connect() as conn:
            conn.execute(sel, {"s": plan[k][-1]}).scalar()

    log("(1) anchor: the same batches as plain single-row updates ...")
    paced(warm, args.rate, args.batch, args.workers, anchor_batch)
    anchor = paced(batches, args.rate, args.batch, args.workers, lambda k: anchor_batch(warm + k))
    p99, a99 = pct(lat, 99) * 1000, pct(anchor, 99) * 1000
    return {
        "events": batches * args.batch,
        "achieved_events_per_s": round(batches * args.batch / elapsed),
        "p50_ms": round(statistics.median(lat) * 1000, 2),
        "p99_ms": round(p99, 2),
        "anchor_p50_ms": round(statistics.median(anchor) * 1000, 2),
        "anchor_p99_ms": round(a99, 2),
        "ratio": round(p99 / a99, 3) if a99 else None,
        "stale_reads": stale,
        **cpu_ms,
    }


def _threads(clients: int, target: Callable[[int], None]) -> float:
    threads = [threading.Thread(target=target, args=(n,)) for n in range(clients)]
    start = time.perf_counter()
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    return time.perf_counter() - start


def _race(
    hub: Hub, args: argparse.Namespace, prefix: str, reserve: Callable[[str, str], bool]
) -> dict[str, Any]:
    """64 clients call ``reserve(key, sku)`` (True: won) until the attempts are made; checks."""
    skus = _race_stock(hub, args, prefix)
    counter = iter(range(args.reservations))
    lock = threading.Lock()
    won = [0]
    errors: list[BaseException] = []

    def client(n: int) -> None:
        rnd = random.Random(n)
        while True:
            with lock:
                i = next(counter, None)
            if i is None:
                return
            try:
                ok = reserve(f"{prefix}{i}", rnd.choice(skus))
            except BaseException as exc:
                errors.append(exc)
                return
            if ok:
                with lock:
                    won[0] += 1

    elapsed = _threads(args.clients, client)
    if errors:
        raise errors[0]
    return _race_result(hub, args, prefix, skus, won[0], elapsed)


def _race_stock(hub: Hub, args: argparse.Namespace, prefix: str) -> list[str]:
    """The SKUs fought over: a quarter as many as attempts, two units each."""
    skus = [f"{prefix}{i:05d}" for i in range(args.reservations // 4)]
    seed(AvailabilityService(hub), skus, 2)
    return skus


def _race_result(
    hub: Hub, args: argparse.Namespace, prefix: str, skus: list[str], won: int, elapsed: float
) -> dict[str, Any]:
    """The rate, and the proof: nothing oversold, every held reservation one a client won."""
    like = f"{prefix}%"
    with hub.store.engine.connect() as conn:
        oversold = conn.execute(
            text(
                "SELECT count(*) FROM stock_positions WHERE sku LIKE :p AND "
                "(reserved > on_hand - allocated - safety_stock - on_hold OR reserved < 0)"
            ),
            {"p": like},
        ).scalar_one()
        mismatched = conn.execute(
            text(
                "SELECT count(*) FROM stock_positions p WHERE p.sku LIKE :p AND p.reserved <> "
                "(SELECT coalesce(sum(quantity), 0) FROM reservations r "
                "WHERE r.sku = p.sku AND r.location = p.location AND r.status = 'held')"
            ),
            {"p": like},
        ).scalar_one()
        held = conn.execute(
            text("SELECT count(*) FROM reservations WHERE status = 'held' AND sku LIKE :p"),
            {"p": like},
        ).scalar_one()
    return {
        "reservations_per_s": round(args.reservations / elapsed),
        "reserved": won,
        "successful_per_s": round(won / elapsed),
        "stock_units": len(skus) * 2,
        "oversold_positions": int(oversold),
        "mismatched_positions": int(mismatched) + int(held != won),
        "_skus": skus,
    }


def _race_http(hub: Hub, args: argparse.Namespace, prefix: str, api: Api) -> dict[str, Any]:
    """The race over HTTP: ``args.clients`` kept connections on one asyncio loop.

    Each client sends one reservation, waits for its answer, sends the next
    (HTTP/1.1 keep-alive, requests pre-encoded): a load generator this lean
    leaves the cores to the API and the store, as clients on other machines
    would. Answers are parsed for what the race needs: 201 won; 409 with
    ``insufficient_stock`` lost; anything else stops the run.
    """
    import asyncio

    skus = _race_stock(hub, args, prefix)
    head = (
        "POST /v1/reservations HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Authorization: Bearer {api.key}\r\nContent-Type: application/json\r\n"
    )
    counter = iter(range(args.reservations))
    won = [0]

    async def client(n: int) -> None:
        rnd = random.Random(n)
        reader, writer = await asyncio.open_connection("127.0.0.1", api.port)
        try:
            for i in counter:
                body = json.dumps({"idempotency_key": f"{prefix}{i}", "sku": rnd.choice(skus),
                                   "location": "W1", "quantity": 1}).encode()  # fmt: skip
                writer.write(f"{head}Content-Length: {len(body)}\r\n\r\n".encode() + body)
                status_line = await reader.readline()
                length = 0
                while (line := await reader.readline()) not in (b"\r\n", b""):
                    name, _, value = line.partition(b":")
                    if name.lower() == b"content-length":
                        length = int(value)
                answer = await reader.readexactly(length)
                status = int(status_line.split()[1])
                if status == 201:
                    won[0] += 1
                elif status != 409 or b'"insufficient_stock"' not in answer:
                    raise RuntimeError(f"POST reservations answered {status}: {answer!r}")
        finally:
            writer.close()

    async def race() -> float:
        start = time.perf_counter()
        await asyncio.gather(*(client(n) for n in range(args.clients)))
        return time.perf_counter() - start

    elapsed = asyncio.run(race())
    return _race_result(hub, args, prefix, skus, won[0], elapsed)


def reservation_run(hub: Hub, args: argparse.Namespace) -> dict[str, Any]:
    svc = AvailabilityService(hub)

    def in_process(key: str, sku: str) -> bool:
        req = ReserveRequest(idempotency_key=key, sku=sku, location="W1", quantity=Decimal(1))
        try:
            svc.reservations.reserve(req)
        except ConflictError:
            return False
        return True

    api = Api(hub, args.api_workers, "write", "reservations")

    log(
        f"(2) {args.clients} channel clients over HTTP ({args.api_workers} API processes), "
        f"{args.reservations} reservations over {args.reservations // 4} SKUs x 2 ..."
    )
    try:
        cpu = CpuMeter(api, _local_pg(hub))
        http_res = _race_http(hub, args, "H", api)
        http_res.update(cpu.per_request_ms(args.reservations))
    finally:
        api.close()
    log(f"(2) in process: {args.clients} threads calling the service ...")
    proc = _race(hub, args, "R", in_process)

    skus = proc.pop("_skus")
    http_res.pop("_skus")
    rnd = random.Random(1)
    lock = threading.Lock()
    upd = text(
        "UPDATE stock_positions SET version = version + 1 WHERE sku = :s AND location = 'W1'"
    )
    anchor_counter = iter(range(args.reservations))

    def anchor_client(n: int) -> None:
        while True:
            with lock:
                i = next(anchor_counter, None)
                s = rnd.choice(skus)
            if i is None:
                return
            with hub.store.write() as tx:
                tx.conn.execute(upd, {"s": s})

    log("(2) anchor: the same number of single-row update transactions ...")
    anchor_rate = args.reservations / _threads(args.clients, anchor_client)
    return {
        "clients": args.clients,
        "api_workers": args.api_workers,
        "attempts": args.reservations,
        **http_res,
        "anchor_updates_per_s": round(anchor_rate),
        "ratio": round(http_res["reservations_per_s"] / anchor_rate, 3),
        "in_process": {**proc, "ratio": round(proc["reservations_per_s"] / anchor_rate, 3)},
    }


def serve(url: str, fd: int, name: str) -> None:
    """One API process of the benchmark, accepting on the listening socket it inherited.

    With ``CROSSDOCK_BENCH_PROFILE`` set to a folder, its event loop thread runs under
    pyinstrument and the HTML profile is written there when the process is stopped.
    """
    parent = os.getppid()

    def orphaned() -> None:  # a benchmark killed mid-run must not leave its servers behind
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(0)

    threading.Thread(target=orphaned, daemon=True).start()
    hub = Hub(_hub_config(), Store.open(url, migrate=False))
    # socket(fileno=) finds the family (uvicorn's own fd= takes it for a UNIX socket,
    # and a TCP socket so taken loses TCP_NODELAY: 40 ms delayed ACKs per answer).
    sock = socket.socket(fileno=fd)
    application = Application(hub)
    config = uvicorn.Config(create_app(application), log_level="warning", access_log=False)
    application.freeze()  # as `crossdock serve` does
    folder = os.environ.get("CROSSDOCK_BENCH_PROFILE")
    if not folder:
        uvicorn.Server(config).run(sockets=[sock])
        return
    try:
        from pyinstrument import Profiler
    except ImportError:
        raise SystemExit(
            "CROSSDOCK_BENCH_PROFILE needs pyinstrument: pip install pyinstrument"
        ) from None
    # uvicorn re-raises SIGTERM once it has shut down: exit through the finally below.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    profiler = Profiler(async_mode="disabled")
    profiler.start()
    try:
        uvicorn.Server(config).run(sockets=[sock])
    finally:
        profiler.stop()
        out = Path(folder) / f"availability-{name}-{os.getpid()}.html"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(profiler.output_html())
        out.with_suffix(".txt").write_text(profiler.output_text(unicode=True, show_all=False))
        if profiler.last_session is not None:  # pyinstrument --load <file> renders it again
            profiler.last_session.save(str(out.with_suffix(".pyisession")))
        log(f"    profile of API process {os.getpid()} ({name}): {out}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--serve", metavar="STORE_URL", help=argparse.SUPPRESS)
    ap.add_argument("--fd", type=int, default=-1, help=argparse.SUPPRESS)
    ap.add_argument("--name", default="api", help=argparse.SUPPRESS)
    ap.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    ap.add_argument("--rate", type=float, default=2000.0, help="WMS events per second offered")
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--warmup", type=float, default=1.0, help="seconds of load not measured")
    ap.add_argument("--batch", type=int, default=20, help="events per POST")
    ap.add_argument("--workers", type=int, default=8, help="feed client threads")
    ap.add_argument("--skus", type=int, default=2000)
    ap.add_argument("--clients", type=int, default=64)
    ap.add_argument(
        "--api-workers",
        type=int,
        default=0,
        help="API processes sharing one listening socket (default: 1 on SQLite, an embedded "
        "store on one node; 2 on PostgreSQL, where a deployment runs several)",
    )
    ap.add_argument("--reservations", type=int, default=20_000)
    ap.add_argument("--part", choices=["both", "latency", "reservations"], default="both")
    args = ap.parse_args()
    if args.api_workers <= 0:
        args.api_workers = 1 if args.backend == "sqlite" else 2
    if args.serve:
        serve(args.serve, args.fd, args.name)
        return
    pg = os.environ.get("CROSSDOCK_BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
    schema = None
    with tempfile.TemporaryDirectory() as tmp:
        if args.backend == "sqlite":
            url = f"sqlite:///{Path(tmp) / 'hub.sqlite'}"
        else:
            import psycopg

            schema = f"bench_{uuid.uuid4().hex[:8]}"
            with psycopg.connect(pg, autocommit=True) as conn:
                conn.execute(f"CREATE SCHEMA {schema}")
            sep = "&" if "?" in pg else "?"
            url = f"{pg}{sep}options=-csearch_path%3D{schema}"
        hub = Hub(_hub_config(), Store.open(url))
        gc.freeze()  # the load generator's own full collections are not the API's latency
        try:
            lat = latency_run(hub, args) if args.part != "reservations" else {}
            log(f"    {lat}")
            res = reservation_run(hub, args) if args.part != "latency" else {}
            log(f"    {res}")
        finally:
            hub.close()
            if schema:
                import psycopg

                with psycopg.connect(pg, autocommit=True) as conn:
                    conn.execute(f"DROP SCHEMA {schema} CASCADE")
    if not lat or not res:
        print(json.dumps({"benchmark": f"availability_{args.backend}", "latency": lat, "res": res}))
        return
    print(
        f"event->visible through the API ({args.api_workers} API processes): p99 "
        f"{lat['p99_ms']} ms (p50 {lat['p50_ms']}) with {args.rate:.0f} events/s offered, "
        f"{lat['achieved_events_per_s']} achieved; anchor p99 {lat['anchor_p99_ms']} ms; "
        f"ratio {lat['ratio']} (target p99 <= 50 ms at 2,000/s); CPU per request: API "
        f"{lat['server_cpu_ms_per_request']} ms, load generator "
        f"{lat['client_cpu_ms_per_request']} ms, database "
        f"{lat.get('db_cpu_ms_per_request', '-')} ms"
    )
    inp = res["in_process"]
    print(
        f"reservations over HTTP ({args.api_workers} API processes): "
        f"{res['reservations_per_s']}/s with {args.clients} clients; in process "
        f"{inp['reservations_per_s']}/s (ratio {inp['ratio']}); anchor "
        f"{res['anchor_updates_per_s']}/s; ratio {res['ratio']}; oversold positions "
        f"{res['oversold_positions']} + {inp['oversold_positions']} (target >= 2,000/s, zero); "
        f"CPU per reservation: API {res['server_cpu_ms_per_request']} ms, load generator "
        f"{res['client_cpu_ms_per_request']} ms, database "
        f"{res.get('db_cpu_ms_per_request', '-')} ms"
    )
    print(
        json.dumps(
            {
                "benchmark": f"availability_{args.backend}",
                "results": [
                    {
                        "name": "wms_event_to_atp_visible_p99",
                        "value": lat["p99_ms"],
                        "unit": "ms",
                        "anchor": "single-row update batch + select, same pacing",
                        "anchor_value": lat["anchor_p99_ms"],
                        "ratio": lat["ratio"],
                        "offered_events_per_s": args.rate,
                        **{k: v for k, v in lat.items() if k not in ("p99_ms", "ratio")},
                    },
                    {
                        "name": "reservations_per_second",
                        "value": res["reservations_per_s"],
                        "unit": "reservations/s",
                        "anchor": "single-row update transactions, same clients",
                        "anchor_value": res["anchor_updates_per_s"],
                        **{k: v for k, v in res.items() if k != "reservations_per_s"},
                    },
                ],
            }
        )
    )


if __name__ == "__main__":
    main()
