"""A hub process for the order kill test: takes N orders, then runs sync passes until every
order reached the status asked for (confirmed by the ERP; or shipped, once the test shipped
the sales in Tryton and the passes pulled the shipments back). ``KILL_AT=<boundary>:<n>``
makes it SIGKILL itself the n-th time it passes that step boundary in this run (a real
kill -9: no handler, no cleanup):

* ``intake`` — an order row was written, nothing decided yet;
* ``reserve`` — the availability service made an order's reservations, before the
  order recorded them;
* ``erp_create`` — Tryton committed a new sale, before the hub learned its id;
* ``published`` — the engine recorded an order state as published, before delivery;
* ``pulled`` — a pull from Tryton committed (the shipments done there among its records),
  before the order service applied them;
* ``shipment`` — a shipment was applied to its order (ledger, reservation, status), before
  the engine published the order's new state;
* ``erp_line`` — Tryton committed a change of a sale's lines (an amendment forwarded:
  created, written or deleted), before the hub learned the push went through.

Run as ``python order_engine_worker.py <hub file> <orders> [confirmed|shipped|amended]``;
``amended`` sends every order's amended body (:data:`AMENDED`) instead of its first one
and runs until each is confirmed again at revision 2. The hooks
live here, in the test, not in the code under test.
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
from orders_hub import open_app, order, order_of, seed

AMENDED = {2: ("WID-2", "1"), 3: ("WID-1", "3")}
"""The amendment: line 1 (2 of WID-1) removed, lines 2 and 3 added."""
_LINE_CALLS = {f"model.sale.line.{m}" for m in ("create", "write", "delete")}


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


def main(hub_file: str, n: int, until: OrderState, amend: bool = False) -> None:
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
    app.hub.pull = after("pulled", app.hub.pull)  # type: ignore[method-assign]
    app.fulfilment._apply = after("shipment", app.fulfilment._apply)  # type: ignore[method-assign]
    tryton = app.hub.connector("tryton")
    assert isinstance(tryton, TrytonConnector)
    real_call = tryton.client.call

    def call(method: str, *params: Any, context: dict[str, Any] | None = None) -> Any:
        out = real_call(method, *params, context=context)
        if method == "model.sale.sale.create":
            passed("erp_create")
        if method in _LINE_CALLS:
            passed("erp_line")
        return out

    tryton.client.call = call  # type: ignore[method-assign]

    seed(app)  # idempotent: the same records, the same receipt keys
    for i in range(n):
        body = order_of(f"K-{i:04d}", AMENDED) if amend else order(f"K-{i:04d}")
        app.orders.submit("portal", body)
    for _ in range(2000):
        app.hub.sync_once()
        counts = store.orders.count_by_status()
        revised = not amend or all(o.revision == 2 for o in store.orders.page(limit=n + 10))
        if counts.get(until.value, 0) == n and revised:
            print(f"all {'amended' if amend else until.value}", flush=True)
            break
        time.sleep(0.05)  # e.g. the dead run's route lease still runs
    app.close()


if __name__ == "__main__":
    until = sys.argv[3] if len(sys.argv) > 3 else "confirmed"
    if until == "amended":
        main(sys.argv[1], int(sys.argv[2]), OrderState.CONFIRMED, amend=True)
    else:
        main(sys.argv[1], int(sys.argv[2]), OrderState(until))
