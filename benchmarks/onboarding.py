"""Onboardings/s through every step (memory ERP) against ingesting the same customers.

``python benchmarks/onboarding.py [--n 500] [--store URL]``. The workflow's
cost is its transactions: discovery, one per step and the written-back
version; the anchor is ingest of the same new customers in the same run (one
transaction per batch), so the ratio says what the durability costs. The
JSON line closes the output as in the other benchmarks.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.integration.customers.onboarding_hub import change, cust, hub

from crossdock.app import Application
from crossdock.connectors.kit.testing import MemoryDestination
from crossdock.services.customers.onboarding import Onboarder


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=500)
    ap.add_argument("--store")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.store or f"sqlite:///{Path(tmp) / 'hub.sqlite'}"
        app = Application.open(hub(), store_url=url)
        cfg = app.hub.config.customers
        assert cfg is not None
        erp = MemoryDestination()
        ob = Onboarder(app.hub.store, cfg, app.hub.ingestor, lambda _: erp)
        # distinct names and streets, so that no duplicate check waits
        people = [
            change("crm", f"C-{i}", cust(f"Zx{i:05d} Q{i * 7919 % 99991:05d} Ltd", f"{i} Rd {i}"))
            for i in range(args.n)
        ]
        t0 = time.perf_counter()
        app.hub.ingestor.ingest(people)
        ingest_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        report = ob.run_once(limit=args.n)
        onboard_s = time.perf_counter() - t0
        backend = app.hub.store.backend
        app.close()
    rate, anchor = report.done / onboard_s, args.n / ingest_s
    print(f"{report.done}/{args.n} onboarded in {onboard_s:.2f}s ({rate:.0f}/s); "
          f"ingest of the same customers {anchor:.0f}/s; waiting {report.waiting}")  # fmt: skip
    print(
        json.dumps(
            {
                "benchmark": f"onboarding_{backend}",
                "value": round(rate, 1),
                "unit": "onboardings/s, every step, memory ERP",
                "anchor": "ingest of the same new customers, same store, same run",
                "anchor_value": round(anchor, 1),
                "ratio": round(rate / anchor, 4),
                "onboardings": args.n,
                "done": report.done,
            }
        )
    )


if __name__ == "__main__":
    main()
