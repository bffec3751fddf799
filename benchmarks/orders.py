"""Orders: 10-line orders from intake to "ready for the ERP" (accepted), throughput and latency.

Each order goes through the order service the API calls (in process: what the
service and its store can do, without HTTP): intake (resolve the customer,
ship-to, SKUs and units; store the order), every rule (customer, bill-to,
SKU, PO), the price check against the pricing service, a sourcing plan and
one reservation per line, and the credit decision under the customer's lock.
The hub holds ``--customers`` customers and ``--skus`` items with list prices
and ample stock; every order is accepted (the run checks it).

(1) Throughput: ``--orders`` orders on ``--threads`` threads, as fast as they go.
(2) Latency: orders offered at ``--rate`` a second (50 by default) for
    ``--seconds``; intake → decision from the moment an order was due (a
    service that falls behind is charged for the wait). Target p99 <= 50 ms.

Anchors, measured in the same run:

(a) the engine's empty workflow: the order engine is the store's own state
    machine, so its empty step is one order-row transaction per order (insert
    the row, update its status) on the same backend, same threads;
(b) the same orders created as sales through Tryton's own RPC (``sale.sale``
    create with its 10 lines, then the ``quote`` button) on a trytond the
    integration tests' code starts on loopback (SQLite); skipped with a message
    when trytond is not installed or with ``--no-tryton``. Building its
    database takes about 45 s (``--tryton-template`` reuses one).

The throughput part also reports the CPU this process spent per order (every
thread: the callers and the availability writer; not the database server's):
on a shared machine it says what one free core would do where orders/s says
what the machine did.

``--profile`` runs the throughput part under cProfile on one thread first and
prints the top of the profile (cumulative) to stderr.

    python benchmarks/orders.py                      # SQLite
    python benchmarks/orders.py --backend postgres   # CROSSDOCK_BENCH_PG_URL, or local

Progress goes to stderr; the last line printed is one JSON object, for machines.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import importlib.util
import io
import json
import os
import pstats
import random
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import insert, update

from crossdock.app import Application
from crossdock.config.availability import AvailabilityConfig
from crossdock.config.hub import EntityOwnership, HubConfig, SystemConfig
from crossdock.model.base import EntityType
from crossdock.model.change import Change
from crossdock.services.availability import WmsEvent
from crossdock.services.orders import OrderIn
from crossdock.store import Store
from crossdock.store import schema as t
from crossdock.store.order_rows import OrderState
from crossdock.sync.runtime import Hub

LINES = 10
PRICE = Decimal("3.50")


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def hub_config() -> HubConfig:
    types = (EntityType.PRODUCT, EntityType.PRICE_LIST, EntityType.CUSTOMER)
    return HubConfig(
        systems=[SystemConfig(name=s, kind="files") for s in ("erp", "portal")],
        ownership={e: EntityOwnership(owner="erp") for e in types},
        # Publish ATP to channels when it crosses 0 or 10 or moves by 50, as a deployment
        # selling from deep stock would (the availability benchmark's rule); by default
        # every reservation would publish an inventory change.
        availability=AvailabilityConfig.model_validate(
            {"locations": ["W1"], "publish": {"levels": ["0", "10"], "min_change": "50"}}
        ),
    )


def seed(app: Application, customers: int, skus: list[str]) -> None:
    changes = [
        Change(
            system="erp",
            entity_type=EntityType.CUSTOMER,
            native_id=f"C{i:04d}",
            data={
                "account_number": f"C{i:04d}",
                "status": "active",
                "credit_limit": "1000000000",
                "sites": [{"code": "S1", "roles": ["ship_to", "bill_to"]}],
            },
        )
        for i in range(customers)
    ] + [
        Change(
            system="erp",
            entity_type=EntityType.PRODUCT,
            native_id=sku,
            data={"sku": sku, "status": "active", "list_price": str(PRICE), "cost": "1.00"},
        )
        for sku in skus
    ]
    for i in range(0, len(changes), 500):
        report = app.hub.ingestor.ingest(changes[i : i + 500])
        assert not report.exceptions, report.exceptions[:3]
    for i in range(0, len(skus), 500):
        app.availability.feeds.apply_wms_events(
            [
                WmsEvent(
                    idempotency_key=f"seed-{s}",
                    kind="receipt",
                    sku=s,
                    location="W1",
                    quantity=Decimal(10_000_000),
                )
                for s in skus[i : i + 500]
            ]
        )


def make_orders(
    n: int, prefix: str, customers: int, skus: list[str], rnd: random.Random
) -> list[OrderIn]:
    return [
        OrderIn.model_validate(
            {
                "order_number": f"{prefix}{i}",
                "customer": f"C{rnd.randrange(customers):04d}",
                "ship_to": "S1",
                "lines": [
                    {
                        "line_number": j + 1,
                        "sku": sku,
                        "quantity": str(rnd.randint(1, 5)),
                        "unit_price": str(PRICE),
                    }
                    for j, sku in enumerate(rnd.sample(skus, LINES))
                ],
            }
        )
        for i in range(n)
    ]


def on_threads(n: int, threads: int, work: Callable[[int], None]) -> float:
    """Run ``work(i)`` for i < n on ``threads`` threads; the seconds it took."""
    nxt = iter(range(n))
    lock = threading.Lock()
    errors: list[BaseException] = []

    def loop() -> None:
        while True:
            with lock:
                i = next(nxt, None)
            if i is None:
                return
            try:
                work(i)
            except BaseException as exc:
                errors.append(exc)
                return

    pool = [threading.Thread(target=loop) for _ in range(threads)]
    t0 = time.perf_counter()
    for th in pool:
        th.start()
    for th in pool:
        th.join()
    if errors:
        raise errors[0]
    return time.perf_counter() - t0


def paced(n: int, rate: float, threads: int, work: Callable[[int], None]) -> list[float]:
    """Run ``work(i)`` when order i is due (``i / rate`` s in); latency from due to done (s)."""
    t0 = time.perf_counter() + 0.2
    lat = [0.0] * n

    def timed(i: int) -> None:
        due = t0 + i / rate
        wait = due - time.perf_counter()
        if wait > 0:
            time.sleep(wait)
        work(i)
        lat[i] = time.perf_counter() - due

    on_threads(n, threads, timed)
    return lat


def submit_all(app: Application, orders: list[OrderIn]) -> Callable[[int], None]:
    def work(i: int) -> None:
        done = app.orders.submit("portal", orders[i]).order
        if done.status is not OrderState.ACCEPTED:
            raise AssertionError(f"order {done.order_number}: {done.status} {done.rules}")

    return work


def empty_workflow(hub: Hub, prefix: str) -> Callable[[int], None]:
    """Anchor (a): one order-row transaction per order: insert the row, update its status."""
    engine = hub.store.engine

    def work(i: int) -> None:
        now = datetime.now(UTC)
        oid = f"ord_{prefix}{i}"
        with engine.begin() as conn:
            conn.execute(
                insert(t.orders).values(
                    id=oid,
                    channel="anchor",
                    order_number=f"{prefix}{i}",
                    customer_id="anchor",
                    customer_account="anchor",
                    ship_to="S1",
                    status=OrderState.RECEIVED.value,
                    holds="[]",
                    rules="[]",
                    total="0",
                    body_hash="",
                    revision=1,
                    attempt=1,
                    created_at=now,
                    updated_at=now,
                )
            )
            conn.execute(
                update(t.orders)
                .where(t.orders.c.id == oid)
                .values(status=OrderState.ACCEPTED.value, updated_at=now)
            )

    return work


# -- the Tryton anchor ------------------------------------------------------------------------
def tryton_anchor(
    orders: list[OrderIn], skus: list[str], threads: int, template: Path | None, root: Path
) -> dict[str, Any]:
    """Anchor (b): the same orders as sales through Tryton's RPC (create + quote)."""
    sys.path.insert(0, str(Path(__file__).parents[1] / "tests" / "integration"))
    from connectors_tryton.tryton_server import build_template, start_server

    from crossdock.connectors.tryton.client import TrytonClient

    if template is None:
        log("    building Tryton's database (trytond-admin + seed), about 45 s ...")
        (root / "tpl").mkdir()
        template = build_template(root / "tpl")
    server = start_server(template, root / "srv")
    try:
        admin = TrytonClient(server.url, server.database, "admin", "admin-password-1")
        (unit,) = admin.search("product.uom", [["symbol", "=", "u"]])
        (cat,) = admin.search("product.category", [["name", "=", "Goods"]])
        needed = sorted({ln.sku for o in orders for ln in o.lines})
        admin.create(
            "product.template",
            [
                {
                    "name": sku,
                    "code": sku,
                    "default_uom": unit,
                    "sale_uom": unit,
                    "type": "goods",
                    "salable": True,
                    "list_price": PRICE,
                    "account_category": cat,
                    "products": [["create", [{}]]],
                }
                for sku in needed
            ],
            batch=50,
        )
        products = {
            p["code"]: p["id"]
            for p in admin.search_read("product.product", [["code", "in", needed]], ["code"])
        }
        (party,) = admin.search_read("party.party", [["code", "=", "C-100"]], ["addresses"])
        admin.write("party.party", [party["id"]], {"credit_limit_amount": Decimal(10**12)})
        address = party["addresses"][0]
        company = admin.context.get("company")
        (currency,) = admin.search("currency.currency", [["code", "=", "USD"]])
        admin.close()
        local = threading.local()
        clients: list[Any] = []

        def client() -> Any:
            if not hasattr(local, "c"):
                local.c = TrytonClient(server.url, server.database, "admin", "admin-password-1")
                clients.append(local.c)
            return local.c

        def sale(i: int) -> None:
            o = orders[i]
            c = client()
            (sid,) = c.create(
                "sale.sale",
                [
                    {
                        "party": party["id"],
                        "company": company,
                        "currency": currency,
                        "invoice_address": address,
                        "shipment_address": address,
                        "reference": o.order_number,
                        "lines": [
                            [
                                "create",
                                [
                                    {
                                        "type": "line",
                                        "product": products[ln.sku],
                                        "quantity": float(ln.quantity),
                                        "unit": unit,
                                        "unit_price": ln.unit_price,
                                        "sequence": ln.line_number,
                                    }
                                    for ln in o.lines
                                ],
                            ]
                        ],
                    }
                ],
            )
            c.button("sale.sale", "quote", [sid])

        sale(0)  # the first call logs in and warms the server's caches
        seconds = on_threads(len(orders) - 1, threads, lambda i: sale(i + 1))
        for c in clients:
            c.close()
        return {"orders": len(orders) - 1, "orders_per_s": round((len(orders) - 1) / seconds, 1)}
    finally:
        server.process.terminate()
        server.process.wait()


# -- the run ----------------------------------------------------------------------------------
@contextmanager
def store_url(backend: str, tmp: Path) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{tmp / 'hub.sqlite'}"
        return
    import psycopg

    pg = os.environ.get("CROSSDOCK_BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(pg, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    try:
        sep = "&" if "?" in pg else "?"
        yield f"{pg}{sep}options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(pg, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


def profile(app: Application, orders: list[OrderIn], top: int) -> None:
    prof = cProfile.Profile()
    work = submit_all(app, orders)
    prof.enable()
    for i in range(len(orders)):
        work(i)
    prof.disable()
    out = io.StringIO()
    pstats.Stats(prof, stream=out).sort_stats("cumulative").print_stats(top)
    log(out.getvalue())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    ap.add_argument("--orders", type=int, default=2000, help="orders for the throughput part")
    ap.add_argument("--threads", type=int, default=4)
    ap.add_argument("--rate", type=float, default=50.0, help="orders a second offered")
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--customers", type=int, default=200)
    ap.add_argument("--skus", type=int, default=500)
    ap.add_argument("--tryton-orders", type=int, default=200)
    ap.add_argument("--tryton-template", type=Path)
    ap.add_argument("--no-tryton", action="store_true")
    ap.add_argument("--profile", type=int, default=0, metavar="N", help="profile N orders first")
    args = ap.parse_args()
    rnd = random.Random(17)
    skus = [f"B{i:05d}" for i in range(args.skus)]
    paced_n = int(args.rate * args.seconds)
    with tempfile.TemporaryDirectory() as tmp, store_url(args.backend, Path(tmp)) as url:
        app = Application(Hub(hub_config(), Store.open(url)))
        try:
            log(f"seeding {args.customers} customers and {args.skus} items ({args.backend}) ...")
            seed(app, args.customers, skus)
            warm = make_orders(50, "W", args.customers, skus, rnd)
            on_threads(len(warm), 1, submit_all(app, warm))  # build the pricing index, caches
            app.freeze()
            if args.profile:
                log(f"(0) profile of {args.profile} orders on one thread ...")
                profile(app, make_orders(args.profile, "P", args.customers, skus, rnd), 40)
            bulk = make_orders(args.orders, "T", args.customers, skus, rnd)
            log(f"(1) throughput: {args.orders} orders on {args.threads} threads ...")
            cpu0 = time.process_time()
            secs = on_threads(len(bulk), args.threads, submit_all(app, bulk))
            cpu_ms = (time.process_time() - cpu0) / len(bulk) * 1000
            rate = len(bulk) / secs
            log(f"    {rate:.0f} orders/s; CPU {cpu_ms:.2f} ms per order (this process)")
            log(f"(1a) anchor: {args.orders} empty order-row transactions ...")
            a_secs = on_threads(args.orders, args.threads, empty_workflow(app.hub, "A"))
            a_rate = args.orders / a_secs
            log(f"    {a_rate:.0f} transactions/s")
            paced_orders = make_orders(paced_n, "L", args.customers, skus, rnd)
            log(f"(2) latency: {paced_n} orders at {args.rate:.0f}/s offered ...")
            lat = paced(paced_n, args.rate, args.threads, submit_all(app, paced_orders))
            log("(2a) anchor: the same pacing, empty order-row transactions ...")
            a_lat = paced(paced_n, args.rate, args.threads, empty_workflow(app.hub, "B"))
            counts = app.hub.store.orders.count_by_status()
        finally:
            app.close()
        tryton: dict[str, Any] = {}
        if args.no_tryton:
            tryton = {"skipped": "--no-tryton"}
        elif importlib.util.find_spec("trytond") is None:
            tryton = {"skipped": "trytond is not installed (pip install trytond)"}
        else:
            log(f"(1b) anchor: {args.tryton_orders} of the same orders as Tryton sales ...")
            tryton = tryton_anchor(
                bulk[: args.tryton_orders + 1], skus, args.threads, args.tryton_template, Path(tmp)
            )
        if "skipped" in tryton:
            log(f"    Tryton anchor skipped: {tryton['skipped']}")
        else:
            log(f"    {tryton['orders_per_s']} sales/s")
    p99, a99 = pct(lat, 99) * 1000, pct(a_lat, 99) * 1000
    print(
        f"orders ({args.backend}, {LINES} lines, in process): {rate:.0f} orders/s on "
        f"{args.threads} threads (target >= 200/s); anchor empty order-row transactions "
        f"{a_rate:.0f}/s, ratio {rate / a_rate:.3f}; Tryton sales "
        f"{tryton.get('orders_per_s', '-')}/s, ratio "
        f"{round(rate / tryton['orders_per_s'], 2) if 'orders_per_s' in tryton else '-'}; "
        f"intake -> decision p99 {p99:.1f} ms (p50 {statistics.median(lat) * 1000:.1f}) at "
        f"{args.rate:.0f}/s offered (target <= 50 ms); anchor p99 {a99:.1f} ms"
    )
    print(
        json.dumps(
            {
                "benchmark": f"orders_{args.backend}",
                "results": [
                    {
                        "name": "orders_per_second",
                        "value": round(rate, 1),
                        "unit": "orders/s",
                        "lines_per_order": LINES,
                        "threads": args.threads,
                        "orders": args.orders,
                        "anchor": "one empty order-row transaction (insert + status update)",
                        "anchor_value": round(a_rate, 1),
                        "ratio": round(rate / a_rate, 3),
                        "tryton_anchor": tryton,
                        "tryton_ratio": round(rate / tryton["orders_per_s"], 2)
                        if "orders_per_s" in tryton
                        else None,
                        "cpu_ms_per_order": round(cpu_ms, 2),
                        "target": 200,
                    },
                    {
                        "name": "intake_to_decision_p99",
                        "value": round(p99, 2),
                        "unit": "ms",
                        "p50_ms": round(statistics.median(lat) * 1000, 2),
                        "offered_orders_per_s": args.rate,
                        "orders": paced_n,
                        "anchor": "empty order-row transaction, same pacing",
                        "anchor_value": round(a99, 2),
                        "ratio": round(p99 / a99, 3) if a99 else None,
                        "target": 50,
                    },
                ],
                "statuses": counts,
            }
        )
    )


if __name__ == "__main__":
    gc.freeze()
    main()
