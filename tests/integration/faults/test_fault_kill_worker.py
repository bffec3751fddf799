"""Kill -9 the delivery worker again and again while 20k changes flow to a real receiver.

The worker is `crossdock serve` in its own process (API + sync loop), the
receiver an HTTP server on loopback that records every request in arrival
order. After the kills and a final clean run: the receiver, de-duplicated by
delivery id, holds exactly the canonical projection; no entity's versions
ever went backwards; re-sent versions carry the same id.
"""

from __future__ import annotations

import os
import random
import signal
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from worker_harness import SECRET, Recorder, caught_up, check_arrivals, start_worker

from crossdock.model.base import EntityType
from crossdock.model.change import Change
from crossdock.store import Store
from crossdock.sync.ingest import Ingestor
from crossdock.sync.runtime import load_checked

pytestmark = [pytest.mark.integration, pytest.mark.slow]
KILLS = int(os.environ.get("CROSSDOCK_FAULT_KILLS", "5"))


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    # A receiver that takes its time widens the window to die in.
    r = Recorder(delay=0.01)
    yield r
    r.close()


def test_kill_9_never_loses_reorders_or_changes_a_delivery(
    tmp_path: Path, recorder: Recorder
) -> None:
    cfg = tmp_path / "crossdock.yaml"
    cfg.write_text(
        f"""
store: {{url: "sqlite:///{tmp_path / "hub.sqlite"}"}}
delivery: {{lease_seconds: 1.5}}
systems:
  - name: erp
    kind: files
  - name: portal
    kind: webhook
    settings: {{url: "{recorder.url}", secret_env: PORTAL_SECRET}}
routes:
  - {{name: to-portal, entities: [product], destination: portal, batch_size: 100, partitions: 4,
      fields: [sku, description, cost]}}
""",
        encoding="utf-8",
    )
    env = {**os.environ, "PORTAL_SECRET": SECRET}
    os.environ["PORTAL_SECRET"] = SECRET
    hub = load_checked(cfg)
    store = Store.open(hub.store.url)
    ingest = Ingestor(store, hub, batch_size=250)
    rng = random.Random(11)
    t0 = datetime(2026, 1, 1, tzinfo=UTC)

    def feed(round_: int, n: int) -> None:
        ingest.ingest(
            Change(
                system="erp",
                entity_type=EntityType.PRODUCT,
                native_id=str(i % 2000),
                data={
                    "sku": f"S-{i % 2000}",
                    "description": f"r{round_} i{i}",
                    "cost": f"{rng.randint(1, 9999) / 100:.2f}",
                },
                source_ts=t0 + timedelta(minutes=round_, microseconds=i),
            )
            for i in range(n)
        )

    feed(0, 10_000)
    worker = start_worker(cfg, env)
    try:
        for k in range(KILLS):
            # Kill it mid-flight: once it is delivering again, at a random moment.
            seen = len(recorder.arrivals)
            started = time.monotonic()
            while len(recorder.arrivals) == seen and time.monotonic() - started < 20:
                time.sleep(0.01)
            time.sleep(rng.uniform(0.0, 0.05))
            worker.send_signal(signal.SIGKILL)
            worker.wait(timeout=10)
            feed(k + 1, 2_000)  # the world goes on while the worker is dead
            worker = start_worker(cfg, env)
        deadline = time.monotonic() + 120
        route = hub.route("to-portal")
        while not caught_up(store, route):
            assert time.monotonic() < deadline, "the worker never caught up"
            assert worker.poll() is None, "the worker died on its own"
            time.sleep(0.2)
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)

    with recorder.lock:
        arrivals = list(recorder.arrivals)
    unique, duplicates = check_arrivals(arrivals, store, route, EntityType.PRODUCT)
    print(f"kills={KILLS} arrivals={len(arrivals)} unique={unique} duplicates={duplicates}")
    store.close()
