"""Holds that release themselves, on SQLite and PostgreSQL: an order held for credit or stock
runs its rules again once the cause clears, and only then (no churn while it has not)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal as D  # noqa: N817

import pytest

from crossdock.app import Application
from crossdock.services.availability import ErpSnapshot
from crossdock.services.orders import HoldSweeper
from crossdock.store.order_rows import OrderRow, OrderState

from .seed import customer, line, order, reserved, seeded, stock

pytestmark = pytest.mark.integration


def now(app: Application, o: OrderRow) -> OrderRow:
    got = app.hub.store.orders.get(o.id)
    assert got is not None
    return got


def tries(app: Application, o: OrderRow) -> list[dict[str, object]]:
    steps = app.hub.store.orders.timeline(o.id)
    return [s.detail for s in steps if (s.kind, s.outcome) == ("release", "automatic")]


def test_raising_the_credit_limit_releases_the_order(app: Application) -> None:
    sweep = HoldSweeper(app.orders)
    customer(app.hub.store, credit_limit="500")
    held = app.orders.submit("portal", order("A", line(1, qty="60"))).order
    assert held.holds == ["credit"]
    first = sweep.run()
    assert (first.looked, first.tried, first.released) == (1, 0, [])
    assert sweep.run().unchanged == 1  # nothing moved: not even measured against the memo twice
    customer(app.hub.store, credit_limit="5000")
    done = sweep.run()
    assert done.released == [held.id]
    o = now(app, held)
    assert (o.status, o.holds) == (OrderState.ACCEPTED, [])
    (why,) = tries(app, held)
    assert "credit headroom 5000" in str(why["why"])
    last = app.hub.store.orders.timeline(held.id)[-1]
    assert (last.kind, last.outcome) == ("decision", "accepted")


def test_another_order_leaving_the_exposure_releases_the_order(app: Application) -> None:
    sweep = HoldSweeper(app.orders)
    customer(app.hub.store, credit_limit="500")
    first = app.orders.submit("portal", order("A", line(1, qty="30"))).order
    held = app.orders.submit("portal", order("B", line(1, qty="30"))).order
    assert (first.status, held.holds) == (OrderState.ACCEPTED, ["credit"])
    assert sweep.run().released == []
    app.orders.reject(first.id, actor="ops", note="customer cancelled")
    assert sweep.run().released == [held.id]
    assert reserved(app) == D(30)


def test_a_receipt_releases_a_stock_hold_and_not_before(app: Application) -> None:
    customer(app.hub.store, credit_limit="100000")
    sweep = HoldSweeper(app.orders)
    held = app.orders.submit("portal", order("A", line(1, qty="150"))).order
    assert held.holds == ["stock"]
    attempt = held.attempt
    stock(app, "W-1", "20", key="rcv-1")  # 120 now: still short, so no try
    swept = sweep.run()
    assert (swept.tried, swept.released) == (0, [])
    assert tries(app, held) == [] and now(app, held).attempt == attempt
    assert reserved(app) == D(0)
    stock(app, "W-1", "30", key="rcv-2")  # 150: enough
    assert sweep.run().released == [held.id]
    assert reserved(app) == D(150)
    (why,) = tries(app, held)
    assert "stock of W-1 now covers the order" in str(why["why"])


def test_a_try_that_fails_is_not_repeated_until_something_moves(store_url: str) -> None:
    app = seeded(store_url, {"channels": {"default": {"stock": {"allow_backorder": True}}}})
    try:
        customer(app.hub.store, credit_limit="100000")
        sweep = HoldSweeper(app.orders)
        held = app.orders.submit("portal", order("A", line(1, qty="150"))).order
        assert held.holds == ["stock"]  # nothing inbound to promise from
        first = sweep.run()  # backorders allowed: the positions are worth one try
        assert (first.tried, first.released) == (1, [])
        assert now(app, held).status is OrderState.ON_HOLD
        again = sweep.run()
        assert (again.tried, again.unchanged) == (0, 1)
        eta = (datetime.now(UTC).date() + timedelta(days=4)).isoformat()
        app.availability.feeds.apply_erp_snapshot(
            ErpSnapshot.model_validate(
                {
                    "as_of": datetime.now(UTC).isoformat(),
                    "items": [
                        {
                            "sku": "W-1",
                            "location": "W1",
                            "on_hand": "100",
                            "inbound": [{"reference": "PO-1", "quantity": "80", "eta": eta}],
                        }
                    ],
                }
            )
        )
        assert sweep.run().released == [held.id]
        (ln,) = app.hub.store.orders.lines(held.id)
        assert (ln.backordered, str(ln.promise_date)) == (D(50), eta)
    finally:
        app.close()


def test_holds_a_person_must_judge_are_left_alone(store_url: str) -> None:
    app = seeded(store_url, {"channels": {"default": {"price": {"policy": "hold"}}}})
    try:
        held = app.orders.submit("portal", order("A", line(1, unit_price="7"))).order
        assert held.holds == ["price"]
        assert HoldSweeper(app.orders).run().looked == 0
        assert now(app, held).status is OrderState.ON_HOLD
    finally:
        app.close()


def test_the_sync_pass_runs_the_sweep(app: Application) -> None:
    customer(app.hub.store, credit_limit="500")
    held = app.orders.submit("portal", order("A", line(1, qty="60"))).order
    app.attach_steps()
    customer(app.hub.store, credit_limit="5000")
    app.hub.run_steps()
    assert now(app, held).status is OrderState.ACCEPTED
