"""A hub worker process for the broker kill tests: pull and deliver until killed.

``python broker_worker.py <hub.json> <sqlite url> <until-idle>`` runs the hub's
sources and routes in a loop, as ``crossdock serve``'s sync loop does; with
``until-idle`` = 1 it exits once a pass found nothing to do.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from crossdock.config.hub import HubConfig
from crossdock.store import Store
from crossdock.sync.runtime import Hub


def main() -> None:
    cfg = HubConfig.model_validate(json.loads(Path(sys.argv[1]).read_text()))
    hub = Hub(cfg, Store.open(sys.argv[2]))
    until_idle = sys.argv[3] == "1"
    idle = 0
    try:
        while True:
            units = hub.pull().units
            reports = hub.deliver()
            behind = any(
                hub.store.cursors.get(name).position < hub.store.outbox.last_seq()
                for name in reports
            )
            busy = units or behind or any(r.events or r.retries for r in reports.values())
            idle = 0 if busy else idle + 1
            if until_idle and idle >= 3:
                return
            time.sleep(0.01)
    finally:
        hub.close()


if __name__ == "__main__":
    main()
