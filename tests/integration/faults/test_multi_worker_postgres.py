"""Two and three `crossdock serve` worker processes on one PostgreSQL store.

They share a 6-partition route by leases and one rate limit by the store.
While changes flow, one worker is killed with SIGKILL and not restarted; the
others take its partitions over when its leases expire. Afterwards: exactly
one effect per version after de-duplication, no entity's versions out of
order, the receiver equal to the canonical projection, and the rate limit
held across all processes at the receiver. (Throughput by worker count is
measured in benchmarks/delivery.py, not asserted here.)
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from worker_harness import (
    SECRET,
    Recorder,
    caught_up,
    check_arrivals,
    free_port,
    most_in_any_window,
    start_worker,
    wait_until_serving,
)

from crossdock.model.base import EntityType
from crossdock.model.change import Change
from crossdock.store import Store
from crossdock.store import schema as t
from crossdock.sync.ingest import Ingestor
from crossdock.sync.runtime import load_checked

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.postgres]
RATE, BURST, BATCH = 1000, 100, 50


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    r = Recorder(delay=0.005)
    yield r
    r.close()


@pytest.mark.parametrize("workers", [2, 3])
def test_worker_processes_share_partitions_and_the_rate_limit(
    tmp_path: Path, pg_url: str, recorder: Recorder, workers: int
) -> None:
    cfg = tmp_path / "crossdock.yaml"
    cfg.write_text(
        f"""
store: {{url: "{pg_url}"}}
delivery: {{lease_seconds: 2}}
systems:
  - name: erp
    kind: files
  - name: portal
    kind: webhook
    settings: {{url: "{recorder.url}", secret_env: PORTAL_SECRET}}
    rate_limit: {{per_second: {RATE}, burst: {BURST}}}
routes:
  - {{name: to-portal, entities: [product], destination: portal, batch_size: {BATCH},
      partitions: 6, fields: [sku, description, cost]}}
""",
        encoding="utf-8",
    )
    env = {**os.environ, "PORTAL_SECRET": SECRET}
    os.environ["PORTAL_SECRET"] = SECRET
    hub = load_checked(cfg)
    route = hub.route("to-portal")
    store = Store.open(hub.store.url)
    ingest = Ingestor(store, hub, batch_size=500)
    t0 = datetime(2026, 1, 1, tzinfo=UTC)

    def feed(round_: int, n: int) -> None:
        ingest.ingest(
            Change(
                system="erp",
                entity_type=EntityType.PRODUCT,
                native_id=str(i % 800),
                data={"sku": f"S-{i % 800}", "description": f"r{round_} i{i}", "cost": "1.00"},
                source_ts=t0 + timedelta(minutes=round_, microseconds=i),
            )
            for i in range(n)
        )

    ports = [free_port() for _ in range(workers)]
    procs: list[subprocess.Popen[bytes]] = [start_worker(cfg, env, port=p) for p in ports]
    owners: set[str] = set()

    def note_owners() -> None:
        with store.engine.connect() as conn:
            owners.update(row[0] for row in conn.execute(select(t.leases.c.owner)))

    try:
        for port in ports:  # every worker is up before the work arrives: they share it
            wait_until_serving(port)
        feed(0, 2_000)
        started = time.monotonic()
        while len(recorder.arrivals) < 500:
            assert time.monotonic() - started < 60, "nothing arrived"
            note_owners()
            time.sleep(0.02)
        note_owners()
        procs[0].send_signal(signal.SIGKILL)  # its partitions wait out their leases
        procs[0].wait(timeout=10)
        for round_ in (1, 2):
            feed(round_, 1_000)
        deadline = time.monotonic() + 120
        while not caught_up(store, route):
            assert time.monotonic() < deadline, "the workers never caught up"
            assert all(p.poll() is None for p in procs[1:]), "a worker died on its own"
            time.sleep(0.2)
    finally:
        for p in procs:
            p.send_signal(signal.SIGKILL)
            p.wait(timeout=10)

    with recorder.lock:
        arrivals = list(recorder.arrivals)
        requests = list(recorder.requests)
    unique, duplicates = check_arrivals(arrivals, store, route, EntityType.PRODUCT)
    assert len(owners) >= 2, "the partitions were shared between processes"
    # One bucket for all processes: what it admits in any span of s seconds is at most
    # burst + rate * s. The receiver sees arrivals, not admissions: each worker may have
    # one batch admitted just before the span that arrives inside it (a loaded machine
    # delays it), so the slack is one batch per worker. A bucket per process would admit
    # `workers` times the rate.
    for span in (1.0, 3.0):
        most = most_in_any_window(requests, span)
        assert most <= BURST + RATE * span + workers * BATCH, (span, most)
    print(f"workers={workers} unique={unique} duplicates={duplicates} owners={len(owners)}")
    store.close()
