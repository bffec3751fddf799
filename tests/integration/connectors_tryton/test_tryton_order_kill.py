"""Kill -9 at every step boundary of the order engine, over a hundred orders, to shipped.

A worker process takes the orders and runs sync passes against the real Tryton; it is
killed (SIGKILL, by itself at a named boundary: see ``order_engine_worker.py``) again and
again, each run resuming from what the store committed. Afterwards: exactly one Tryton
sale per order, each order confirmed with that sale's id and number, reservations
confirmed once (allocated = ordered, nothing left reserved), statuses that never went
backwards, and no order stuck. Then every sale is shipped in Tryton and the worker, killed
after the pull and after shipments applied, brings them back: each order shipped once, its
reservation consumed once, still one sale each, no exception and nothing stuck.
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
from typing import Any

import pytest

from crossdock.app import Application
from crossdock.connectors.tryton.client import TrytonClient
from crossdock.model.base import EntityType
from crossdock.model.order import OrderStatus, can_transition
from crossdock.services.availability.reservations import Reservation
from crossdock.store.order_rows import OrderState

from .conftest import PASSWORD, TrytonServer
from .orders_hub import engine_yaml, open_app

pytestmark = [
    pytest.mark.integration,
    pytest.mark.slow,
    pytest.mark.usefixtures("hub_env"),
    pytest.mark.timeout(1500),  # ten worker runs of a hundred orders each against Tryton
]
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
SHIP_KILLS = [  # once every sale is shipped in Tryton
    "pulled:1",  # the shipments pulled and committed, none applied
    "shipment:30",
    "shipment:25",
    "published:10",  # shipped states published, not all delivered
]


def run_worker(hub_file: Path, until: str, kills: list[str]) -> None:
    worker = [
        sys.executable,
        str(HERE / "order_engine_worker.py"),
        str(hub_file),
        str(ORDERS),
        until,
    ]
    for kill in [*kills, ""]:
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
            assert f"all {until}" in done.stdout


def test_orders_survive_kill_9_at_every_step_boundary(tryton: TrytonServer, tmp_path: Path) -> None:
    hub_file = tmp_path / "crossdock.yaml"
    hub_file.write_text(engine_yaml(tryton.url, tryton.database, tmp_path / "hub.sqlite"))
    run_worker(hub_file, "confirmed", KILLS)

    client = TrytonClient(tryton.url, tryton.database, "admin", PASSWORD)
    app = open_app(hub_file)
    try:
        sales = one_sale_each(client)
        store = app.hub.store
        orders = store.orders.page(limit=ORDERS + 10)
        assert len(orders) == ORDERS
        for o in orders:
            sale = sales[o.order_number]
            assert o.status is OrderState.CONFIRMED and o.problem is None, o
            assert (o.erp_id, o.erp_number) == (str(sale["id"]), sale["number"])
            assert reservation_of(app, o.id).status.value == "confirmed"
        assert buckets(app) == (Decimal(0), Decimal(2 * ORDERS))  # confirmed once
        assert_forward_only(app, "confirmed")
        assert app.engine.stuck() == 0
    finally:
        app.close()

    # The warehouse ships every sale in Tryton; the hub, killed again and again, pulls
    # the shipments back and applies each to its order.
    try:
        shipments = [sh for s in sales.values() for sh in s["shipments"]]
        assert len(shipments) == ORDERS
        client.button("stock.shipment.out", "wait", shipments)
        for step in ("assign_force", "pick", "pack", "do"):
            client.button("stock.shipment.out", step, shipments)
    finally:
        client.close()
    # The same store; each pass now pulls Tryton's shipments too.
    hub_file.write_text(
        engine_yaml(tryton.url, tryton.database, tmp_path / "hub.sqlite", pull=("shipments",))
    )
    run_worker(hub_file, "shipped", SHIP_KILLS)

    client = TrytonClient(tryton.url, tryton.database, "admin", PASSWORD)
    app = open_app(hub_file)
    try:
        assert set(one_sale_each(client)) == set(sales)  # still one sale each
        store = app.hub.store
        for o in store.orders.page(limit=ORDERS + 10):
            assert o.status is OrderState.SHIPPED and o.problem is None, o
            (book,) = store.fulfilment.lines(o.id)
            assert (book.ordered, book.shipped, book.reserved) == (2, 2, 0), book
            assert reservation_of(app, o.id).status.value == "shipped"  # consumed, once
            applied = [s for s in store.orders.timeline(o.id) if s.kind == "shipment"]
            assert [s.outcome for s in applied] == ["applied"], applied
        # shipped units stay allocated until the stock feed reports the pick
        assert buckets(app) == (Decimal(0), Decimal(2 * ORDERS))
        assert store.exceptions.page() == []
        assert_forward_only(app, "shipped")
        assert app.engine.stuck() == 0
    finally:
        app.close()
        client.close()


def one_sale_each(client: TrytonClient) -> dict[str, dict[str, Any]]:
    sales = client.search_read(
        "sale.sale",
        [["reference", "like", "K-%"]],
        ["reference", "number", "state", "shipments"],
    )
    per_order = Counter(s["reference"] for s in sales)
    assert len(per_order) == ORDERS and set(per_order.values()) == {1}  # one sale each
    return {s["reference"]: s for s in sales}


def reservation_of(app: Application, order_id: str) -> Reservation:
    links = app.hub.store.orders.reservations(order_id, held_only=False)
    live = [ln for ln in links if not ln.released]
    assert len(live) == 1, links
    return app.availability.reservations.get(live[0].reservation_id)


def buckets(app: Application) -> tuple[Decimal, Decimal]:
    (item,) = app.availability.availability(["WID-1"])
    b = item.locations[0].buckets
    return b.reserved, b.allocated


def assert_forward_only(app: Application, last: str, orders: int = ORDERS) -> None:
    """Each order's record versions follow the lifecycle, ending at ``last``."""
    events = app.hub.store.outbox.after(0, limit=100_000, entity_types=[EntityType.ORDER])
    seen: dict[str, list[str]] = {}
    for ev in events:
        seen.setdefault(ev.entity_id, []).append(ev.data["status"])
    assert len(seen) == orders
    for statuses in seen.values():
        for a, b in itertools.pairwise(statuses):
            assert can_transition(OrderStatus(a), OrderStatus(b)), statuses
        assert statuses[-1] == last, statuses
