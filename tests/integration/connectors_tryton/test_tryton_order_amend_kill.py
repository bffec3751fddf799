"""Kill -9 between the hub's amendment and Tryton's lines, again and again.

Forty orders are confirmed as draft Tryton sales (``confirm_sales: false``, so the
sales still take changes); then a worker sends each order's amendment (a line
removed, two added) and runs sync passes, SIGKILLed by itself after the hub wrote
the amendment, after it reserved, after the amended state was published (before
Tryton was called) and after Tryton committed line changes (before the hub knew).
Afterwards: one sale per order, one Tryton line per hub line with the hub's
quantity, none doubled; each order confirmed at revision 2 with the same sale,
its reservations those of the amended lines only; statuses never backwards.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest

from crossdock.connectors.tryton.client import TrytonClient
from crossdock.store.order_rows import OrderState

from .conftest import PASSWORD, TrytonServer
from .orders_hub import engine_yaml, open_app
from .test_tryton_order_kill import assert_forward_only

pytestmark = [
    pytest.mark.integration,
    pytest.mark.slow,
    pytest.mark.usefixtures("hub_env"),
    pytest.mark.timeout(1500),
]
HERE = Path(__file__).parent
ORDERS = 40
KILLS = [  # in the order the boundaries come up, each within what is left to do
    "intake:12",  # amendments written, not decided
    "reserve:10",  # the amended lines reserved, not yet recorded on the order
    "published:8",  # the amended state published, Tryton not called
    "published:10",
    "erp_line:5",  # Tryton changed a sale's lines, the hub does not know
    "erp_line:9",
    "erp_line:3",
]


def run(hub_file: Path, mode: str, kills: list[str]) -> None:
    worker = [sys.executable, str(HERE / "order_engine_worker.py"), str(hub_file), str(ORDERS)]
    for kill in [*kills, ""]:
        done = subprocess.run(
            [*worker, mode],
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
            assert f"all {mode}" in done.stdout


def test_amendments_forwarded_to_tryton_survive_kill_9(
    tryton: TrytonServer, tmp_path: Path
) -> None:
    hub_file = tmp_path / "crossdock.yaml"
    hub_file.write_text(
        engine_yaml(tryton.url, tryton.database, tmp_path / "hub.sqlite", confirm_sales=False)
    )
    run(hub_file, "confirmed", [])
    run(hub_file, "amended", KILLS)

    client = TrytonClient(tryton.url, tryton.database, "admin", PASSWORD)
    app = open_app(hub_file)
    try:
        sales = client.search_read(
            "sale.sale", [["reference", "like", "K-%"]], ["reference", "state", "lines"]
        )
        per_order = Counter(s["reference"] for s in sales)
        assert len(per_order) == ORDERS and set(per_order.values()) == {1}  # one sale each
        products = {
            p["id"]: p["code"]
            for p in client.search_read("product.product", [["code", "like", "WID-%"]], ["code"])
        }
        store = app.hub.store
        orders = store.orders.page(limit=ORDERS + 10)
        assert len(orders) == ORDERS
        by_number = {s["reference"]: s for s in sales}
        for o in orders:
            sale = by_number[o.order_number]
            assert o.status is OrderState.CONFIRMED and o.problem is None, o
            assert (o.revision, o.erp_id, sale["state"]) == (2, str(sale["id"]), "draft")
            rows = client.read("sale.line", sale["lines"], ["sequence", "product", "quantity"])
            tryton_lines = sorted(
                (int(r["sequence"]), products[r["product"]], Decimal(str(r["quantity"])))
                for r in rows
            )
            hub_lines = sorted(
                (ln.line_number, ln.sku, ln.quantity) for ln in store.orders.lines(o.id)
            )
            assert tryton_lines == hub_lines == [(2, "WID-2", 1), (3, "WID-1", 3)], o.order_number
            live = [
                ln for ln in store.orders.reservations(o.id, held_only=False) if not ln.released
            ]
            assert sorted((ln.line_number, ln.quantity) for ln in live) == [(2, 1), (3, 3)]
        for sku, each in (("WID-1", 3), ("WID-2", 1)):
            (item,) = app.availability.availability([sku])
            b = item.locations[0].buckets
            assert b.reserved + b.allocated == each * ORDERS, (sku, b)
        assert_forward_only(app, "confirmed", ORDERS)
        assert app.engine.stuck() == 0
    finally:
        app.close()
        client.close()
