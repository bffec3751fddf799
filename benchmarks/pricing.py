"""Pricing: quote-lines per second in process, a 300-line quote's latency over HTTP, and Tryton.

Catalog (defaults; ``--scale`` multiplies them, ``--quick`` is a small run):
100k SKUs in 25 categories (a third sold by the case of 12), 5k customers
in four tiers (a fifth in none), each with two ship-to sites; price lists:
LIST (every SKU's list price, fixed), BASE (quantity breaks 1/12/48 as
0/5/10 % off LIST, by category), four tier lists (2-8 % off LIST by
category), 2k contracts (one customer each, a quarter per ship-to, 50 SKUs
with fixed prices and a second break) and 2k promotions (25 SKUs each,
5-15 % off BASE, a two-day window in America/Chicago).

1. In process: quotes of 300 random lines (random customer, SKU, quantity,
   each or case) through ``Engine.quote``; quote-lines per second, one core.
   The headline figure resolves every line (result cache off; the index's
   structural memos warm, as in a running service: compiled entries and the
   engine's plans, a SKU's active candidates per shared scope, which each
   line still walks); it is printed per second of wall clock and of CPU time
   (on a shared machine the first falls with the others' load). A second
   figure repeats the same quotes through the result cache.
2. HTTP: the same catalog ingested into a SQLite store through the hub,
   uvicorn serving the API in its own process; ``POST /v1/prices/quote`` with
   300 lines, sequentially, after one warm-up quote per body; p50/p99
   latency, the server's CPU time per quote and how busy the machine was;
   then 20 quotes never sent before (cold: their lines compile plans first).
   In process, too, a new engine's first quotes give the cold rate, and
   quotes each right after a change (a contract or promotion, a product's
   cost, a customer): p50/p99 per kind while the ERP keeps sending changes.
3. Anchor: Tryton's price list engine (trytond 8.2, product_price_list and
   sale_price_list, SQLite) for a subset of customers and SKUs, with the
   rules both express: per customer one Tryton price list whose lines in
   order are the contract (product, quantity), the tier (category,
   ``unit_price * (1 - p)``), the base breaks (category, quantity) and the
   list price. ``PriceList.compute`` for every (customer, SKU, quantity) in
   one transaction; Crossdock prices the same lines (dated after the
   promotions end, which Tryton's lists cannot express) and every price is
   compared.

    python benchmarks/pricing.py            # full size
    python benchmarks/pricing.py --quick    # 10k SKUs, 500 customers: a quick look
    python benchmarks/pricing.py --no-tryton --no-http

The last line printed is one JSON object, for machines.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from crossdock.config.hub import EntityOwnership, HubConfig, SystemConfig
from crossdock.config.pricing import PricingConfig
from crossdock.model.base import EntityType
from crossdock.model.change import Change
from crossdock.model.customer import Customer
from crossdock.model.price_list import PriceList
from crossdock.model.product import Product
from crossdock.services.pricing import Engine, PricedLine, PriceIndex, QuoteLine, QuoteRequest

NOW = datetime.now(UTC).replace(microsecond=0)
TIERS = ["T1", "T2", "T3", "T4"]
CATS = 25
CENT = Decimal("0.01")


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def money(x: Decimal) -> str:
    return str(x.quantize(CENT, rounding=ROUND_HALF_UP))


@dataclass
class Catalog:
    products: list[dict[str, Any]] = field(default_factory=list)
    lists: list[dict[str, Any]] = field(default_factory=list)
    customers: list[dict[str, Any]] = field(default_factory=list)
    contracts: dict[str, dict[str, Any]] = field(default_factory=dict)  # account -> list

    def changes(self) -> list[Change]:
        out = []
        for etype, items, key in (
            (EntityType.PRODUCT, self.products, "sku"),
            (EntityType.PRICE_LIST, self.lists, "code"),
            (EntityType.CUSTOMER, self.customers, "account_number"),
        ):
            for d in items:
                out.append(Change(system="erp", entity_type=etype, native_id=d[key], data=d))
        return out


def build_catalog(skus: int, customers: int, contracts: int, promos: int, seed: int) -> Catalog:
    rnd = random.Random(seed)
    cat = Catalog()
    for i in range(skus):
        price = Decimal(200 + (i * 7919) % 9800) / 100  # 2.00 .. 99.99
        cat.products.append(
            {
                "sku": f"SKU-{i:06d}",
                "category": f"cat{i % CATS}",
                "base_uom": "EA",
                "units": [{"code": "CS", "factor": "12"}] if i % 3 == 0 else [],
                "cost": money(price * Decimal("0.5")),
                "list_price": str(price),
                "currency": "USD",
            }
        )
    cat.lists.append(
        {
            "code": "LIST",
            "kind": "base",
            "priority": -1,
            "entries": [
                {"sku": p["sku"], "breaks": [{"min_quantity": "1", "value": p["list_price"]}]}
                for p in cat.products
            ],
        }
    )
    cat.lists.append(
        {
            "code": "BASE",
            "kind": "base",
            "entries": [
                {
                    "category": f"cat{c}",
                    "method": "percent_off",
                    "base_list": "LIST",
                    "breaks": [
                        {"min_quantity": "1", "value": "0"},
                        {"min_quantity": "12", "value": "5"},
                        {"min_quantity": "48", "value": "10"},
                    ],
                }
                for c in range(CATS)
            ],
        }
    )
    for t, tier in enumerate(TIERS):
        cat.lists.append(
            {
                "code": f"TIER-{tier}",
                "kind": "tier",
                "scope": {"tiers": [tier]},
                "entries": [
                    {
                        "category": f"cat{c}",
                        "method": "percent_off",
                        "base_list": "LIST",
                        "breaks": [{"min_quantity": "1", "value": str(2 * (t + 1))}],
                    }
                    for c in range(CATS)
                ],
            }
        )
    for i in range(customers):
        c: dict[str, Any] = {
            "account_number": f"C{i:05d}",
            "name": f"Customer {i}",
            "currency": "USD",
            "sites": [
                {"code": "S1", "roles": ["sold_to", "ship_to", "bill_to"]},
                {"code": "S2", "roles": ["ship_to"]},
            ],
        }
        if i % 5:
            c["tier"] = TIERS[i % 4]
        cat.customers.append(c)
    for k in range(contracts):
        acct = f"C{k % customers:05d}"
        entries = []
        for sku_i in rnd.sample(range(skus), min(50, skus)):
            p = cat.products[sku_i]
            lp = Decimal(p["list_price"])
            entries.append(
                {
                    "sku": p["sku"],
                    "breaks": [
                        {"min_quantity": "1", "value": money(lp * Decimal("0.85"))},
                        {"min_quantity": "100", "value": money(lp * Decimal("0.80"))},
                    ],
                }
            )
        scope: dict[str, Any] = {"customers": [acct]}
        if k % 4 == 3:
            scope["ship_tos"] = ["S2"]
        lst = {"code": f"CON-{k:05d}", "kind": "contract", "scope": scope, "entries": entries}
        cat.lists.append(lst)
        if "ship_tos" not in scope:
            cat.contracts.setdefault(acct, lst)
    for k in range(promos):
        cat.lists.append(
            {
                "code": f"PRO-{k:05d}",
                "kind": "promotion",
                "timezone": "America/Chicago",
                "valid_from": (NOW - timedelta(days=1)).isoformat(),
                "valid_to": (NOW + timedelta(days=1)).isoformat(),
                "entries": [
                    {
                        "sku": f"SKU-{s:06d}",
                        "method": "percent_off",
                        "base_list": "BASE",
                        "breaks": [{"min_quantity": "1", "value": str(5 + k % 11)}],
                    }
                    for s in rnd.sample(range(skus), min(25, skus))
                ],
            }
        )
    return cat


def build_index(cat: Catalog) -> PriceIndex:
    idx = PriceIndex("USD")
    for i, p in enumerate(cat.products):
        idx.put_product(f"prd{i}", 1, Product.model_validate(p))
    for i, pl in enumerate(cat.lists):
        idx.put_list(f"prl{i}", 1, PriceList.model_validate(pl))
    for i, c in enumerate(cat.customers):
        idx.put_customer(f"cus{i}", 1, Customer.model_validate(c))
    return idx


def random_requests(cat: Catalog, n: int, lines: int, seed: int) -> list[QuoteRequest]:
    rnd = random.Random(seed)
    out = []
    for _ in range(n):
        acct = cat.customers[rnd.randrange(len(cat.customers))]["account_number"]
        ql = []
        for _ in range(lines):
            p = cat.products[rnd.randrange(len(cat.products))]
            unit = "CS" if p["units"] and rnd.random() < 0.5 else None
            ql.append(QuoteLine(p["sku"], Decimal(rnd.randint(1, 60)), unit))
        out.append(QuoteRequest(acct, ql, ship_to=rnd.choice(["S1", "S2"]), at=NOW))
    return out


def bench_inprocess(
    engine: Engine, reqs: list[QuoteRequest], seconds: float
) -> tuple[float, float]:
    """Quote-lines per second of wall clock, and per second of this process's CPU time.

    The machine is shared: the wall-clock rate falls when other processes
    take the cores; the CPU-time rate is what one core does for this loop.
    """
    # warm the per-SKU memo the way a long-running service is warm
    for r in reqs:
        engine.quote(r)
    lines = 0
    start = time.perf_counter()
    cpu = time.process_time()
    while True:
        for r in reqs:
            engine.quote(r)
            lines += len(r.lines)
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return lines / elapsed, lines / (time.process_time() - cpu)


def bench_cold(idx: PriceIndex, reqs: list[QuoteRequest]) -> float:
    """Quote-lines per second of a new engine's first quotes: every line compiles its plan.

    What a quote pays for SKUs no customer of its scope has asked since the
    index last changed (the engine drops its plans on every change).
    """
    engine = Engine(idx, PricingConfig(), cache_size=0)
    lines = 0
    start = time.perf_counter()
    for r in reqs:
        engine.quote(r)
        lines += len(r.lines)
    return lines / (time.perf_counter() - start)


def bench_changes(
    cat: Catalog, idx: PriceIndex, engine: Engine, reqs: list[QuoteRequest], rounds: int
) -> dict[str, Any]:
    """Quotes while the ERP keeps sending changes: one change, then one quote, ``rounds`` times.

    Per kind of change (a contract or promotion replaced, a product's cost,
    a customer's record), p50/p99 of the 300-line quote that follows it: it
    rebuilds what the change touched (active lists, plans). The index
    update's own time is apart (the service applies it from the outbox).
    """
    rnd = random.Random(5)
    first = len(cat.lists) - sum(1 for pl in cat.lists if pl["kind"] in ("contract", "promotion"))
    out: dict[str, Any] = {}
    for kind in ("list", "product", "customer"):
        times, updates = [], []
        for n in range(rounds):
            t0 = time.perf_counter()
            if kind == "list":
                i = rnd.randrange(first, len(cat.lists))
                pl = cat.lists[i]
                step = Decimal("0.01") * (n % 3)
                bumped = {**pl, "entries": [
                    {**e, "breaks": [{**b, "value": str(Decimal(b["value"]) + step)}
                                     for b in e["breaks"]]} for e in pl["entries"]]}  # fmt: skip
                idx.put_list(f"prl{i}", 2 + n, PriceList.model_validate(bumped))
            elif kind == "product":
                i = rnd.randrange(len(cat.products))
                d = cat.products[i]
                cost = Decimal(d["cost"]) + Decimal("0.01") * (n % 3) if d.get("cost") else None
                idx.put_product(f"prd{i}", 2 + n, Product.model_validate({**d, "cost": cost}))
            else:
                i = rnd.randrange(len(cat.customers))
                d = cat.customers[i]
                idx.put_customer(f"cus{i}", 2 + n, Customer.model_validate({**d, "name": f"v{n}"}))
            t1 = time.perf_counter()
            engine.quote(reqs[n % len(reqs)])
            times.append(time.perf_counter() - t1)
            updates.append(t1 - t0)
        times.sort()
        out[kind] = {
            "p50_ms": round(statistics.median(times) * 1000, 2),
            "p99_ms": round(times[min(len(times) - 1, int(len(times) * 0.99))] * 1000, 2),
            "index_update_p50_ms": round(statistics.median(updates) * 1000, 2),
        }
    return out


def _busy() -> tuple[int, int]:
    """(busy, total) jiffies of the whole machine, from /proc/stat (zeros elsewhere)."""
    try:
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    except (OSError, ValueError):
        return 0, 0
    idle = fields[3] + fields[4]
    return sum(fields) - idle, sum(fields)


def _cpu_seconds(pid: int) -> float:
    """User plus system CPU time of a process, from /proc (0 elsewhere)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(stat[11]) + int(stat[12])) / os.sysconf("SC_CLK_TCK")


# -- HTTP -----------------------------------------------------------------------------
_SERVER = """
import sys, uvicorn
from crossdock.api import create_app
from crossdock.app import Application
from crossdock.config.hub import HubConfig
from crossdock.store import Store
from crossdock.sync.runtime import Hub
config = HubConfig.model_validate_json(open(sys.argv[1]).read())
application = Application(Hub(config, Store.open(sys.argv[2])))
uvicorn.run(create_app(application), host="127.0.0.1", port=int(sys.argv[3]),
            log_level="warning", access_log=False)
"""


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def bench_http(cat: Catalog, reqs: list[QuoteRequest], n: int, work: Path) -> dict[str, Any]:
    """The API in its own process (uvicorn, one worker), a client here sending quotes in turn."""
    import subprocess

    import httpx

    from crossdock.api import create_api_key
    from crossdock.store import Store
    from crossdock.sync.runtime import Hub

    config = HubConfig(
        systems=[SystemConfig(name="erp", kind="files", settings={"inbox": str(work)})],
        ownership={
            e: EntityOwnership(owner="erp")
            for e in (EntityType.PRODUCT, EntityType.PRICE_LIST, EntityType.CUSTOMER)
        },
    )
    url = f"sqlite:///{work / 'hub.sqlite'}"
    hub = Hub(config, Store.open(url))
    t0 = time.perf_counter()
    report = hub.ingestor.ingest(cat.changes())
    log(f"http: ingested the catalog in {time.perf_counter() - t0:.1f}s ({report})")
    key = create_api_key(hub.store, "bench", ["read"])
    hub.close()
    (work / "hub.json").write_text(config.model_dump_json())
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-c", _SERVER, str(work / "hub.json"), url, str(port)]
    )
    bodies = [_body(r) for r in reqs]
    cold_bodies = [_body(r) for r in random_requests(cat, 20, len(reqs[0].lines), seed=4)]
    times: list[float] = []
    cold_times: list[float] = []
    try:
        with httpx.Client(
            base_url=f"http://127.0.0.1:{port}",
            headers={"Authorization": f"Bearer {key}"},
            timeout=120,
        ) as client:
            for _ in range(200):
                try:
                    client.get("/v1/health")
                    break
                except httpx.TransportError:
                    time.sleep(0.1)
            t0 = time.perf_counter()
            client.post("/v1/prices/quote", json=bodies[0]).raise_for_status()
            log(f"http: first quote (index build) {time.perf_counter() - t0:.1f}s")
            for body in bodies:  # each customer's first quote builds its memos: warm-up
                client.post("/v1/prices/quote", json=body).raise_for_status()
            busy0, total0 = _busy()
            server_cpu = _cpu_seconds(server.pid)
            for i in range(n):
                body = bodies[i % len(bodies)]
                t0 = time.perf_counter()
                r = client.post("/v1/prices/quote", json=body)
                times.append(time.perf_counter() - t0)
                r.raise_for_status()
            server_cpu = _cpu_seconds(server.pid) - server_cpu
            busy1, total1 = _busy()
            for body in cold_bodies:
                t0 = time.perf_counter()
                client.post("/v1/prices/quote", json=body).raise_for_status()
                cold_times.append(time.perf_counter() - t0)
    finally:
        server.terminate()
        server.wait(10)
    times.sort()
    return {
        "quotes": n,
        "lines_per_quote": len(reqs[0].lines),
        "p50_ms": round(statistics.median(times) * 1000, 2),
        "p99_ms": round(times[min(len(times) - 1, int(len(times) * 0.99))] * 1000, 2),
        "max_ms": round(times[-1] * 1000, 2),
        # what the server spent per quote, and how busy the whole machine was meanwhile
        # (this client and server take about one core between them; the rest is others')
        "server_cpu_ms_per_quote": round(server_cpu / n * 1000, 2),
        "machine_busy_percent": round(100 * (busy1 - busy0) / max(1, total1 - total0), 1),
        # quotes never sent before: most of their lines compile a plan first
        "cold_quotes": len(cold_times),
        "cold_p50_ms": round(statistics.median(cold_times) * 1000, 2),
        "cold_max_ms": round(max(cold_times) * 1000, 2),
    }


def _body(r: QuoteRequest) -> dict[str, Any]:
    return {
        "customer": r.customer,
        "ship_to": r.ship_to,
        "at": NOW.isoformat(),
        "lines": [
            {"sku": x.sku, "quantity": str(x.quantity), **({"unit": x.unit} if x.unit else {})}
            for x in r.lines
        ],
    }


# -- Tryton ---------------------------------------------------------------------------
def bench_tryton(
    cat: Catalog, engine: Engine, n_customers: int, n_skus: int, work: Path
) -> dict[str, Any]:
    from tryton_anchor import SHORT, TrytonAnchor  # type: ignore[import-not-found]

    rnd = random.Random(7)
    accts = [a for a in cat.contracts][: max(1, n_customers // 2)]
    accts += [
        c["account_number"] for c in cat.customers[len(cat.contracts) :][: n_customers - len(accts)]
    ]
    skus = {p["sku"] for p in rnd.sample(cat.products, min(n_skus, len(cat.products)))}
    for a in accts:
        if a in cat.contracts:
            skus |= {e["sku"] for e in cat.contracts[a]["entries"]}
    products = [p for p in cat.products if p["sku"] in skus]
    customers = [c for c in cat.customers if c["account_number"] in accts]
    log(f"tryton: {len(products)} products, {len(customers)} customers; building the database")
    anchor = TrytonAnchor(work)
    t0 = time.perf_counter()
    anchor.setup(products, customers, cat)
    log(f"tryton: set up in {time.perf_counter() - t0:.1f}s")
    lines = [(c["account_number"], p["sku"], Decimal(q)) for c in customers for p in products
             for q in (1, 12, 100) if rnd.random() < 0.34]  # fmt: skip
    lines = lines[:6000]
    theirs, tryton_s = anchor.compute(lines)
    later = NOW + timedelta(days=30)  # after the promotions, which Tryton does not express
    by_cust: dict[str, list[int]] = {}
    for i, (a, _, _) in enumerate(lines):
        by_cust.setdefault(a, []).append(i)
    ours: list[Decimal | None] = [None] * len(lines)
    quotes = [
        (part, QuoteRequest(a, [QuoteLine(lines[i][1], lines[i][2]) for i in part], at=later))
        for a, idxs in by_cust.items()
        for part in (idxs[k : k + 1000] for k in range(0, len(idxs), 1000))
    ]
    for part, req in quotes:  # first pass: the prices, and a warm engine (as Tryton's)
        for i, answer in zip(part, engine.quote(req).lines, strict=True):
            ours[i] = answer.unit_price if isinstance(answer, PricedLine) else None
    t0 = time.perf_counter()
    for _, req in quotes:
        engine.quote(req)
    ours_s = time.perf_counter() - t0
    _, short_s = anchor.compute([(SHORT, sku, q) for _, sku, q in lines])
    mismatches = [
        (lines[i], ours[i], theirs[i])
        for i in range(len(lines))
        if ours[i] is None or theirs[i] is None or ours[i] != theirs[i]
    ]
    for m in mismatches[:5]:
        log(f"tryton: MISMATCH {m}")
    return {
        "lines": len(lines),
        "tryton_lines_per_s": round(len(lines) / tryton_s, 1),
        "tryton_one_line_list_per_s": round(len(lines) / short_s, 1),
        "crossdock_same_lines_per_s": round(len(lines) / ours_s, 1),
        "mismatches": len(mismatches),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--skus", type=int, default=100_000)
    ap.add_argument("--customers", type=int, default=5_000)
    ap.add_argument("--contracts", type=int, default=2_000)
    ap.add_argument("--promotions", type=int, default=2_000)
    ap.add_argument("--quick", action="store_true", help="10k SKUs, 500 customers, 200+200 lists")
    ap.add_argument("--seconds", type=float, default=10.0, help="in-process timing window")
    ap.add_argument("--http-quotes", type=int, default=300)
    ap.add_argument("--tryton-customers", type=int, default=10)
    ap.add_argument("--tryton-skus", type=int, default=300)
    ap.add_argument("--no-http", action="store_true")
    ap.add_argument("--no-tryton", action="store_true")
    args = ap.parse_args()
    if args.quick:
        args.skus, args.customers, args.contracts, args.promotions = 10_000, 500, 200, 200
        args.seconds = min(args.seconds, 3.0)
        args.http_quotes = min(args.http_quotes, 100)

    t0 = time.perf_counter()
    cat = build_catalog(args.skus, args.customers, args.contracts, args.promotions, seed=1)
    idx = build_index(cat)
    # as the service does once its index is built (PricingService._load): keep the cyclic
    # collector from walking this long-lived heap (here, also the HTTP client's pauses)
    gc.collect()
    gc.freeze()
    engine = Engine(idx, PricingConfig(), cache_size=0)
    log(f"catalog: {args.skus} SKUs, {args.customers} customers, {len(cat.lists)} lists, "
        f"index built in {time.perf_counter() - t0:.1f}s")  # fmt: skip
    reqs = random_requests(cat, 40, 300, seed=2)
    rate, rate_cpu = bench_inprocess(engine, reqs, args.seconds)
    log(
        f"in-process, every line resolved (no result cache): {rate:,.0f} quote-lines/s "
        f"({rate_cpu:,.0f}/s of CPU time)"
    )
    cached, _ = bench_inprocess(Engine(idx, PricingConfig()), reqs, args.seconds / 2)
    log(f"in-process, repeated quotes through the result cache: {cached:,.0f} quote-lines/s")
    cold = bench_cold(idx, random_requests(cat, 20, 300, seed=3))
    log(f"in-process, a new engine's first quotes (every plan compiled): {cold:,.0f} quote-lines/s")
    changing = bench_changes(cat, idx, engine, reqs, 200)
    log(f"in-process, a list changed before every quote: {changing}")
    result: dict[str, Any] = {
        "benchmark": "pricing",
        "skus": args.skus,
        "customers": args.customers,
        "lists": len(cat.lists),
        "inprocess_lines_per_s": round(rate),
        "inprocess_cpu_lines_per_s": round(rate_cpu),
        "inprocess_cached_lines_per_s": round(cached),
        "inprocess_cold_lines_per_s": round(cold),
        "inprocess_changing": changing,
    }
    with tempfile.TemporaryDirectory(prefix="crossdock-pricing-") as tmp:
        work = Path(tmp)
        if not args.no_http:
            result["http"] = bench_http(cat, reqs, args.http_quotes, work)
            log(f"http: {result['http']}")
        if not args.no_tryton:
            sys.path.insert(0, str(Path(__file__).parent))
            (work / "tryton").mkdir()
            t = bench_tryton(cat, engine, args.tryton_customers, args.tryton_skus, work / "tryton")
            t["ratio_same_lines"] = round(
                t["crossdock_same_lines_per_s"] / t["tryton_lines_per_s"], 1
            )
            t["ratio_inprocess_vs_tryton"] = round(rate / t["tryton_lines_per_s"], 1)
            t["ratio_inprocess_vs_tryton_one_line_list"] = round(
                rate / t["tryton_one_line_list_per_s"], 1
            )
            result["tryton"] = t
            log(f"tryton: {t}")
            log(
                f"same lines, back to back: crossdock {t['crossdock_same_lines_per_s']:,.0f}/s "
                f"vs Tryton {t['tryton_lines_per_s']:,.0f}/s: {t['ratio_same_lines']}x"
            )
            log(
                f"crossdock {rate:,.0f} quote-lines/s vs Tryton {t['tryton_lines_per_s']:,.0f}/s "
                f"on the same lines: {t['ratio_inprocess_vs_tryton']}x "
                f"({t['mismatches']} price mismatches of {t['lines']}); "
                f"vs Tryton's one-line list {t['tryton_one_line_list_per_s']:,.0f}/s: "
                f"{t['ratio_inprocess_vs_tryton_one_line_list']}x"
            )
    print(json.dumps(result))


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
