"""The order service on SQLite and PostgreSQL: each rule passing and failing, retry, amendment."""

from __future__ import annotations

from decimal import Decimal as D  # noqa: N817
from typing import Any

import pytest

from crossdock.app import Application
from crossdock.errors import ConflictError, InvalidInput
from crossdock.store.order_rows import Opened, OrderState

from .seed import customer, line, order, product, reserved, seeded, stock

pytestmark = pytest.mark.integration


def rule(order_rules: list[dict[str, Any]], name: str) -> dict[str, Any]:
    return next(r for r in order_rules if r["rule"] == name)


def test_a_good_order_is_priced_reserved_and_accepted(app: Application) -> None:
    done = app.orders.submit("portal", order("PO-1", line(1, qty="2"), line(2, qty="1", unit="CS")))
    o = done.order
    assert (done.opened, o.status, o.holds) == (Opened.CREATED, OrderState.ACCEPTED, [])
    assert o.total == D("140.00")  # 2 x 10 + 1 case x 120
    assert {r["rule"]: r["action"] for r in o.rules} == {
        "customer": "passed",
        "sku": "passed",
        "po": "passed",
        "price": "passed",
        "stock": "passed",
        "credit": "passed",
    }
    assert reserved(app) == D(14)
    lines = app.hub.store.orders.lines(o.id)
    assert [(ln.unit_price, ln.price_note) for ln in lines] == [
        (D("10.00"), "pricing service"),
        (D("120.00"), "pricing service"),
    ]
    kinds = [(s.kind, s.outcome) for s in app.hub.store.orders.timeline(o.id)]
    assert kinds[0] == ("intake", "received") and kinds[-1] == ("decision", "accepted")
    assert ("reservation", "reserved") in kinds


def test_the_same_body_again_answers_the_same_order(app: Application) -> None:
    first = app.orders.submit("portal", order("PO-1"))
    again = app.orders.submit("portal", order("PO-1"))
    assert again.opened is Opened.SAME and again.order.id == first.order.id
    assert reserved(app) == D(2)
    # the same number from another channel is another order
    other = app.orders.submit("shop", order("PO-1"))
    assert other.order.id != first.order.id


def test_an_amendment_reruns_the_rules_and_moves_the_reservations(app: Application) -> None:
    first = app.orders.submit("portal", order("PO-1", line(1, qty="2")))
    amended = app.orders.submit("portal", order("PO-1", line(1, qty="5"), line(2, qty="1")))
    assert amended.opened is Opened.AMENDED and amended.order.id == first.order.id
    assert amended.order.revision == 2 and amended.order.status is OrderState.ACCEPTED
    assert amended.order.total == D("60.00")
    assert reserved(app) == D(6)
    held = app.hub.store.orders.reservations(first.order.id)
    assert sorted((r.line_number, r.quantity) for r in held) == [(1, D(5)), (2, D(1))]


def test_customer_rule_rejects_an_inactive_customer_or_one_on_credit_hold(
    app: Application,
) -> None:
    customer(app.hub.store, credit_hold=True)
    o = app.orders.submit("portal", order("PO-1")).order
    assert o.status is OrderState.REJECTED
    assert rule(o.rules, "customer")["detail"] == "customer is on credit hold"
    assert reserved(app) == D(0)
    # a rejected order is final: a changed body is refused
    with pytest.raises(ConflictError):
        app.orders.submit("portal", order("PO-1", line(1, qty="3")))


def test_sku_rule_rejects_inactive_items_and_items_not_sold_on_the_channel(
    app: Application,
) -> None:
    o = app.orders.submit("portal", order("PO-1", line(1, "W-2"), line(2, "W-3"))).order
    assert o.status is OrderState.REJECTED
    detail = rule(o.rules, "sku")["detail"]
    assert "W-2 is inactive" in detail and "W-3 is not sold on portal" in detail
    ok = app.orders.submit("shop", order("PO-2", line(1, "W-3"))).order
    assert ok.status is OrderState.ACCEPTED


def test_sku_rule_holds_a_quantity_below_the_minimum_or_off_the_multiple(store_url: str) -> None:
    app = seeded(store_url, {"channels": {"default": {"sku": {"on_fail": "hold"}}}})
    try:
        product(app.hub.store, "W-1", min_order_quantity="6", order_multiple="6")
        low = app.orders.submit("portal", order("A", line(1, qty="3"))).order
        assert low.holds == ["sku"] and "below the minimum" in rule(low.rules, "sku")["detail"]
        odd = app.orders.submit("portal", order("B", line(1, qty="8"))).order
        assert odd.holds == ["sku"] and "not a multiple of 6" in rule(odd.rules, "sku")["detail"]
        case = app.orders.submit("portal", order("C", line(1, qty="1", unit="CS"))).order
        assert case.status is OrderState.ACCEPTED
    finally:
        app.close()


def test_credit_over_the_limit_holds_then_release_after_the_limit_is_raised(
    app: Application,
) -> None:
    customer(app.hub.store, credit_limit="500")
    a = app.orders.submit("portal", order("PO-1", line(1, qty="30"))).order
    assert a.status is OrderState.ACCEPTED
    b = app.orders.submit("portal", order("PO-2", line(1, qty="25"))).order
    assert (b.status, b.holds) == (OrderState.ON_HOLD, ["credit"])
    assert (
        rule(b.rules, "credit")["detail"] == "exposure 300.00 + order 250.00 exceeds the limit 500"
    )
    assert reserved(app) == D(55)  # the held order keeps its units
    assert [o.id for o in app.hub.store.orders.page(status=OrderState.ON_HOLD)] == [b.id]
    still = app.orders.release(b.id, actor="ops", note="try")
    assert still.status is OrderState.ON_HOLD
    customer(app.hub.store, credit_limit="2000")  # the ERP raises the limit
    done = app.orders.release(b.id, actor="ops", note="limit raised")
    assert (done.status, done.holds) == (OrderState.ACCEPTED, [])
    audit = [r for r in app.hub.store.audit.page() if r.action == "order.release"]
    assert audit and audit[0].actor == "ops" and audit[0].detail["note"] in ("try", "limit raised")


def test_credit_on_fail_reject(store_url: str) -> None:
    app = seeded(store_url, {"channels": {"default": {"credit": {"on_fail": "reject"}}}})
    try:
        o = app.orders.submit("portal", order("PO-1", line(1, qty="101"))).order
        assert o.status is OrderState.REJECTED and reserved(app) == D(0)
    finally:
        app.close()


@pytest.mark.parametrize(
    ("policy", "status", "price"),
    [
        ("reprice", OrderState.ACCEPTED, D("10.00")),
        ("hold", OrderState.ON_HOLD, D("12.00")),
        ("accept", OrderState.ACCEPTED, D("12.00")),
    ],
)
def test_price_policies(store_url: str, policy: str, status: OrderState, price: D) -> None:
    cfg = {"channels": {"portal": {"price": {"policy": policy, "tolerance": "0.5"}}}}
    app = seeded(store_url, cfg)
    try:
        near = app.orders.submit("portal", order("N", line(1, unit_price="10.40"))).order
        assert near.status is OrderState.ACCEPTED
        o = app.orders.submit("portal", order("P", line(1, unit_price="12.00"))).order
        assert o.status is status
        (ln,) = app.hub.store.orders.lines(o.id)
        assert ln.unit_price == price and ln.channel_price == D("12.00")
        if policy == "hold":
            assert o.holds == ["price"]
            released = app.orders.release(o.id, actor="ops", note="price agreed")
            assert released.status is OrderState.ACCEPTED
            assert rule(released.rules, "price")["action"] == "waived"
    finally:
        app.close()


def test_percent_tolerance(store_url: str) -> None:
    price = {"tolerance": "5", "tolerance_kind": "percent", "policy": "hold"}
    app = seeded(store_url, {"channels": {"default": {"price": price}}})
    try:
        a = app.orders.submit("portal", order("A", line(1, unit_price="10.49"))).order
        b = app.orders.submit("portal", order("B", line(1, unit_price="10.51"))).order
        assert (a.status, b.status) == (OrderState.ACCEPTED, OrderState.ON_HOLD)
    finally:
        app.close()


def test_stock_short_holds_and_release_after_stock_arrives(app: Application) -> None:
    customer(app.hub.store, credit_limit="5000")
    first = app.orders.submit("portal", order("PO-1", line(1, qty="80"))).order
    assert first.status is OrderState.ACCEPTED
    short = app.orders.submit("shop", order("PO-2", line(1, qty="30"))).order
    assert (short.status, short.holds) == (OrderState.ON_HOLD, ["stock"])
    assert reserved(app) == D(80)  # nothing half-reserved
    stock(app, "W-1", "50")
    done = app.orders.release(short.id, actor="ops", note="stock arrived")
    assert done.status is OrderState.ACCEPTED and reserved(app) == D(110)


def test_reject_gives_every_reservation_back(app: Application) -> None:
    o = app.orders.submit("portal", order("PO-1", line(1, qty="5"))).order
    assert reserved(app) == D(5)
    done = app.orders.reject(o.id, actor="ops", note="customer called")
    assert done.status is OrderState.REJECTED and reserved(app) == D(0)
    assert app.hub.store.orders.timeline(o.id)[-1].kind == "reject"


def test_po_required_and_duplicate_po(store_url: str) -> None:
    app = seeded(store_url, {"channels": {"default": {"po": {"required": True}}}})
    try:
        missing = app.orders.submit("portal", order("A")).order
        assert missing.holds == ["po_missing"]
        first = app.orders.submit("portal", order("B", customer_po="X-1")).order
        assert first.status is OrderState.ACCEPTED
        dup = app.orders.submit("shop", order("C", customer_po="X-1")).order
        assert dup.holds == ["duplicate_po"]
    finally:
        app.close()


def test_rules_switched_off_do_not_run(store_url: str) -> None:
    off = {"enabled": False}
    cfg = {"channels": {"default": {k: off for k in ("customer", "credit", "sku", "stock", "po")}}}
    app = seeded(store_url, cfg)
    try:
        customer(app.hub.store, credit_hold=True)
        o = app.orders.submit("portal", order("A", line(1, "W-2", qty="500"))).order
        assert o.status is OrderState.ACCEPTED
        assert [r["rule"] for r in o.rules] == ["price"]
        assert reserved(app, "W-2") == D(0)
    finally:
        app.close()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"customer": "NOPE"}, "customer"),
        ({"ship_to": "B1"}, "ship_to"),
        ({"lines": [line(1), line(2, "NOPE")]}, "lines.1.sku"),
        ({"lines": [line(1, unit="PAL")]}, "lines.0.unit"),
        ({"lines": [line(1), line(1)]}, "lines.1.line_number"),
    ],
)
def test_bad_input_names_the_field_and_writes_nothing(
    app: Application, body: dict[str, Any], field: str
) -> None:
    with pytest.raises(InvalidInput) as err:
        app.orders.submit("portal", order("PO-1", **body))
    assert err.value.field == field
    assert app.hub.store.orders.find("portal", "PO-1") is None
    assert reserved(app) == D(0)
