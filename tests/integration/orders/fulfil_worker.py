"""A fulfilment consumer that SIGKILLs itself at a chosen boundary (for the kill test).

Run as ``python fulfil_worker.py <store url> <n> <where>``: it consumes shipments like the
sync loop does and, at the n-th event, kills itself with SIGKILL either inside the
event's transaction (everything written but the commit: ``in_tx``) or right after the
commit (``after_commit``). A run that reaches the end exits 0. The kill lives here, in
the test, not in the consumer.
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from seed import hub_config

from crossdock.app import Application
from crossdock.services.orders.fulfilment import FulfilmentConsumer
from crossdock.store import Store
from crossdock.sync.runtime import Hub


def main(url: str, n: int, where: str) -> None:
    app = Application(Hub(hub_config(), Store.open(url)))
    seen = {"events": 0}
    save, event = FulfilmentConsumer._save_cursor, FulfilmentConsumer._event

    def saving(self: FulfilmentConsumer, tx: Any, position: int) -> None:
        seen["events"] += 1
        if where == "in_tx" and seen["events"] == n:
            os.kill(os.getpid(), signal.SIGKILL)
        save(self, tx, position)

    def applying(self: FulfilmentConsumer, ev: Any, report: Any) -> None:
        event(self, ev, report)
        if where == "after_commit" and seen["events"] == n:
            os.kill(os.getpid(), signal.SIGKILL)

    FulfilmentConsumer._save_cursor = saving  # type: ignore[method-assign]
    FulfilmentConsumer._event = applying  # type: ignore[method-assign]
    # The restarted worker is the same worker (same owner): it takes its lease back at once.
    FulfilmentConsumer(app.hub.store, app.availability, owner="worker-1").run()
    app.close()


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), sys.argv[3])
