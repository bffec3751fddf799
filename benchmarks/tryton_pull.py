"""Pulling products from a real Tryton: batched reads against one read per record.

Starts ``trytond`` on loopback on a fresh copy of a seeded database (built
with the integration tests' ``tryton_server.build_template``, or reused with
``--template``), adds ``--products`` products, then times a full pull of the
products kind through the hub (map + ingest into a SQLite store) twice:

* batched: the connector as configured (``read_batch: 200``);
* anchor, in the same run against the same server: ``read_batch: 1``, one RPC
  per record, which is what a naive client does.

    python benchmarks/tryton_pull.py                    # 1000 products
    python benchmarks/tryton_pull.py --products 200 --template /tmp/template.sqlite

The last line printed is one JSON object, for machines.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

from crossdock.config.hub import HubConfig, SystemConfig
from crossdock.connectors.tryton.client import TrytonClient
from crossdock.store import Store
from crossdock.sync.runtime import Hub

# The integration tests' way to build and start a trytond (no pytest in it).
sys.path.insert(0, str(Path(__file__).parents[1] / "tests" / "integration"))
from connectors_tryton.tryton_server import build_template, start_server

PASSWORD = "admin-password-1"


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def add_products(client: TrytonClient, n: int) -> None:
    (unit,) = client.search("product.uom", [["symbol", "=", "u"]])
    (cat,) = client.search("product.category", [["name", "=", "Goods"]])
    vlist = [
        {
            "name": f"Bench item {i}",
            "code": f"B{i:05d}",
            "default_uom": unit,
            "sale_uom": unit,
            "type": "goods",
            "salable": True,
            "list_price": Decimal("3.50"),
            "account_category": cat,
            "products": [["create", [{"suffix_code": "-1"}]]],
        }
        for i in range(n)
    ]
    client.create("product.template", vlist, batch=50)


def pull(url: str, read_batch: int, store_dir: Path) -> tuple[float, int, int]:
    system = SystemConfig(
        name="tryton",
        kind="tryton",
        settings={
            "url": url,
            "database": "erp",
            "password_env": "BENCH_TRYTON_PASSWORD",
            "read_batch": read_batch,
            "pull": ["products"],
        },
    )
    hub = Hub(
        HubConfig(systems=[system]),
        Store.open(f"sqlite:///{store_dir / f'hub{read_batch}.sqlite'}"),
    )
    try:
        conn = hub.connector("tryton")
        conn.client.login()  # type: ignore[attr-defined]
        calls0 = conn.client.calls  # type: ignore[attr-defined]
        t0 = time.perf_counter()
        summary = hub.pull()
        elapsed = time.perf_counter() - t0
        return elapsed, summary.ingest.created, conn.client.calls - calls0  # type: ignore[attr-defined]
    finally:
        hub.close()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--products", type=int, default=1000)
    ap.add_argument("--template", type=Path)
    args = ap.parse_args()
    os.environ["BENCH_TRYTON_PASSWORD"] = PASSWORD
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        template = args.template
        if template is None:
            log("building the template database (trytond-admin + seed), about 45 s ...")
            (root / "tpl").mkdir()
            template = build_template(root / "tpl")
        (root / "srv").mkdir()
        server = start_server(template, root / "srv")
        url = server.url
        try:
            client = TrytonClient(url, "erp", "admin", PASSWORD)
            log(f"adding {args.products} products ...")
            add_products(client, args.products)
            client.close()
            log("pull, batched reads (read_batch 200) ...")
            fast, n_fast, calls_fast = pull(url, 200, root)
            log(f"  {n_fast} products in {fast:.2f}s, {calls_fast} RPC calls")
            log("pull, one read per record (read_batch 1), the anchor ...")
            slow, n_slow, calls_slow = pull(url, 1, root)
            log(f"  {n_slow} products in {slow:.2f}s, {calls_slow} RPC calls")
        finally:
            server.process.terminate()
            server.process.wait()
    print(
        json.dumps(
            {
                "benchmark": "tryton_pull_products",
                "products": n_fast,
                "batched_seconds": round(fast, 3),
                "batched_rpc_calls": calls_fast,
                "batched_products_per_second": round(n_fast / fast, 1),
                "anchor_seconds": round(slow, 3),
                "anchor_rpc_calls": calls_slow,
                "speedup_vs_anchor": round(slow / fast, 2),
            }
        )
    )


if __name__ == "__main__":
    main()
