"""Intake on SQLite and PostgreSQL: the customer by the channel's own id, bill-to and
inactive sites, the channel's line limit."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal as D  # noqa: N817
from typing import Any

import pytest

from crossdock.app import Application
from crossdock.errors import InvalidInput
from crossdock.model.base import EntityType
from crossdock.model.change import Change
from crossdock.store.order_rows import OrderState
from crossdock.sync.ingest import Ingestor

from .seed import customer, hub_config, line, order, seeded

pytestmark = pytest.mark.integration

SITES: list[dict[str, Any]] = [
    {"code": "S1", "roles": ["ship_to"]},
    {"code": "S2", "roles": ["ship_to"], "active": False},
    {"code": "B1", "roles": ["bill_to"]},
    {"code": "B2", "roles": ["bill_to"], "active": False},
]


@pytest.fixture
def app(store_url: str) -> Iterator[Application]:
    a = seeded(store_url)
    customer(a.hub.store, sites=SITES)
    yield a
    a.close()


def known_to(app: Application, system: str, native: str, account: str) -> None:
    """``system`` knows customer ``account`` as ``native`` (its crosswalk row)."""
    report = Ingestor(app.hub.store, hub_config()).ingest(
        [
            Change(
                system=system,
                entity_type=EntityType.CUSTOMER,
                native_id=native,
                data={"account_number": account},
            )
        ]
    )
    assert not report.exceptions, report


def refused(
    app: Application, field: str, channel: str = "portal", number: str = "PO-9", **body: Any
) -> None:
    with pytest.raises(InvalidInput) as err:
        app.orders.submit(channel, order(number, **body))
    assert err.value.field == field, err.value
    assert app.hub.store.orders.find(channel, number) is None


def test_the_customer_by_the_channels_own_id(app: Application) -> None:
    known_to(app, "portal", "C-77", "ACME")
    o = app.orders.submit("portal", order("PO-1", customer=None, channel_customer_id="C-77")).order
    assert (o.status, o.customer_account) == (OrderState.ACCEPTED, "ACME")
    # the same id means nothing from another channel, and both names must agree
    refused(app, "channel_customer_id", channel="shop", customer=None, channel_customer_id="C-77")
    customer(app.hub.store, "OTHER", sites=SITES)
    refused(app, "channel_customer_id", customer="OTHER", channel_customer_id="C-77")
    refused(app, "customer", customer=None)


def test_an_inactive_ship_to_is_refused(app: Application) -> None:
    refused(app, "ship_to", ship_to="S2")


@pytest.mark.parametrize("bill_to", ["B2", "S1", "NOPE"])
def test_a_bill_to_not_an_active_bill_to_site_is_a_problem(app: Application, bill_to: str) -> None:
    refused(app, "bill_to", bill_to=bill_to)


def test_a_good_bill_to_is_kept(app: Application) -> None:
    o = app.orders.submit("portal", order("PO-1", bill_to="B1")).order
    assert (o.status, o.bill_to) == (OrderState.ACCEPTED, "B1")
    assert {r["rule"]: r["action"] for r in o.rules}["bill_to"] == "passed"


def test_a_bad_bill_to_holds_when_the_channel_says_hold(store_url: str) -> None:
    app = seeded(store_url, {"channels": {"default": {"bill_to": {"on_fail": "hold"}}}})
    try:
        customer(app.hub.store, sites=SITES)
        o = app.orders.submit("portal", order("PO-1", bill_to="B2")).order
        assert (o.status, o.holds) == (OrderState.ON_HOLD, ["bill_to"])
        # the site is made active again: a release re-runs the rule and passes
        customer(app.hub.store, sites=[{**s, "active": True} for s in SITES])
        done = app.orders.release(o.id, actor="ops", note="site reopened")
        assert done.status is OrderState.ACCEPTED
    finally:
        app.close()


def test_more_lines_than_the_channel_allows(store_url: str) -> None:
    app = seeded(store_url, {"max_lines": 3})
    try:
        with pytest.raises(InvalidInput) as err:
            app.orders.submit("portal", order("PO-1", *[line(i + 1) for i in range(4)]))
        assert err.value.field == "lines" and "at most 3" in str(err.value)
        assert app.hub.store.orders.page() == []
        (item,) = app.availability.availability(["W-1"])
        assert item.locations[0].buckets.reserved == D(0)
    finally:
        app.close()
