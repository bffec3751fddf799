"""The peer loaders of ``benchmarks/ingest.py --peers``: dlt and a Singer tap | target.

Each peer lives in a virtualenv of its own that the benchmark makes on first use
under ``~/.cache/crossdock-bench-peers`` (``CROSSDOCK_BENCH_PEERS_DIR``), with the
pinned versions below; none of them is a dependency of Crossdock. When a venv
cannot be made (no package registry), that peer is skipped with a message.

- **dlt → PostgreSQL / DuckDB**: a ``dlt.resource`` reading the CSV with
  ``csv.reader``, yielding pages of 10,000 dicts (dlt's advice for speed),
  ``write_disposition="merge"`` on primary key ``sku``, every value as text.
  Timed inside the peer's process around ``pipeline.run`` (extract, normalize,
  load), so its import is not counted.
- **Singer → PostgreSQL**: a CSV tap built on the Meltano Singer SDK (the SDK
  MeltanoLabs' tap-csv is built on; tap-csv itself is not on PyPI), key
  property ``ITEMNO``, piped into ``meltanolabs-target-postgres`` with its
  default settings (it upserts on the key properties). Timed as the pipe's
  wall clock less that of the same pipe on a header-only file (the two
  processes' start-up), so start-up is not counted either.

Both loads of each peer go into a database (or DuckDB file) of its own, made
empty for the run: the second load merges the nightly export into the first.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

DLT_PINS = ("dlt[postgres,duckdb]==1.31.0", "duckdb==2.0.1", "psycopg2-binary==2.9.13")
SINGER_PINS = (
    "meltanolabs-target-postgres==0.8.1",
    "singer-sdk==0.54.9",
    "psycopg[binary]==3.3.6",
    "SQLAlchemy==2.1.9",
)

DLT_SCRIPT = """
import csv, json, sys, time
import dlt

path, dest, creds, pipelines_dir = sys.argv[1:5]

@dlt.resource(name="products", primary_key="sku", write_disposition="merge")
def products():
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        names = ["sku" if h == "ITEMNO" else h.lower() for h in next(reader)]
        page = []
        for row in reader:
            page.append(dict(zip(names, row)))
            if len(page) == 10_000:
                yield page
                page = []
        if page:
            yield page

factory = dlt.destinations.postgres if dest == "postgres" else dlt.destinations.duckdb
pipeline = dlt.pipeline(
    pipeline_name="bench", destination=factory(credentials=creds),
    dataset_name="bench", pipelines_dir=pipelines_dir,
)
start = time.perf_counter()
info = pipeline.run(products())
elapsed = time.perf_counter() - start
info.raise_on_failed_jobs()
print(json.dumps({"elapsed": elapsed}))
"""

TAP_SCRIPT = """
import csv
from singer_sdk import Stream, Tap
from singer_sdk import typing as th

COLUMNS = %r

class Products(Stream):
    name = "products"
    primary_keys = ("ITEMNO",)
    schema = th.PropertiesList(*(th.Property(c, th.StringType) for c in COLUMNS)).to_dict()

    def get_records(self, context):
        with open(self.config["path"], newline="", encoding="utf-8") as f:
            yield from csv.DictReader(f)

class TapProductsCsv(Tap):
    name = "tap-products-csv"
    config_jsonschema = th.PropertiesList(
        th.Property("path", th.StringType, required=True)
    ).to_dict()

    def discover_streams(self):
        return [Products(self)]

if __name__ == "__main__":
    TapProductsCsv.cli()
"""


@dataclass
class PeerResult:
    """One peer's two loads (rows/s), or why it was skipped."""

    name: str
    first: float = 0.0
    second: float = 0.0
    skipped: str = ""
    note: str = ""


def peers_dir() -> Path:
    default = Path.home() / ".cache" / "crossdock-bench-peers"
    return Path(os.environ.get("CROSSDOCK_BENCH_PEERS_DIR", default))


def ensure_venv(name: str, pins: tuple[str, ...]) -> tuple[Path | None, str]:
    """The python of a venv holding ``pins`` (made on first use), or None and why not."""
    tag = hashlib.sha256(" ".join(pins).encode()).hexdigest()[:10]
    venv = peers_dir() / f"{name}-{tag}"
    python = venv / "bin" / "python"
    if (venv / ".installed").exists():
        return python, ""
    print(f"making the {name} venv at {venv} ({', '.join(pins)}) ...", file=sys.stderr)
    venv.parent.mkdir(parents=True, exist_ok=True)
    made = subprocess.run(
        [sys.executable, "-m", "venv", "--clear", str(venv)], capture_output=True, text=True
    )
    if made.returncode != 0:
        return None, f"python -m venv failed: {made.stderr.strip()[-300:]}"
    pip = subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--timeout", "30", "--retries", "1", *pins],
        capture_output=True,
        text=True,
    )
    if pip.returncode != 0:
        lines = [ln for ln in pip.stderr.splitlines() if "is ignored" not in ln]
        return None, "pip install failed (registry unreachable?): " + " | ".join(lines[-3:])
    (venv / ".installed").write_text(" ".join(pins) + "\n")
    return python, ""


def _run_json(cmd: list[str]) -> dict[str, float]:
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{cmd[1]} failed: {done.stderr.strip()[-800:]}")
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def run_dlt(
    python: Path, dest: str, creds: str, files: tuple[Path, Path], work: Path, rows: int
) -> PeerResult:
    """dlt merge of the first export, then of the second, into ``creds``."""
    script = work / "dlt_load.py"
    script.write_text(DLT_SCRIPT)
    pipelines = work / f"dlt-{dest}"
    parts = urlsplit(creds)
    if dest == "postgres" and parts.password is None:  # dlt insists; trust auth ignores it
        user = parts.username or "postgres"
        creds = urlunsplit(parts._replace(netloc=f"{user}:unused@{parts.hostname}:{parts.port}"))
    rates = []
    for f in files:
        out = _run_json([str(python), str(script), str(f), dest, creds, str(pipelines)])
        rates.append(rows / out["elapsed"])
    return PeerResult(f"dlt -> {dest}", rates[0], rates[1])


def _singer_pipe(python: Path, work: Path, csv_path: Path, target_config: dict[str, str]) -> float:
    tap_config = work / "tap.json"
    tap_config.write_text(json.dumps({"path": str(csv_path)}))
    target_json = work / "target.json"
    target_json.write_text(json.dumps(target_config))
    target = python.parent / "target-postgres"
    start = time.perf_counter()
    tap = subprocess.Popen(
        [str(python), str(work / "tap_csv.py"), "--config", str(tap_config)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    sink = subprocess.run(
        [str(target), "--config", str(target_json)],
        stdin=tap.stdout,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert tap.stdout is not None
    tap.stdout.close()
    tap.wait()
    elapsed = time.perf_counter() - start
    if tap.returncode != 0 or sink.returncode != 0:
        raise RuntimeError(f"singer pipe failed: {sink.stderr.strip()[-800:]}")
    return elapsed


def run_singer(
    python: Path,
    db: str,
    empty_db: str,
    files: tuple[Path, Path],
    header_only: Path,
    work: Path,
    rows: int,
) -> PeerResult:
    """The tap piped into target-postgres, first then second export, into database ``db``."""
    (work / "tap_csv.py").write_text(TAP_SCRIPT % (list(_columns(files[0])),))

    def config(url: str) -> dict[str, str]:
        return {
            "sqlalchemy_url": url.replace("postgresql://", "postgresql+psycopg://", 1),
            "default_target_schema": "public",
        }

    startup = _singer_pipe(python, work, header_only, config(empty_db))
    rates = [rows / max(_singer_pipe(python, work, f, config(db)) - startup, 1e-6) for f in files]
    return PeerResult("singer -> postgres", rates[0], rates[1], note=f"start-up {startup:.2f} s")


def _columns(csv_path: Path) -> list[str]:
    with csv_path.open(encoding="utf-8") as f:
        return f.readline().strip().split(",")


def db_url(server: str, name: str) -> str:
    """``server`` (any database on it) pointed at database ``name``."""
    return urlunsplit(urlsplit(server)._replace(path=f"/{name}"))


@contextmanager
def fresh_database(server: str, prefix: str) -> Iterator[str]:
    """A new empty PostgreSQL database for one loader, dropped afterwards."""
    import psycopg

    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    admin = db_url(server, "postgres")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    try:
        yield db_url(server, name)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
