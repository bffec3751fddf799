"""Retention while ingest runs: does pruning stall the writers?

A store is seeded with a backlog of superseded outbox events that every route
has passed (``--products`` products, ``--versions`` versions each), so nearly
all of them are prunable. Then the same ingest of ``--changes`` product updates
runs twice, in batches of 1,000:

* anchor: ingest alone;
* measured: ingest while ``Hub.prune`` deletes the backlog in a thread of the
  same process (as ``crossdock serve`` runs it), in its batches of 5,000.

Printed: records/s of each and their ratio, the slowest ingest batch of each
(a stall shows here), and the rows pruned. On SQLite the two share one write
lock, so the ratio is the price of pruning; a stall would be a slowest batch
far above the anchor's.

    python benchmarks/retention.py                      # SQLite
    python benchmarks/retention.py --backend postgres   # CROSSDOCK_BENCH_PG_URL or local

The last line printed is one JSON object, for machines.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from crossdock.config.hub import HubConfig, RouteConfig, SystemConfig
from crossdock.model.base import EntityType
from crossdock.model.change import Change
from crossdock.store import Store
from crossdock.sync.runtime import Hub

BATCH = 1000
LATER = datetime.now(UTC) + timedelta(days=1000)


def _config() -> HubConfig:
    return HubConfig(
        systems=[
            SystemConfig(name="erp", kind="files", settings={"inbox": tempfile.gettempdir()}),
            SystemConfig(name="shop", kind="webhook", settings={"url": "http://127.0.0.1:9"}),
        ],
        routes=[RouteConfig(name="to-shop", entities=[EntityType.PRODUCT], destination="shop")],
    )


def _changes(start: int, n: int, version: int) -> list[Change]:
    return [
        Change(
            "erp",
            EntityType.PRODUCT,
            f"SKU-{i:07d}",
            {"sku": f"SKU-{i:07d}", "list_price": f"{version}.{i % 100:02d}"},
        )
        for i in range(start, start + n)
    ]


def _seed(hub: Hub, products: int, versions: int) -> None:
    for v in range(1, versions + 1):
        for start in range(0, products, BATCH):
            hub.ingestor.ingest(_changes(start, min(BATCH, products - start), v))
        print(f"  seeded version {v}/{versions}", file=sys.stderr, flush=True)
    with hub.store.write() as tx:  # every route has passed the backlog
        last = hub.store.outbox.last_seq()
        hub.store.cursors.save(tx, "to-shop", last, success=True, delivered=0, error=None)


def _ingest(hub: Hub, changes: int, version: int) -> tuple[float, float]:
    """records/s and the slowest batch (s) of ``changes`` updates."""
    slowest = 0.0
    start = time.perf_counter()
    for first in range(0, changes, BATCH):
        t0 = time.perf_counter()
        hub.ingestor.ingest(_changes(first, min(BATCH, changes - first), version))
        slowest = max(slowest, time.perf_counter() - t0)
    return changes / (time.perf_counter() - start), slowest


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    ap.add_argument("--products", type=int, default=50_000)
    ap.add_argument("--versions", type=int, default=4)
    ap.add_argument("--changes", type=int, default=20_000)
    args = ap.parse_args()
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
        hub = Hub(_config(), Store.open(url))
        try:
            print(
                f"seeding {args.products:,} products x {args.versions} versions ...",
                file=sys.stderr,
            )
            _seed(hub, args.products, args.versions)
            print("anchor: ingest alone ...", file=sys.stderr)
            alone, alone_slowest = _ingest(hub, args.changes, 100)
            pruned: dict[str, int] = {}
            done = threading.Event()

            def prune() -> None:
                pruned.update(hub.prune(now=LATER).pruned)
                done.set()

            print("measured: ingest while pruning ...", file=sys.stderr)
            thread = threading.Thread(target=prune)
            thread.start()
            t0 = time.perf_counter()
            during, during_slowest = _ingest(hub, args.changes, 200)
            overlapped = not done.is_set()
            thread.join()
            prune_seconds = time.perf_counter() - t0
        finally:
            hub.close()
            if schema:
                import psycopg

                with psycopg.connect(pg, autocommit=True) as conn:
                    conn.execute(f"DROP SCHEMA {schema} CASCADE")
    ratio = during / alone
    print(
        f"ingest alone:         {alone:,.0f} records/s, slowest batch {alone_slowest * 1000:.0f} ms"
    )
    how = "overlapped all of it" if overlapped else "ended first"
    print(
        f"ingest while pruning: {during:,.0f} records/s, slowest batch "
        f"{during_slowest * 1000:.0f} ms (pruning {how})"
    )
    print(f"ratio:                {ratio:.2f}; pruned {pruned} in {prune_seconds:.1f}s")
    print(
        json.dumps(
            {
                "benchmark": f"ingest_while_pruning_{args.backend}",
                "value": round(during),
                "unit": "records/s",
                "anchor": "the same ingest without pruning",
                "anchor_value": round(alone),
                "ratio": round(ratio, 3),
                "slowest_batch_ms": round(during_slowest * 1000),
                "anchor_slowest_batch_ms": round(alone_slowest * 1000),
                "pruned": pruned,
                "overlapped": overlapped,
            }
        )
    )


if __name__ == "__main__":
    main()
