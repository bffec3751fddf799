"""Kill -9 at every step boundary of the order engine, over a hundred orders.

A worker process takes the orders and runs sync passes against the real Tryton; it is
killed (SIGKILL, by itself at a named boundary: see ``order_engine_worker.py``) again and
again, each run resuming from what the store committed. Afterwards: exactly one Tryton
sale per order, each order confirmed with that sale's id and number, reservations
confirmed once (allocated = ordered, nothing left reserved), statuses that never went
backwards, and no order stuck.
"""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest

from crossdock.connectors.tryton.client import TrytonClient
from crossdock.model.base import EntityType
from crossdock.model.order import OrderStatus, can_transition
from crossdock.store.order_rows import OrderState

from .conftest import PASSWORD, TrytonServer
from .orders_hub import engine_yaml, open_app

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.usefixtures("hub_env")]
HERE = Path(__file__).parent
ORDERS = 100
KILLS = [  # in the order the boundaries come up; each count within what is left to do
    "intake:30",
    "reserve:25",
    "published:15",
    "erp_create:10",
    "erp_create:20",
    "published:50",
]


def test_orders_survive_kill_9_at_every_step_boundary(tryton: TrytonServer, tmp_path: Path) -> None:
    hub_file = tmp_path / "crossdock.yaml"
    hub_file.write_text(engine_yaml(tryton.url, tryton.database, tmp_path / "hub.sqlite"))
    worker = [sys.executable, str(HERE / "order_engine_worker.py"), str(hub_file), str(ORDERS)]
    for kill in [*KILLS, ""]:
        done = subprocess.run(
            worker,
            env={**os.environ, "KILL_AT": kill},
            capture_output=True,
            text=True,
            timeout=600,
        )
        if kill:
            assert done.returncode == -signal.SIGKILL, (kill, done.stdout, done.stderr[-3000:])
            assert f"killed at {kill.split(':')[0]}" in done.stdout
        else:
            assert done.returncode == 0, done.stderr[-3000:]
            assert "all confirmed" in done.stdout

    client = TrytonClient(tryton.url, tryton.database, "admin", PASSWORD)
    app = open_app(hub_file)
    try:
        sales = client.search_read(
            "sale.sale", [["reference", "like", "K-%"]], ["reference", "number", "state"]
        )
        per_order = Counter(s["reference"] for s in sales)
        assert len(per_order) == ORDERS and set(per_order.values()) == {1}  # one sale each
        by_ref = {s["reference"]: s for s in sales}
        store = app.hub.store
        orders = store.orders.page(limit=ORDERS + 10)
        assert len(orders) == ORDERS
        for o in orders:
            sale = by_ref[o.order_number]
            assert o.status is OrderState.CONFIRMED and o.problem is None, o
            assert (o.erp_id, o.erp_number) == (str(sale["id"]), sale["number"])
            links = store.orders.reservations(o.id, held_only=False)
            live = [ln for ln in links if not ln.released]
            assert len(live) == 1, links
            r = app.availability.reservations.get(live[0].reservation_id)
            assert r.status.value == "confirmed"
        (item,) = app.availability.availability(["WID-1"])
        b = item.locations[0].buckets
        assert (b.reserved, b.allocated) == (Decimal(0), Decimal(2 * ORDERS))  # confirmed once
        # statuses never went backwards: each order's record versions follow the lifecycle
        events = store.outbox.after(0, limit=100_000, entity_types=[EntityType.ORDER])
        seen: dict[str, list[str]] = {}
        for ev in events:
            seen.setdefault(ev.entity_id, []).append(ev.data["status"])
        assert len(seen) == ORDERS
        for statuses in seen.values():
            for a, b2 in itertools.pairwise(statuses):
                assert can_transition(OrderStatus(a), OrderStatus(b2)), statuses
            assert statuses[-1] == "confirmed"
        assert app.engine.stuck() == 0
    finally:
        app.close()
        client.close()
