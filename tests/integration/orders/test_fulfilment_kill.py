"""SIGKILL the fulfilment consumer at every event, inside the transaction and after the commit:
each shipment line counts once, each reservation is confirmed and consumed once, and the
ledger balances (SQLite and PostgreSQL)."""

from __future__ import annotations

import signal
import subprocess
import sys
from decimal import Decimal as D  # noqa: N817
from pathlib import Path

import pytest
from sqlalchemy import func, select

from crossdock.services.orders.fulfilment import CURSOR
from crossdock.store import schema as t
from crossdock.store.order_rows import OrderState

from .seed import line, order, seeded, shipment, sl, stock

pytestmark = [pytest.mark.integration, pytest.mark.slow]
HERE = Path(__file__).parent
ORDERS = 4


def test_a_killed_consumer_applies_every_shipment_exactly_once(store_url: str) -> None:
    app = seeded(store_url)
    try:
        stock(app, "W-1", "10000", key="plenty")
        placed = [
            app.orders.submit("portal", order(f"K-{i}", line(1, qty="5"), line(2, qty="3"))).order
            for i in range(ORDERS)
        ]
        for i in range(ORDERS):  # two partial shipments, the first re-sent with more
            shipment(app, f"S-{i}-a", f"K-{i}", sl(1, "2"))
            shipment(app, f"S-{i}-a", f"K-{i}", sl(1, "2"), sl(2, "1"))
            shipment(app, f"S-{i}-b", f"K-{i}", sl(1, "3"), sl(2, "2"))
        events = 3 * ORDERS  # shipment versions to apply
        kills = 0
        for n in range(1, 4 * events):
            where = "in_tx" if n % 2 else "after_commit"
            done = subprocess.run(
                [sys.executable, str(HERE / "fulfil_worker.py"), store_url, str(1 + n % 3), where],
                capture_output=True,
                timeout=120,
            )
            if done.returncode == 0:
                break
            assert done.returncode == -signal.SIGKILL, done.stderr.decode()
            kills += 1
        assert kills >= events // 3  # it died at many boundaries before it got through

        store = app.hub.store
        assert store.cursors.get(CURSOR).position == store.outbox.last_seq()
        for o in placed:
            now = store.orders.get(o.id)
            assert now is not None and now.status is OrderState.SHIPPED
            book = {ln.line_number: ln for ln in store.fulfilment.lines(o.id)}
            assert (book[1].shipped, book[2].shipped) == (D(5), D(3))
            assert all(ln.reserved + ln.shipped + ln.released == ln.ordered for ln in book.values())
            for link in store.orders.reservations(o.id):
                assert app.availability.reservations.get(link.reservation_id).status.value == (
                    "shipped"
                )
        with store.engine.connect() as conn:
            units = conn.execute(select(func.sum(t.reservation_shipments.c.quantity))).scalar_one()
            alloc = conn.execute(select(func.sum(t.stock_positions.c.allocated))).scalar_one()
        assert D(units) / 1_000_000 == ORDERS * 8  # consumed once
        assert D(alloc) / 1_000_000 == ORDERS * 8  # confirmed once (no pick reported yet)
    finally:
        app.close()
