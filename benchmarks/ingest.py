"""Bulk ingest of products from CSV through the whole pipeline, against a raw insert.

Pipeline: files connector (decode, detect delimiter, map columns and unit
values) -> ingest (idempotency, identity by crosswalk and SKU, ownership
merge, model validation) -> store (record, provenance, crosswalk, natural
keys, idempotency key and outbox event, in batched transactions).

Anchor, measured in the same run on the same backend: the same rows
inserted raw with ``executemany`` into one plain table in one transaction.

A second figure says how much of the gap is the store's own shape: the
*store floor* writes the very rows the pipeline wrote (records, per-field
provenance, crosswalk, natural keys, idempotency keys, outbox events, ingest
digests), already built, into an empty store of the same schema in
transactions of the pipeline's batch size, with the driver alone
(``executemany`` on SQLite, ``COPY`` on PostgreSQL, as the store does) and no
Python work per record. No
pipeline that writes those rows can beat it, so ``pipeline / floor`` is the
share of the reachable speed the Python side reaches, and ``floor / anchor``
is the cost of the schema.

The *second load* is a nightly full export of the same catalog: the same keys
again in a new file, 10 % of the rows with a changed cost, into the store the
first load filled. Its rate is printed against the first load's (the target of
issue 23 is at least 3x: unchanged rows must cost almost nothing).

Each Crossdock load runs in a child process (``--load``, not for people), so
the printed peak RSS (``VmHWM``) is the import's own high-water, not the
benchmark's lists of rows (target: at most 1 GB at ``--rows 1000000``; the
rate should not fall from 20k to 1M rows). Every loader on PostgreSQL writes
into a database of its own, created for the run and dropped after it.

``--peers`` compares other loaders on the same two files instead of the raw
insert: dlt merging (``write_disposition="merge"``, primary key ``sku``) into
PostgreSQL and into DuckDB, and a Singer CSV tap piped into
meltanolabs-target-postgres (upsert on the key), then Crossdock on SQLite and
on PostgreSQL, each with a first and a second load. The peers' pinned
versions, how each is timed and where their venvs live are in
``benchmarks/ingest_peers.py``; a peer whose venv cannot be installed is
skipped with a message. The JSON line's anchor is then the fastest peer's
first load, and its ``value`` Crossdock's on PostgreSQL; it also carries
Crossdock PG / dlt PG for both loads, second / first and pipeline / floor for
each Crossdock backend.

    python benchmarks/ingest.py                      # SQLite, 200k rows
    python benchmarks/ingest.py --backend postgres   # CROSSDOCK_BENCH_PG_URL, or the local server
    python benchmarks/ingest.py --rows 20000         # a quick look
    python benchmarks/ingest.py --peers              # dlt, Singer, Crossdock SQLite + PG

The last line printed is one JSON object, for machines.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import os
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from ingest_peers import (
    DLT_PINS,
    SINGER_PINS,
    PeerResult,
    ensure_venv,
    fresh_database,
    run_dlt,
    run_singer,
)

from crossdock.config.hub import HubConfig, SystemConfig
from crossdock.store import Store
from crossdock.sync.runtime import Hub

COLUMNS = ["ITEMNO", "DESCR", "BRAND", "CATEGORY", "UOM", "CASE_QTY", "WEIGHT", "COST", "GTIN"]


def write_csv(path: Path, rows: int) -> list[tuple[str, ...]]:
    data = []
    for i in range(rows):
        data.append(
            (
                f"SKU-{i:07d}",
                f"Widget {i % 977} size {i % 13}",
                f"Brand{i % 40}",
                f"cat{i % 25}",
                "EA",
                str(6 + i % 20),
                f"{(i % 400) / 10}",
                f"{(i % 9000) / 100 + 1}",
                f"{400000000000 + i:013d}",
            )
        )
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(COLUMNS)
        w.writerows(data)
    return data


def anchor_sqlite(db: Path, data: list[tuple[str, ...]]) -> float:
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute(f"CREATE TABLE raw ({', '.join(c + ' TEXT' for c in COLUMNS)})")
    start = time.perf_counter()
    with conn:
        conn.executemany(f"INSERT INTO raw VALUES ({', '.join('?' * len(COLUMNS))})", data)
    elapsed = time.perf_counter() - start
    conn.close()
    return len(data) / elapsed


def anchor_postgres(url: str, data: list[tuple[str, ...]]) -> float:
    import psycopg

    with psycopg.connect(url) as conn:
        conn.execute(f"CREATE TABLE raw ({', '.join(c + ' TEXT' for c in COLUMNS)})")
        conn.commit()
        start = time.perf_counter()
        with conn.cursor() as cur:
            cur.executemany(f"INSERT INTO raw VALUES ({', '.join(['%s'] * len(COLUMNS))})", data)
        conn.commit()
        elapsed = time.perf_counter() - start
    return len(data) / elapsed


STORE_TABLES = ("records", "record_keys", "crosswalk", "inbound_keys", "events", "ingest_digests")
BATCH = 5000


def in_batches(
    built: dict[str, list[tuple[object, ...]]], rows: int
) -> list[dict[str, list[tuple[object, ...]]]]:
    """The rows cut into the pipeline's transactions: each table's n-th share in the n-th."""
    n = max(1, -(-rows // BATCH))
    return [
        {t: data[len(data) * i // n : len(data) * (i + 1) // n] for t, data in built.items()}
        for i in range(n)
    ]


def floor_sqlite(hub_db: Path, empty_db: Path, rows: int) -> float:
    """Records/s writing the pipeline's own rows raw into an empty store (see the docstring)."""
    Store.open(f"sqlite:///{empty_db}").close()  # the same schema, through the migrations
    src = sqlite3.connect(hub_db)
    built = {t: src.execute(f"SELECT * FROM {t}").fetchall() for t in STORE_TABLES}
    src.close()
    conn = sqlite3.connect(empty_db)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA cache_size=-65536")  # as the store's own connections
    start = time.perf_counter()
    for batch in in_batches(built, rows):
        with conn:
            for table, data in batch.items():
                if data:
                    marks = ", ".join("?" * len(data[0]))
                    conn.executemany(f"INSERT INTO {table} VALUES ({marks})", data)
    elapsed = time.perf_counter() - start
    conn.close()
    return rows / elapsed


def floor_postgres(hub_url: str, server: str, rows: int) -> float:
    """As :func:`floor_sqlite`, from the hub's database into a fresh one, with ``COPY``."""
    import psycopg

    with fresh_database(server, "bench_floor") as empty:
        Store.open(empty).close()
        with psycopg.connect(hub_url) as src:
            built = {t: src.execute(f"SELECT * FROM {t}").fetchall() for t in STORE_TABLES}
        with psycopg.connect(empty) as conn:
            start = time.perf_counter()
            for batch in in_batches(built, rows):
                with conn.cursor() as cur:
                    for table, data in batch.items():
                        with cur.copy(f"COPY {table} FROM STDIN") as copy:
                            for row in data:
                                copy.write_row(row)
                conn.commit()
            elapsed = time.perf_counter() - start
    return rows / elapsed


def hub_config(inbox: Path) -> HubConfig:
    return HubConfig(
        systems=[
            SystemConfig(
                name="erp",
                kind="files",
                settings={
                    "inbox": str(inbox),
                    "mappings": [
                        {
                            "pattern": "products*.csv",
                            "entity": "product",
                            "id": "ITEMNO",
                            "columns": {
                                "ITEMNO": "sku",
                                "DESCR": "description",
                                "BRAND": "brand",
                                "CATEGORY": "category",
                                "UOM": "base_uom",
                                "CASE_QTY": "units[0].factor",
                                "WEIGHT": "weight.value",
                                "COST": "cost",
                                "GTIN": "identifiers.gtin",
                            },
                            "defaults": {
                                "units[0].code": "CS",
                                "weight.unit": "LB",
                                "currency": "USD",
                            },
                            "values": {"base_uom": {"EA": "EA"}},
                        }
                    ],
                },
            )
        ],
        ownership={},
    )


def second_export(path: Path, data: list[tuple[str, ...]]) -> None:
    """The nightly export: the same rows in a new file, every tenth with a new cost."""
    cost = COLUMNS.index("COST")
    changed = [
        (*d[:cost], f"{float(d[cost]) + 1:.2f}", *d[cost + 1 :]) if i % 10 == 0 else d
        for i, d in enumerate(data)
    ]
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(COLUMNS)
        w.writerows(changed)


def run_pipeline(store_url: str, inbox: Path, rows: int) -> tuple[float, dict[str, int]]:
    hub = Hub(hub_config(inbox), Store.open(store_url), batch_size=BATCH)
    done = 0
    last = time.perf_counter()

    def progress(n: int) -> None:
        nonlocal done, last
        done += n
        if time.perf_counter() - last > 2:
            last = time.perf_counter()
            print(f"  ... {done:,}/{rows:,}", file=sys.stderr, flush=True)

    start = time.perf_counter()
    summary = hub.pull(on_unit=lambda name, total: progress)
    elapsed = time.perf_counter() - start
    hub.close()
    report = summary.ingest.as_dict()
    return report["received"] / elapsed, report


def load(store_url: str, csv_path: Path, root: Path, rows: int) -> dict[str, Any]:
    """One Crossdock load of ``csv_path`` in a process of its own, for its RSS high-water."""
    inbox = root / f"inbox-{uuid.uuid4().hex[:6]}"
    inbox.mkdir()
    shutil.copyfile(csv_path, inbox / "products.csv")
    done = subprocess.run(
        [sys.executable, __file__, "--load", store_url, str(inbox), "--rows", str(rows)],
        stdout=subprocess.PIPE,
        text=True,
        check=True,
    )
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def load_main(store_url: str, inbox: str, rows: int) -> None:
    """The child of :func:`load`: the pipeline, then its rate and peak RSS as JSON."""
    rate, report = run_pipeline(store_url, Path(inbox), rows)
    print(json.dumps({"rate": rate, "report": report, "peak_rss_mb": round(peak_rss_mb())}))


def peak_rss_mb() -> float:
    """This process's RSS high-water in MiB.

    ``VmHWM`` where there is a /proc: ``ru_maxrss`` keeps, across the exec that
    started this process, the high-water of the parent that forked it.
    """
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024  # kB
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def crossdock(backend: str, files: tuple[Path, Path], root: Path, server: str) -> dict[str, Any]:
    """First load, the store floor, then the second load, into a fresh store of ``backend``."""
    rows = sum(1 for _ in files[0].open(encoding="utf-8")) - 1
    with contextlib.ExitStack() as stack:
        if backend == "sqlite":
            hub_db = root / f"hub-{uuid.uuid4().hex[:6]}.sqlite"
            store_url = f"sqlite:///{hub_db}"
        else:
            store_url = stack.enter_context(fresh_database(server, "bench_crossdock"))
        print(f"crossdock -> {backend}: first load ...", file=sys.stderr)
        first = load(store_url, files[0], root, rows)
        print("store floor: the pipeline's own rows, written raw ...", file=sys.stderr)
        if backend == "sqlite":
            floor = floor_sqlite(hub_db, root / f"floor-{uuid.uuid4().hex[:6]}.sqlite", rows)
        else:
            floor = floor_postgres(store_url, server, rows)
        print("second load: the same keys, 10 % changed ...", file=sys.stderr)
        second = load(store_url, files[1], root, rows)
    if first["report"]["created"] != rows:
        print(f"WARNING: expected {rows} created, got {first['report']}", file=sys.stderr)
    return {
        "rate": first["rate"],
        "report": first["report"],
        "floor": floor,
        "rate2": second["rate"],
        "report2": second["report"],
        "peak_rss_mb": max(first["peak_rss_mb"], second["peak_rss_mb"]),
    }


def machine_load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} cores"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", type=int, default=200_000)
    ap.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    ap.add_argument(
        "--peers", action="store_true", help="dlt and Singer against Crossdock (see the docstring)"
    )
    ap.add_argument("--load", nargs=2, metavar=("STORE_URL", "INBOX"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.load:
        load_main(args.load[0], args.load[1], args.rows)
        return
    server = os.environ.get("CROSSDOCK_BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        print(f"writing {args.rows:,} product rows ...", file=sys.stderr)
        data = write_csv(root / "export-1.csv", args.rows)
        second_export(root / "export-2.csv", data)
        files = (root / "export-1.csv", root / "export-2.csv")
        if args.peers:
            peers_main(files, root, server, args.rows)
        else:
            single_main(args.backend, data, files, root, server)


def single_main(
    backend: str, data: list[tuple[str, ...]], files: tuple[Path, Path], root: Path, server: str
) -> None:
    if backend == "sqlite":
        anchor = anchor_sqlite(root / "anchor.sqlite", data)
    else:
        with fresh_database(server, "bench_anchor") as url:
            anchor = anchor_postgres(url, data)
    print(f"anchor (raw executemany, {backend}): {anchor:,.0f} rows/s", file=sys.stderr)
    c = crossdock(backend, files, root, server)
    rate, floor, rate2 = c["rate"], c["floor"], c["rate2"]
    ratio = rate / anchor
    print(f"pipeline: {rate:,.0f} records/s  ({c['report']})")
    print(f"anchor:   {anchor:,.0f} rows/s")
    print(f"ratio:    {ratio:.3f}  (targets: ratio >= 0.25 and >= 50,000 records/s)")
    print(
        f"store floor: {floor:,.0f} records/s (floor / anchor {floor / anchor:.3f}); "
        f"pipeline / floor {rate / floor:.3f}"
    )
    print(
        f"second load (10 % changed): {rate2:,.0f} records/s, {rate2 / rate:.2f}x the first "
        f"(target >= 3x)  ({c['report2']})"
    )
    print(f"peak RSS of the import process: {c['peak_rss_mb']:,} MB (target <= 1 GB at 1M rows)")
    print(f"machine load (1/5/15 min): {machine_load()}")
    print(
        json.dumps(
            {
                "benchmark": f"ingest_products_csv_{backend}",
                "rows": len(data),
                "value": round(rate),
                "unit": "records/s",
                "anchor": f"raw executemany insert ({backend})",
                "anchor_value": round(anchor),
                "ratio": round(ratio, 4),
                "store_floor": round(floor),
                "floor_ratio": round(floor / anchor, 4),
                "pipeline_to_floor": round(rate / floor, 4),
                "second_load": round(rate2),
                "second_to_first": round(rate2 / rate, 3),
                "second_load_report": c["report2"],
                "peak_rss_mb": c["peak_rss_mb"],
                "load_avg": machine_load(),
            }
        )
    )


def peers_main(files: tuple[Path, Path], root: Path, server: str, rows: int) -> None:
    """Crossdock on SQLite and PostgreSQL against dlt and Singer, each in a fresh database."""
    results: list[PeerResult] = []
    dlt_py, why = ensure_venv("dlt", DLT_PINS)
    if dlt_py is None:
        print(f"skipping dlt: {why}", file=sys.stderr)
        results += [PeerResult(f"dlt -> {d}", skipped=why) for d in ("postgres", "duckdb")]
    else:
        print("dlt -> postgres ...", file=sys.stderr)
        with fresh_database(server, "bench_dlt") as url:
            results.append(run_dlt(dlt_py, "postgres", url, files, root, rows))
            results[-1].note = f"{count_rows(url, 'bench.products'):,} rows after"
        print("dlt -> duckdb ...", file=sys.stderr)
        duck = root / f"dlt-{uuid.uuid4().hex[:6]}.duckdb"
        results.append(run_dlt(dlt_py, "duckdb", str(duck), files, root, rows))
    singer_py, why = ensure_venv("singer", SINGER_PINS)
    if singer_py is None:
        print(f"skipping singer: {why}", file=sys.stderr)
        results.append(PeerResult("singer -> postgres", skipped=why))
    else:
        print("singer tap | target-postgres ...", file=sys.stderr)
        header_only = root / "header-only.csv"
        header_only.write_text(",".join(COLUMNS) + "\n", encoding="utf-8")
        with (
            fresh_database(server, "bench_singer") as url,
            fresh_database(server, "bench_singer0") as empty,
        ):
            res = run_singer(singer_py, url, empty, files, header_only, root, rows)
            res.note += f"; {count_rows(url, 'public.products'):,} rows after"
            results.append(res)
    ran = [r for r in results if not r.skipped]
    cd = {b: crossdock(b, files, root, server) for b in ("sqlite", "postgres")}
    for b, c in cd.items():
        results.append(PeerResult(f"crossdock -> {b}", c["rate"], c["rate2"]))
    print(f"{'loader':<22}{'first rows/s':>14}{'second rows/s':>15}{'2nd/1st':>9}")
    for r in results:
        if r.skipped:
            print(f"{r.name:<22}  skipped: {r.skipped}")
        else:
            print(
                f"{r.name:<22}{r.first:>14,.0f}{r.second:>15,.0f}{r.second / r.first:>9.2f}"
                + (f"   ({r.note})" if r.note else "")
            )
    pg = cd["postgres"]
    summary: dict[str, Any] = {
        "benchmark": "ingest_products_csv_peers",
        "rows": rows,
        "value": round(pg["rate"]),
        "unit": "records/s",
        "loaders": {
            r.name: {"first": round(r.first), "second": round(r.second)} if not r.skipped else None
            for r in results
        },
    }
    if ran:
        fastest = max(ran, key=lambda r: r.first)
        summary |= {
            "anchor": f"fastest peer, first load ({fastest.name})",
            "anchor_value": round(fastest.first),
            "ratio": round(pg["rate"] / fastest.first, 4),
        }
        print(f"anchor: the fastest peer, {fastest.name}, {fastest.first:,.0f} rows/s")
    dlt_pg = next((r for r in ran if r.name == "dlt -> postgres"), None)
    if dlt_pg is not None:
        summary["crossdock_pg_to_dlt_pg_first"] = round(pg["rate"] / dlt_pg.first, 3)
        summary["crossdock_pg_to_dlt_pg_second"] = round(pg["rate2"] / dlt_pg.second, 3)
        print(
            f"crossdock PG / dlt PG: first {pg['rate'] / dlt_pg.first:.2f}, "
            f"second {pg['rate2'] / dlt_pg.second:.2f}"
        )
    for b, c in cd.items():
        summary[f"second_to_first_{b}"] = round(c["rate2"] / c["rate"], 3)
        summary[f"pipeline_to_floor_{b}"] = round(c["rate"] / c["floor"], 4)
        print(
            f"crossdock {b}: second/first {c['rate2'] / c['rate']:.2f}; store floor "
            f"{c['floor']:,.0f} records/s, pipeline / floor {c['rate'] / c['floor']:.3f}; "
            f"peak RSS {c['peak_rss_mb']:,} MB"
        )
    summary["peak_rss_mb"] = max(c["peak_rss_mb"] for c in cd.values())
    summary["load_avg"] = machine_load()
    print(f"machine load (1/5/15 min): {machine_load()}")
    print(json.dumps(summary))


def count_rows(url: str, table: str) -> int:
    import psycopg

    with psycopg.connect(url) as conn:
        row = conn.execute(f"SELECT count(*) FROM {table}").fetchone()
    return int(row[0]) if row else 0


if __name__ == "__main__":
    main()
