"""A hub process for the order kill test: takes N orders, then runs sync passes until the ERP
confirmed them all. ``KILL_AT=<boundary>:<n>`` makes it SIGKILL itself the n-th time it
passes that step boundary in this run (a real kill -9: no handler, no cleanup):

* ``intake`` — an order row was written, nothing decided yet;
* ``reserve`` — the availability service made an order's reservations, before the
  order recorded them;
* ``erp_create`` — Tryton committed a new sale, before the hub learned its id;
* ``published`` — the engine recorded an order state as published, before delivery.

Run as ``python order_engine_worker.py <hub file> <orders>``. The hooks live here, in
the test, not in the code under test.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from crossdock.connectors.tryton import TrytonConnector
from crossdock.services.orders import service as order_service
from crossdock.store.order_rows import OrderState

sys.path.insert(0, str(Path(__file__).parent))
from orders_hub import open_app, order, seed


def _armed() -> Callable[[str], None]:
    spec = os.environ.get("KILL_AT", "")
    boundary, _, count = spec.partition(":")
    left = int(count or 0)

    def passed(name: str) -> None:
        nonlocal left
        if name != boundary:
            return
        left -= 1
        if left == 0:
            print(f"killed at {name}", flush=True)
            os.kill(os.getpid(), signal.SIGKILL)

    return passed


def main(hub_file: str, n: int) -> None:
    passed = _armed()
    app = open_app(Path(hub_file))
    store = app.hub.store

    def after(name: str, real: Callable[..., Any]) -> Callable[..., Any]:
        def hooked(*args: Any, **kwargs: Any) -> Any:
            out = real(*args, **kwargs)
            passed(name)
            return out

        return hooked

    store.orders.open = after("intake", store.orders.open)  # type: ignore[method-assign]
    store.orders.published = after("published", store.orders.published)  # type: ignore[method-assign]
    order_service.reserve_lines = after("reserve", order_service.reserve_lines)  # type: ignore[assignment]
    tryton = app.hub.connector("tryton")
    assert isinstance(tryton, TrytonConnector)
    real_call = tryton.client.call

    def call(method: str, *params: Any, context: dict[str, Any] | None = None) -> Any:
        out = real_call(method, *params, context=context)
        if method == "model.sale.sale.create":
            passed("erp_create")
        return out

    tryton.client.call = call  # type: ignore[method-assign]

    seed(app)  # idempotent: the same records, the same receipt keys
    for i in range(n):
        app.orders.submit("portal", order(f"K-{i:04d}"))
    for _ in range(2000):
        app.hub.sync_once()
        counts = store.orders.count_by_status()
        if counts.get(OrderState.CONFIRMED.value, 0) == n:
            print("all confirmed", flush=True)
            break
        time.sleep(0.05)  # e.g. the dead run's route lease still runs
    app.close()


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
