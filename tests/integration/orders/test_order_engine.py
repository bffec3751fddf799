"""The order engine on SQLite and PostgreSQL: publish, ERP confirmation, compensation, cancel.

Each test drives whole sync passes (``hub.sync_once``: the engine step, then
delivery) against recording destinations, and checks what the ERP and the
portal received, the order's state and timeline, and the stock buckets.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal as D  # noqa: N817

import pytest

from crossdock.app import Application
from crossdock.errors import ConflictError
from crossdock.model.base import EntityType
from crossdock.services.orders.engine import BOOKMARK
from crossdock.store.order_rows import Move, OrderRow, OrderState

from .engine_hub import engine_app, erp, portal
from .seed import line, order

pytestmark = pytest.mark.integration


@pytest.fixture
def app(store_url: str) -> Iterator[Application]:
    a = engine_app(store_url)
    yield a
    a.close()


def passes(app: Application, n: int = 3) -> None:
    for _ in range(n):
        app.hub.sync_once()


def buckets(app: Application, sku: str = "W-1") -> tuple[D, D]:
    """(reserved, allocated) of the SKU at W1."""
    (item,) = app.availability.availability([sku])
    b = item.locations[0].buckets
    return b.reserved, b.allocated


def now(app: Application, o: OrderRow) -> OrderRow:
    found = app.hub.store.orders.get(o.id)
    assert found is not None
    return found


def steps(app: Application, o: OrderRow) -> list[tuple[str, str]]:
    return [(s.kind, s.outcome) for s in app.hub.store.orders.timeline(o.id)]


def test_an_accepted_order_is_sent_once_confirmed_with_the_erp_number(app: Application) -> None:
    o = app.orders.submit("portal", order("PO-1", line(1, qty="3"))).order
    assert o.status is OrderState.ACCEPTED and buckets(app) == (D(3), D(0))
    passes(app)
    done = now(app, o)
    assert done.status is OrderState.CONFIRMED
    assert done.erp_id is not None and done.erp_number == f"SO{done.erp_id}"
    assert buckets(app) == (D(0), D(3))  # confirmed: allocated, no longer expiring
    # the ERP got the order, then its own confirmation back (the Tryton destination finds
    # its sale by the marker and changes nothing): one sale
    assert erp().statuses(done.canonical_id or "") == ["submitted", "confirmed"]
    assert list(erp().sales) == [done.canonical_id]
    sent = erp().got[0]
    assert sent.data["lines"] == [
        {
            "line_number": 1,
            "sku": "W-1",
            "quantity": "3",
            "unit": "EA",
            "unit_price": "10.00",
            "extended_price": "30.00",
            "status": "allocated",
        }
    ]
    # every status reached the portal, in order
    assert portal().statuses(done.canonical_id or "") == ["submitted", "confirmed"]
    rec = app.hub.store.records.get(EntityType.ORDER, done.canonical_id or "")
    assert rec is not None and rec.data["erp_number"] == done.erp_number
    kinds = steps(app, o)
    for step in [
        ("reservation", "confirmed"),
        ("published", "submitted"),
        ("erp", "confirmed"),
        ("published", "confirmed"),
        ("channel", "delivered"),
    ]:
        assert step in kinds, (step, kinds)
    assert kinds.index(("erp", "confirmed")) < kinds.index(("published", "confirmed"))
    # nothing left to do: more passes send nothing more
    passes(app)
    assert len(erp().got) == 2 and len(portal().got) == 2
    assert app.engine.stuck() == 0


def test_a_channel_receipt_read_again_adds_no_second_timeline_entry(app: Application) -> None:
    # A crash after the engine noted a delivery but before it saved its bookmark reads the
    # same receipts again: the timeline must still say each status reached the portal once.
    o = app.orders.submit("portal", order("PO-1", line(1, qty="3"))).order
    passes(app, 4)
    before = steps(app, o)
    assert before.count(("channel", "delivered")) == 2
    app.engine.state.set(BOOKMARK, "0")
    report = app.engine.follow()
    assert report.channel_deliveries == 0
    assert steps(app, o) == before
    assert now(app, o).status is OrderState.CONFIRMED


def test_a_transient_erp_failure_is_retried_by_the_route(app: Application) -> None:
    erp().down = 2  # the route's third attempt gets through
    o = app.orders.submit("portal", order("PO-1")).order
    passes(app)
    assert now(app, o).status is OrderState.CONFIRMED
    assert len(erp().sales) == 1


def test_an_erp_out_of_retries_keeps_the_order_and_shows_why(app: Application) -> None:
    erp().down = 3  # every attempt of the pass: parked as transient, not refused
    o = app.orders.submit("portal", order("PO-1", line(1, qty="2"))).order
    passes(app)
    waiting = now(app, o)
    assert waiting.status is OrderState.ACCEPTED and buckets(app) == (D(0), D(2))
    assert waiting.problem is not None and "retry the parked delivery" in waiting.problem
    assert ("erp", "unreachable") in steps(app, o)
    app.hub.worker("erp-sales").retry_parked(waiting.canonical_id or "", actor="ops")
    passes(app)
    done = now(app, o)
    assert done.status is OrderState.CONFIRMED and done.problem is None
    assert len(erp().sales) == 1


def test_an_erp_refusal_gives_the_units_back_and_holds_the_order(app: Application) -> None:
    erp().refuse["PO-9"] = "credit limit of party ACME exceeded"
    o = app.orders.submit("portal", order("PO-9", line(1, qty="4"))).order
    passes(app)
    held = now(app, o)
    assert held.status is OrderState.ON_HOLD and held.holds == ["erp_rejected"]
    assert buckets(app) == (D(0), D(0))  # nothing reserved, nothing allocated
    assert not app.hub.store.orders.reservations(o.id)
    tl = app.hub.store.orders.timeline(o.id)
    (rejected,) = [s for s in tl if (s.kind, s.outcome) == ("erp", "rejected")]
    assert rejected.detail["error"] == "credit limit of party ACME exceeded"
    assert portal().statuses(held.canonical_id or "") == ["submitted", "on_hold"]

    # the cause is fixed in the ERP; a person releases the hold: reserved again, sent again
    del erp().refuse["PO-9"]
    again = app.orders.release(o.id, actor="ops", note="credit raised in the ERP")
    assert again.status is OrderState.ACCEPTED and buckets(app) == (D(4), D(0))
    passes(app)
    done = now(app, o)
    assert done.status is OrderState.CONFIRMED and buckets(app) == (D(0), D(4))
    assert erp().statuses(done.canonical_id or "") == ["submitted", "confirmed"]
    assert len(erp().sales) == 1
    assert portal().statuses(done.canonical_id or "") == [
        "submitted",
        "on_hold",
        "submitted",
        "confirmed",
    ]


def test_cancel_gives_everything_back_and_cancels_the_erp_sale(app: Application) -> None:
    o = app.orders.submit("portal", order("PO-1", line(1, qty="5"))).order
    passes(app)
    assert now(app, o).status is OrderState.CONFIRMED and buckets(app) == (D(0), D(5))
    cancelled = app.orders.cancel(o.id, actor="ops", note="customer called")
    assert cancelled.status is OrderState.CANCELLED and buckets(app) == (D(0), D(0))
    assert app.orders.cancel(o.id, actor="ops", note="again") == now(app, o)  # idempotent
    passes(app)
    cid = cancelled.canonical_id or ""
    assert erp().statuses(cid) == ["submitted", "confirmed", "deleted"]  # the sale withdrawn
    assert portal().statuses(cid) == ["submitted", "confirmed", "cancelled"]
    assert ("erp", "cancelled") in steps(app, o)
    assert now(app, o).problem is None
    (audit,) = [a for a in app.hub.store.audit.page(limit=100) if a.action == "order.cancel"]
    assert audit.actor == "ops" and audit.detail["note"] == "customer called"


def test_a_cancel_the_erp_refuses_shows_on_the_order(app: Application) -> None:
    o = app.orders.submit("portal", order("PO-1")).order
    passes(app)
    erp().refuse_cancel = "sale 100 is processing: cancel its shipment first"
    app.orders.cancel(o.id, actor="ops", note="too late?")
    passes(app)
    done = now(app, o)
    assert done.status is OrderState.CANCELLED and buckets(app) == (D(0), D(0))
    assert done.problem is not None and "processing" in done.problem
    assert ("erp", "cancel_failed") in steps(app, o)
    assert app.hub.store.orders.with_problem() == 1
    # fixed in the ERP, the parked withdrawal is retried: the problem clears
    erp().refuse_cancel = None
    app.hub.worker("erp-sales").retry_parked(done.canonical_id or "", actor="ops")
    passes(app, 1)
    assert now(app, o).problem is None


def test_an_order_cancelled_before_the_erp_saw_it_never_reaches_the_erp(
    app: Application,
) -> None:
    o = app.orders.submit("portal", order("PO-1")).order
    app.orders.cancel(o.id, actor="portal", note="changed my mind")
    passes(app)
    assert erp().got == []
    assert portal().statuses(now(app, o).canonical_id or "") == ["cancelled"]


def test_an_amendment_after_the_erp_has_it_is_refused_and_not_applied(app: Application) -> None:
    o = app.orders.submit("portal", order("PO-1", line(1, qty="2"))).order
    passes(app)
    with pytest.raises(ConflictError, match="the ERP has it as SO"):
        app.orders.submit("portal", order("PO-1", line(1, qty="7")))
    kept = now(app, o)
    assert kept.status is OrderState.CONFIRMED and kept.revision == 1
    assert [ln.quantity for ln in app.hub.store.orders.lines(o.id)] == [D(2)]
    assert buckets(app) == (D(0), D(2))
    assert ("amend", "refused") in steps(app, o)


def test_an_expired_reservation_holds_the_order_instead_of_sending_it(app: Application) -> None:
    o = app.orders.submit("portal", order("PO-1", line(1, qty="2"))).order
    (link,) = app.hub.store.orders.reservations(o.id)
    app.availability.reservations.release(link.reservation_id)  # as if it had expired
    passes(app)
    # held for stock instead of being sent; the units are still on the shelf, so the
    # hold sweep sees the cause cleared and releases the order itself: it is
    # reserved afresh and sent once
    seen = steps(app, o)
    assert seen.index(("reservation", "expired")) < seen.index(("release", "automatic"))
    assert now(app, o).status is OrderState.CONFIRMED and buckets(app) == (D(0), D(2))
    assert len(erp().sales) == 1  # one sale (the ERP also hears of the confirmation)


def test_stuck_counts_accepted_orders_the_erp_has_not_confirmed(app: Application) -> None:
    from datetime import UTC, datetime, timedelta

    erp().down = 3
    app.orders.submit("portal", order("PO-1"))
    passes(app, 1)
    assert app.engine.stuck() == 0
    later = datetime.now(UTC) + timedelta(minutes=16)
    assert app.engine.stuck(later) == 1


def test_compaction_on_would_skip_a_status(store_url: str) -> None:
    """Why the status route sends every version: compacted, the channel misses 'submitted'."""
    app = engine_app(store_url, every_version=False)
    try:
        o = app.orders.submit("portal", order("PO-1")).order
        app.engine.run()
        app.hub.deliver(["erp-sales"])
        app.engine.run()  # confirmed before the portal route ran
        assert now(app, o).status is OrderState.CONFIRMED
        app.hub.deliver(["portal-status"])
        assert portal().statuses(now(app, o).canonical_id or "") == ["confirmed"]
    finally:
        app.close()


def test_the_same_number_from_another_channel_is_not_merged_into_the_first(
    app: Application,
) -> None:
    first = app.orders.submit("portal", order("PO-1", line(1, qty="2"))).order
    passes(app)
    second = app.orders.submit("shop", order("PO-1", line(1, qty="5"))).order
    passes(app)
    kept = now(app, first)
    assert kept.status is OrderState.CONFIRMED
    rec = app.hub.store.records.get(EntityType.ORDER, kept.canonical_id or "")
    assert rec is not None and rec.data["channel"] == "portal"
    assert rec.data["lines"][0]["quantity"] == "2"
    refused = now(app, second)
    assert refused.canonical_id is None and refused.problem is not None
    assert "already names another order record" in refused.problem
    assert len(erp().sales) == 1


def test_the_erp_number_is_recorded_when_a_shipment_came_before_the_receipt(
    app: Application,
) -> None:
    # The fulfilment consumer can ship an order before the engine follows the ERP's
    # receipt: the ERP's id and number are still recorded, the status stays ahead.
    o = app.orders.submit("portal", order("PO-9", line(1, qty="3"))).order
    app.hub.sync_once()  # published and delivered; the receipt is not followed yet
    assert now(app, o).erp_id is None
    shipped = app.hub.store.orders.transition(o.id, {OrderState.ACCEPTED}, Move(OrderState.SHIPPED))
    assert shipped is not None
    passes(app)
    done = now(app, o)
    assert done.status is OrderState.SHIPPED
    assert done.erp_id is not None and done.erp_number == f"SO{done.erp_id}"
    assert ("erp", "recorded") in steps(app, o)
