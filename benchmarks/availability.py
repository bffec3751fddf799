"""Availability: WMS event to ATP visible through the API, and reservations under 64 clients.

(1) Latency. A paced WMS feed offers ``--rate`` events a second (2,000 by
default) in batches of ``--batch`` to ``POST /v1/availability/events`` on a
real HTTP server (uvicorn, in a process of its own); after each batch's answer the
client reads ``GET /v1/availability`` for a SKU of the batch and checks it
shows the batch's version. Latency runs from the moment the batch was due
(its schedule, so a server that falls behind is charged for the wait) to
that read. Anchor, same run, same store, same pacing and threads: the same
number of plain single-row ``UPDATE stock_positions`` statements in one
transaction per batch, then a ``SELECT`` of one row.

(2) Throughput. 64 client threads reserve one unit at a time of random SKUs
(each with a few units) through the service until ``--reservations``
attempts are made, more than there is stock, so the last units are fought
over; afterwards no SKU may have more reserved than ATP allowed. Anchor:
64 threads running the same number of single-row ``UPDATE`` transactions on
the same table.

    python benchmarks/availability.py                      # SQLite
    python benchmarks/availability.py --backend postgres   # CROSSDOCK_BENCH_PG_URL, or local

The last line printed is one JSON object, for machines.
"""

from __future__ import annotations

import argparse
import json
import os
import random
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

import httpx
import uvicorn
from sqlalchemy import text

from crossdock.api import create_api_key, create_app
from crossdock.config.availability import AvailabilityConfig
from crossdock.config.hub import HubConfig
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


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def latency_run(hub: Hub, args: argparse.Namespace) -> dict[str, Any]:
    svc = AvailabilityService(hub)
    skus = [f"L{i:05d}" for i in range(args.skus)]
    seed(svc, skus, 1000)
    key = create_api_key(hub.store, "bench", ["write"])
    port = free_port()
    url = hub.store.engine.url.render_as_string(hide_password=False)
    server = subprocess.Popen(
        [sys.executable, __file__, "--serve", url, "--port", str(port)], stdout=sys.stderr
    )
    deadline = time.time() + 60
    while True:
        try:
            httpx.get(f"http://127.0.0.1:{port}/v1/health", timeout=1)
            break
        except httpx.HTTPError:
            if time.time() > deadline or server.poll() is not None:
                raise RuntimeError("the API server did not start") from None
            time.sleep(0.2)
    base = f"http://127.0.0.1:{port}/v1"
    headers = {"Authorization": f"Bearer {key}"}
    local = threading.local()
    batches = int(args.rate * args.seconds / args.batch)
    rnd = random.Random(7)
    plan = [[rnd.choice(skus) for _ in range(args.batch)] for _ in range(batches)]
    stale = 0

    def client() -> httpx.Client:
        if not hasattr(local, "c"):
            local.c = httpx.Client(base_url=base, headers=headers, timeout=30)
        return local.c  # type: ignore[no-any-return]

    def api_batch(k: int) -> None:
        nonlocal stale
        c = client()
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
        r = c.post("/availability/events", json={"events": evs})
        r.raise_for_status()
        last = r.json()["items"][-1]
        g = c.get("/availability", params={"sku": last["sku"], "location": "W1"})
        g.raise_for_status()
        if g.json()["items"][0]["locations"][0]["version"] < last["version"]:
            stale += 1

    log(f"(1) API: {batches} batches of {args.batch} events at {args.rate:.0f} events/s ...")
    start = time.perf_counter()
    lat = paced(batches, args.rate, args.batch, args.workers, api_batch)
    elapsed = time.perf_counter() - start
    server.terminate()
    server.wait(timeout=30)

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
    anchor = paced(batches, args.rate, args.batch, args.workers, anchor_batch)
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
    }


def reservation_run(hub: Hub, args: argparse.Namespace) -> dict[str, Any]:
    svc = AvailabilityService(hub)
    skus = [f"R{i:05d}" for i in range(args.reservations // 4)]
    units = 2
    seed(svc, skus, units)
    attempts = args.reservations
    counter = iter(range(attempts))
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
            req = ReserveRequest(
                idempotency_key=f"r{i}", sku=rnd.choice(skus), location="W1", quantity=Decimal(1)
            )
            try:
                svc.reservations.reserve(req)
            except ConflictError:
                continue
            except BaseException as exc:
                errors.append(exc)
                return
            with lock:
                won[0] += 1

    def run(target: Callable[[int], None]) -> float:
        threads = [threading.Thread(target=target, args=(n,)) for n in range(args.clients)]
        start = time.perf_counter()
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        return time.perf_counter() - start

    log(f"(2) {args.clients} clients, {attempts} reservations over {len(skus)} SKUs x {units} ...")
    elapsed = run(client)
    if errors:
        raise errors[0]
    with hub.store.engine.connect() as conn:
        oversold = conn.execute(
            text(
                "SELECT count(*) FROM stock_positions WHERE sku LIKE 'R%' AND "
                "(reserved > on_hand - allocated - safety_stock - on_hold OR reserved < 0)"
            )
        ).scalar_one()
        mismatched = conn.execute(
            text(
                "SELECT count(*) FROM stock_positions p WHERE p.sku LIKE 'R%' AND p.reserved <> "
                "(SELECT coalesce(sum(quantity), 0) FROM reservations r "
                "WHERE r.sku = p.sku AND r.location = p.location AND r.status = 'held')"
            )
        ).scalar_one()
        total_reserved = conn.execute(
            text("SELECT count(*) FROM reservations WHERE status = 'held'")
        ).scalar_one()

    rnd = random.Random(1)
    upd = text(
        "UPDATE stock_positions SET version = version + 1 WHERE sku = :s AND location = 'W1'"
    )
    anchor_counter = iter(range(attempts))

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
    anchor_elapsed = run(anchor_client)
    rate = attempts / elapsed
    anchor_rate = attempts / anchor_elapsed
    return {
        "clients": args.clients,
        "attempts": attempts,
        "reserved": won[0],
        "stock_units": len(skus) * units,
        "reservations_per_s": round(rate),
        "successful_per_s": round(won[0] / elapsed),
        "anchor_updates_per_s": round(anchor_rate),
        "ratio": round(rate / anchor_rate, 3),
        "oversold_positions": int(oversold),
        "mismatched_positions": int(mismatched) + int(total_reserved != won[0]),
    }


def serve(url: str, port: int) -> None:
    """The API server of the latency run, in a process of its own (as deployed)."""
    hub = Hub(HubConfig(availability=CONFIG), Store.open(url))
    uvicorn.run(create_app(hub), host="127.0.0.1", port=port, log_level="warning", access_log=False)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--serve", metavar="STORE_URL", help=argparse.SUPPRESS)
    ap.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    ap.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    ap.add_argument("--rate", type=float, default=2000.0, help="WMS events per second offered")
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--batch", type=int, default=20, help="events per POST")
    ap.add_argument("--workers", type=int, default=8, help="feed client threads")
    ap.add_argument("--skus", type=int, default=2000)
    ap.add_argument("--clients", type=int, default=64)
    ap.add_argument("--reservations", type=int, default=20_000)
    ap.add_argument("--part", choices=["both", "latency", "reservations"], default="both")
    args = ap.parse_args()
    if args.serve:
        serve(args.serve, args.port)
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
        hub = Hub(HubConfig(availability=CONFIG), Store.open(url))
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
        f"event->visible: p99 {lat['p99_ms']} ms (p50 {lat['p50_ms']}) at "
        f"{lat['achieved_events_per_s']} events/s; anchor p99 {lat['anchor_p99_ms']} ms; "
        f"ratio {lat['ratio']} (target p99 <= 50 ms)"
    )
    print(
        f"reservations: {res['reservations_per_s']}/s with {args.clients} clients; anchor "
        f"{res['anchor_updates_per_s']}/s; ratio {res['ratio']}; oversold positions "
        f"{res['oversold_positions']} (target >= 2,000/s, zero oversell)"
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
