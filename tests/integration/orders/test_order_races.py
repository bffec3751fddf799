"""Racing orders on SQLite and PostgreSQL: no oversell, no credit exposure over the limit."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal as D  # noqa: N817

import pytest

from crossdock.app import Application
from crossdock.store.order_rows import OrderRow, OrderState

from .seed import customer, line, order, product, stock

pytestmark = pytest.mark.integration
RACERS = 48
CHANNELS = ("portal", "shop", "erp", "edi")


def race(app: Application, sku: str, qty: str) -> list[OrderRow]:
    def one(i: int) -> OrderRow:
        channel = CHANNELS[i % len(CHANNELS)]
        return app.orders.submit(channel, order(f"R-{i}", line(1, sku, qty=qty))).order

    with ThreadPoolExecutor(max_workers=16) as pool:
        return list(pool.map(one, range(RACERS)))


def test_racing_orders_for_the_last_units_never_oversell(app: Application) -> None:
    customer(app.hub.store, credit_limit="1000000")
    product(app.hub.store, "W-4")
    stock(app, "W-4", "40")
    done = race(app, "W-4", "3")
    accepted = [o for o in done if o.status is OrderState.ACCEPTED]
    held = [o for o in done if o.status is OrderState.ON_HOLD]
    assert len(accepted) + len(held) == RACERS
    assert all(o.holds == ["stock"] for o in held)
    assert len(accepted) == 13  # 13 x 3 of 40: every order that could be covered was
    (item,) = app.availability.availability(["W-4"])
    assert item.locations[0].buckets.reserved == D(39)
    assert item.atp == D(1)


def test_racing_orders_never_pass_the_credit_limit_together(app: Application) -> None:
    customer(app.hub.store, credit_limit="300")
    stock(app, "W-1", "100", key="more")  # stock is not what limits these
    done = race(app, "W-1", "3")  # 30.00 each
    accepted = [o for o in done if o.status is OrderState.ACCEPTED]
    held = [o for o in done if o.status is OrderState.ON_HOLD]
    assert len(accepted) == 10 and len(held) == RACERS - 10
    assert all(o.holds == ["credit"] for o in held)
    cid = accepted[0].customer_id
    assert app.hub.store.orders.exposure(cid) == D("300.00")
