"""Console pages: how long each takes to render server-side, on a large hub.

A SQLite store is seeded with ``--records`` products (one version each),
``--exceptions`` open exceptions (changes the model refuses) and
``--parked`` parked deliveries; the route's cursor stands half-way, so the
overview counts a real lag. Then, signed in through the console's own form,
each page is asked for ``--rounds`` times through an in-process client
(the app, its middleware and the store; no network): the overview, its
refreshing partial, the exception queue, one exception, the parked list, a
record's lineage, a search; the reconciliation page (``--drifts`` drifts of the
ERP kept as its last report), a five-line explained quote and the ATP of 20
SKUs at two locations with inbound.

Anchor, in the same run on the same store: ``GET /v1/routes``, the API's JSON
answer of the same route status the overview shows. Printed per page: median
and p95 in ms, and the median's ratio to the anchor's; the issue's target is
every page under 200 ms.

    python benchmarks/console.py                     # 100,000 records, 1,000 exceptions
    python benchmarks/console.py --records 20000     # quicker
    python benchmarks/console.py --demo              # the `crossdock demo` data set, every page

``--demo`` builds the demo's data set instead (``crossdock.demo.dataset``: 3,000
products, 300 customers, their prices and stock, synced and delivered) and
times every console page on it, the order, hold-queue and customer-review pages
and the last-hour charts among them, with the same anchor.

The last line printed is one JSON object, for machines.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import sys
import tempfile
import time
import warnings
from datetime import UTC, datetime, timedelta
from pathlib import Path

from crossdock.api import create_api_key, create_app
from crossdock.app import Application
from crossdock.config.hub import HubConfig, RouteConfig, SystemConfig
from crossdock.model.base import EntityType
from crossdock.model.change import Change
from crossdock.services.availability import ErpSnapshot
from crossdock.store import NewParked, Store
from crossdock.sync.reconcile_log import ReconcileLog
from crossdock.sync.runtime import Hub
from crossdock.ui import Signer

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

BATCH = 1000


def _config(inbox: str) -> HubConfig:
    return HubConfig(
        systems=[
            SystemConfig(name="erp", kind="files", settings={"inbox": inbox}),
            SystemConfig(name="shop", kind="webhook", settings={"url": "http://127.0.0.1:9"}),
        ],
        routes=[RouteConfig(name="to-shop", entities=[EntityType.PRODUCT], destination="shop")],
    )


def _product(i: int, price: str) -> Change:
    sku = f"SKU-{i:07d}"
    return Change("erp", EntityType.PRODUCT, sku, {"sku": sku, "list_price": price})


def _seed(hub: Hub, records: int, exceptions: int, parked: int) -> None:
    for start in range(0, records, BATCH):
        n = min(BATCH, records - start)
        hub.ingestor.ingest(
            [_product(i, f"{i % 500}.{i % 100:02d}") for i in range(start, start + n)]
        )
    for start in range(0, exceptions, BATCH):
        n = min(BATCH, exceptions - start)
        hub.ingestor.ingest([_product(i, "not a price") for i in range(start, start + n)])
    ids = [r.id for r in hub.store.records.page(EntityType.PRODUCT, limit=parked)]
    with hub.store.write() as tx:
        hub.store.cursors.save(
            tx, "to-shop", hub.store.outbox.last_seq() // 2, success=True, delivered=0, error=None
        )
        for n, rid in enumerate(ids):
            hub.store.parked.park(
                tx,
                NewParked(
                    "to-shop",
                    EntityType.PRODUCT,
                    rid,
                    1,
                    n + 1,
                    f"d-{rid}",
                    "rejected_by_destination",
                    "the shop refused it",
                    3,
                    {"sku": rid},
                ),
            )


def _seed_tools(hub: Hub, drifts: int) -> None:
    """A kept reconciliation report, a customer with a price list, stock with inbound."""
    ids = [f"SKU-{i:07d}" for i in range(drifts)]
    report = hub.reconcile(
        "erp", [_product(i, "999.99") for i in range(drifts)], check_missing=False
    )
    ReconcileLog(hub.store).save(report, actor="bench")
    entries = [{"sku": s, "breaks": [{"min_quantity": "1", "value": "5.00"}]} for s in ids]
    hub.ingestor.ingest(
        [
            Change("erp", EntityType.CUSTOMER, "ACME", {"account_number": "ACME"}),
            Change(
                "erp",
                EntityType.PRICE_LIST,
                "BASE",
                {"code": "BASE", "kind": "base", "entries": entries},
            ),
        ]
    )
    eta = (datetime.now(UTC) + timedelta(days=7)).date().isoformat()
    items = [
        {
            "sku": s,
            "location": loc,
            "on_hand": "100",
            "inbound": [{"reference": f"PO-{s}", "quantity": "10", "eta": eta}],
        }
        for s in ids[:20]
        for loc in ("W1", "W2")
    ]
    Application(hub).availability.feeds.apply_erp_snapshot(
        ErpSnapshot.model_validate({"as_of": datetime.now(UTC).isoformat(), "items": items})
    )


def _time(client: TestClient, path: str, rounds: int, headers: dict[str, str]) -> list[float]:
    out = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        r = client.get(path, headers=headers, follow_redirects=False)
        out.append((time.perf_counter() - t0) * 1000)
        if r.status_code != 200:
            raise SystemExit(f"{path} answered {r.status_code}")
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--records", type=int, default=100_000)
    ap.add_argument("--exceptions", type=int, default=1_000)
    ap.add_argument("--parked", type=int, default=50)
    ap.add_argument("--drifts", type=int, default=2_000)
    ap.add_argument("--rounds", type=int, default=30)
    ap.add_argument("--demo", action="store_true", help="time every page on the demo data set")
    args = ap.parse_args()
    if args.demo:
        demo(args.rounds)
        return
    folder = Path(tempfile.mkdtemp(prefix="console-bench-"))
    hub = Hub(_config(str(folder)), Store.open(f"sqlite:///{folder / 'hub.sqlite'}"))
    t0 = time.perf_counter()
    _seed(hub, args.records, args.exceptions, args.parked)
    _seed_tools(hub, min(args.drifts, args.records))
    print(f"seeded in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    admin = create_api_key(hub.store, "bench", ["admin"])
    app = create_app(Application(hub), console_signer=Signer("bench"))
    with TestClient(app) as client:
        form = client.get("/console/login").text
        token = re.search(r'name="csrf" value="([^"]+)"', form)
        assert token
        client.post("/console/login", data={"csrf": token.group(1), "key": admin})
        exc = hub.store.exceptions.page(limit=1)[0]
        rec = hub.store.records.page(EntityType.PRODUCT, limit=1)[0]
        pages = {
            "overview": "/console/overview",
            "overview_partial": "/console/overview/partial",
            "exceptions": "/console/exceptions",
            "exception": f"/console/exceptions/{exc.id}",
            "parked": "/console/parked?route=to-shop",
            "record": f"/console/records/product/{rec.id}",
            "search": "/console/records?q=nothing-like-it",
            "reconcile": "/console/reconcile",
            "quote": "/console/prices?customer=ACME&"
            + "&".join(f"sku=SKU-{i:07d}&quantity={i + 1}&unit=" for i in range(5)),
            "stock": "/console/stock?sku=" + ",".join(f"SKU-{i:07d}" for i in range(20)),
        }
        api = {"Authorization": f"Bearer {admin}"}
        anchor = statistics.median(_time(client, "/v1/routes", args.rounds, api))
        result: dict[str, object] = {
            "benchmark": "console",
            "records": args.records,
            "open_exceptions": args.exceptions,
            "anchor_ms": round(anchor, 2),
        }
        for name, path in pages.items():
            ms = sorted(_time(client, path, args.rounds, {}))
            median = statistics.median(ms)
            p95 = ms[int(0.95 * (len(ms) - 1))]
            print(
                f"{name:17} median {median:7.1f} ms  p95 {p95:7.1f} ms  "
                f"ratio to GET /v1/routes {median / anchor:6.2f}"
            )
            result[name] = {
                "median_ms": round(median, 2),
                "p95_ms": round(p95, 2),
                "ratio": round(median / anchor, 2),
            }
    print(f"anchor GET /v1/routes median {anchor:.1f} ms; load {os.getloadavg()[0]:.1f}")
    hub.close()
    print(json.dumps(result))


def _sign_in(client: TestClient, key: str) -> None:
    form = client.get("/console/login").text
    token = re.search(r'name="csrf" value="([^"]+)"', form)
    assert token
    client.post("/console/login", data={"csrf": token.group(1), "key": key})


def _report(name: str, ms: list[float], anchor: float) -> dict[str, float]:
    ms = sorted(ms)
    median = statistics.median(ms)
    p95 = ms[int(0.95 * (len(ms) - 1))]
    print(
        f"{name:17} median {median:7.1f} ms  p95 {p95:7.1f} ms  "
        f"ratio to GET /v1/routes {median / anchor:6.2f}"
    )
    return {
        "median_ms": round(median, 2),
        "p95_ms": round(p95, 2),
        "ratio": round(median / anchor, 2),
    }


def demo(rounds: int) -> None:
    """Every console page on the demo data set (the target: each under 200 ms server-side)."""
    from crossdock.demo.dataset import build_demo

    t0 = time.perf_counter()
    application = build_demo(Path(tempfile.mkdtemp(prefix="console-bench-")) / "demo")
    hub = application.hub
    print(f"demo data set built in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    admin = create_api_key(hub.store, "bench", ["admin"])
    app = create_app(application, console_signer=Signer("bench"))
    with TestClient(app) as client:
        _sign_in(client, admin)
        exc = hub.store.exceptions.page(limit=1)
        rec = hub.store.records.page(EntityType.CUSTOMER, limit=1)[0]
        pages = {
            "overview": "/console/overview",
            "overview_partial": "/console/overview/partial",
            "activity": "/console/overview/activity",
            "exceptions": "/console/exceptions",
            "parked": "/console/parked",
            "record": f"/console/records/customer/{rec.id}",
            "search": "/console/records?q=nothing-like-it",
            "orders": "/console/orders",
            "order_search": "/console/orders?q=PO-1",
            "holds": "/console/orders/holds",
            "customer_review": "/console/customers/review",
            "reconcile": "/console/reconcile",
        }
        skus = [
            str(p.data.get("sku")) for p in hub.store.records.page(EntityType.PRODUCT, limit=20)
        ]
        pages["stock"] = "/console/stock?sku=" + ",".join(skus)
        account = rec.data.get("account_number")
        if account:
            lines = "&".join(f"sku={s}&quantity={i + 1}&unit=" for i, s in enumerate(skus[:5]))
            pages["quote"] = f"/console/prices?customer={account}&{lines}"
        if exc:
            pages["exception"] = f"/console/exceptions/{exc[0].id}"
        api = {"Authorization": f"Bearer {admin}"}
        anchor = statistics.median(_time(client, "/v1/routes", rounds, api))
        result: dict[str, object] = {
            "benchmark": "console",
            "data": "demo",
            "records": sum(hub.store.records.count().values()),
            "events": hub.store.outbox.count(),
            "anchor_ms": round(anchor, 2),
        }
        for name, path in pages.items():
            result[name] = _report(name, _time(client, path, rounds, {}), anchor)
    slowest = max(v["median_ms"] for v in result.values() if isinstance(v, dict))
    result["slowest_median_ms"] = slowest
    print(f"anchor GET /v1/routes median {anchor:.1f} ms; load {os.getloadavg()[0]:.1f}")
    application.close()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
