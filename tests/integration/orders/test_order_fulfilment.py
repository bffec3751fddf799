"""Shipments and invoices move orders (SQLite and PostgreSQL): partial, re-sent, over, unknown."""

from __future__ import annotations

import contextlib
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from decimal import Decimal as D  # noqa: N817

import pytest

from crossdock.app import Application
from crossdock.errors import ConflictError, InvalidInput
from crossdock.model.base import EntityType
from crossdock.model.invoice import InvoiceStatus
from crossdock.services.availability import WmsEvent
from crossdock.services.orders.documents import owed
from crossdock.services.orders.fulfilment import CURSOR
from crossdock.store import ExceptionStatus
from crossdock.store.fulfil_rows import LineStatus
from crossdock.store.order_rows import Move, OrderRow, OrderState

from .seed import il, invoice, line, order, shipment, sl, stock

pytestmark = pytest.mark.integration


def now(app: Application, o: OrderRow) -> OrderRow:
    got = app.hub.store.orders.get(o.id)
    assert got is not None
    return got


def ledger(app: Application, o: OrderRow) -> dict[int, tuple[D, D, D, D, LineStatus]]:
    return {
        ln.line_number: (ln.reserved, ln.shipped, ln.released, ln.invoiced, ln.status)
        for ln in app.hub.store.fulfilment.lines(o.id)
    }


def buckets(app: Application, sku: str = "W-1") -> tuple[D, D, D]:
    (item,) = app.availability.availability([sku])
    b = item.locations[0].buckets
    return b.on_hand, b.reserved, b.allocated


def test_partial_shipments_then_the_invoice_move_the_order_once_each(app: Application) -> None:
    o = app.orders.submit(
        "portal", order("PO-1", line(1, qty="5"), line(2, qty="1", unit="CS"))
    ).order
    assert o.status is OrderState.ACCEPTED
    assert buckets(app) == (D(100), D(17), D(0))

    # 3 of line 1 leave from the WMS: the order is partially shipped; line 1's held
    # reservation is confirmed first (its 5 units move to allocated), 3 of it consumed.
    shipment(app, "SHP-1", "PO-1", sl(1, "3"), carrier="UPS", tracking_numbers=["1Z9"])
    report = app.fulfilment.run()
    assert (report.applied, report.refused) == (1, 0)
    after = now(app, o)
    assert after.status is OrderState.PARTIALLY_SHIPPED and after.updated_at > o.updated_at
    assert ledger(app, o)[1] == (D(2), D(3), D(0), D(0), LineStatus.PARTIALLY_SHIPPED)
    assert buckets(app) == (D(100), D(12), D(5))  # on hand waits for the stock feed
    rsv = {r.line_number: r for r in app.hub.store.orders.reservations(o.id)}
    assert app.availability.reservations.get(rsv[1].reservation_id).status.value == "confirmed"

    # The same events read again (the cursor moved back): nothing counts twice.
    app.hub.store.cursors.move_by_hand(CURSOR, 0, actor="test", reason="replay")
    assert app.fulfilment.run().applied == 0
    assert ledger(app, o)[1][:2] == (D(2), D(3))

    # SHP-1 re-sent with one more line (1 case of line 2): only the new line applies.
    shipment(app, "SHP-1", "PO-1", sl(1, "3"), sl(2, "1", unit="CS"), carrier="UPS")
    app.fulfilment.run()
    assert ledger(app, o)[2][:2] == (D(0), D(12))

    # The backorder ships: every line is shipped, the order too.
    shipment(app, "SHP-2", "PO-1", sl(None, "2"))
    app.fulfilment.run()
    assert now(app, o).status is OrderState.SHIPPED
    assert ledger(app, o)[1] == (D(0), D(5), D(0), D(0), LineStatus.SHIPPED)
    assert app.availability.reservations.get(rsv[1].reservation_id).status.value == "shipped"

    # One more unit than was ordered: an exception a person sees; nothing moves.
    shipment(app, "SHP-3", "PO-1", sl(1, "1"))
    assert app.fulfilment.run().refused == 1
    (exc,) = app.hub.store.exceptions.page()
    assert exc.code == "over_shipped" and "line 1" in exc.reason and exc.field == "lines.0.quantity"
    assert ledger(app, o)[1][1] == D(5)

    # The invoice bills every shipped unit: the order is invoiced.
    invoice(app, "INV-1", "PO-1", il(1, "5", "10.00"), il(2, "1", "120.00", unit="CS"))
    app.fulfilment.run()
    done = now(app, o)
    assert done.status is OrderState.INVOICED
    assert {n: v[3] for n, v in ledger(app, o).items()} == {1: D(5), 2: D(12)}
    kinds = [
        s
        for s in app.hub.store.orders.timeline(o.id)
        if s.kind in ("shipment", "invoice", "status")
    ]
    first = kinds[0]
    assert first.kind == "shipment" and first.detail["carrier"] == "UPS"
    assert first.detail["tracking_numbers"] == ["1Z9"]
    assert [s.outcome for s in kinds if s.kind == "status"] == [
        "partially_shipped",
        "shipped",
        "invoiced",
    ]


def test_the_published_order_carries_its_shipments_carrier_and_tracking(
    app: Application,
) -> None:
    o = app.orders.submit("portal", order("PO-1", line(1, qty="5"))).order
    app.engine.run()
    # as the ERP route's receipt would: confirmed, with the ERP's number
    moved = app.hub.store.orders.transition(
        o.id, {OrderState.ACCEPTED}, Move(OrderState.CONFIRMED, erp_id="7", erp_number="SO7")
    )
    assert moved is not None
    app.engine.run()
    shipment(app, "SHP-1", "PO-1", sl(1, "3"), carrier="UPS", tracking_numbers=["1Z9"])
    app.fulfilment.run()
    # re-sent with a second parcel's tracking number, then the rest by another carrier
    shipment(app, "SHP-1", "PO-1", sl(1, "3"), carrier="UPS", tracking_numbers=["1Z9", "1Z10"])
    shipment(app, "SHP-2", "PO-1", sl(1, "2"), carrier="DHL", service="express")
    app.fulfilment.run()
    app.engine.run()
    published = now(app, o)
    assert published.status is OrderState.SHIPPED and published.canonical_id is not None
    rec = app.hub.store.records.get(EntityType.ORDER, published.canonical_id)
    assert rec is not None and rec.data["status"] == "shipped"
    assert rec.data["shipments"] == [
        {
            "shipment_number": "SHP-1",
            "carrier": "UPS",
            "tracking_numbers": ["1Z9", "1Z10"],
            "lines": [{"line_number": 1, "sku": "W-1", "quantity": "3"}],
        },
        {
            "shipment_number": "SHP-2",
            "carrier": "DHL",
            "service": "express",
            "tracking_numbers": [],
            "lines": [{"line_number": 1, "sku": "W-1", "quantity": "2"}],
        },
    ]


def test_without_an_erp_route_an_accepted_order_published_submitted_is_then_shipped(
    app: Application,
) -> None:
    # No ERP route: nothing ever confirms the order, so its record says submitted until
    # the goods leave; the shipped status that follows must be published, not refused.
    assert app.hub.config.orders.erp_route is None
    o = app.orders.submit("portal", order("PO-1", line(1, qty="5"))).order
    app.engine.run()
    cid = now(app, o).canonical_id
    assert cid is not None
    rec = app.hub.store.records.get(EntityType.ORDER, cid)
    assert rec is not None and rec.data["status"] == "submitted"
    shipment(app, "SHP-1", "PO-1", sl(1, "2"), carrier="UPS", tracking_numbers=["1Z1"])
    app.fulfilment.run()
    app.engine.run()
    assert _published_status(app, o) == "partially_shipped"
    shipment(app, "SHP-2", "PO-1", sl(1, "3"), carrier="UPS")
    app.fulfilment.run()
    app.engine.run()
    assert _published_status(app, o) == "shipped"
    assert app.hub.store.exceptions.page() == []


def test_without_an_erp_route_no_accepted_order_is_stuck_waiting_for_it(
    app: Application,
) -> None:
    # Nothing will confirm it: an accepted order waits for its goods, not for an ERP.
    app.orders.submit("portal", order("PO-1", line(1, qty="5")))
    app.engine.run()
    assert app.engine.stuck(datetime.now(UTC) + timedelta(days=1)) == 0


def _published_status(app: Application, o: OrderRow) -> str:
    """The status the order's canonical record carries; the order published, not refused."""
    got = now(app, o)
    assert got.problem is None and got.published_at == got.updated_at, got
    assert got.canonical_id is not None
    rec = app.hub.store.records.get(EntityType.ORDER, got.canonical_id)
    assert rec is not None
    return str(rec.data["status"])


def test_cancelling_a_partly_shipped_order_cancels_its_rest_and_keeps_what_shipped(
    app: Application,
) -> None:
    o = app.orders.submit(
        "portal", order("PO-1", line(1, qty="5"), line(2, qty="1", unit="CS"))
    ).order
    shipment(app, "SHP-1", "PO-1", sl(1, "3"))
    app.fulfilment.run()
    assert now(app, o).status is OrderState.PARTIALLY_SHIPPED
    assert buckets(app) == (D(100), D(12), D(5))
    done = app.orders.cancel(o.id, actor="ops", note="customer wants no more")
    # what shipped stays shipped; the rest is released, its units back in stock
    assert done.status is OrderState.SHIPPED
    assert ledger(app, o)[1] == (D(0), D(3), D(2), D(0), LineStatus.SHIPPED)
    assert ledger(app, o)[2] == (D(0), D(0), D(12), D(0), LineStatus.CANCELLED)
    assert buckets(app) == (D(100), D(0), D(3))
    steps = [(s.kind, s.outcome) for s in app.hub.store.orders.timeline(o.id)]
    assert ("fulfilment", "released") in steps and ("status", "shipped") in steps
    # again: nothing more moves; a fully shipped order cannot be cancelled
    with pytest.raises(ConflictError):
        app.orders.cancel(o.id, actor="ops", note="again")
    assert buckets(app) == (D(100), D(0), D(3))
    # the rest cannot ship any more: an exception a person sees, nothing moves
    shipment(app, "SHP-2", "PO-1", sl(1, "2"))
    assert app.fulfilment.run().refused == 1
    assert ledger(app, o)[1][:3] == (D(0), D(3), D(2))


def test_cancelling_the_rest_while_the_rest_ships_counts_every_unit_once(
    app: Application,
) -> None:
    """A cancel of the rest races the shipment of the rest: one wins whole, never a mix."""
    shipped_total = D(0)
    for i in range(6):
        number = f"RACE-{i}"
        o = app.orders.submit("portal", order(number, line(1, qty="5"))).order
        shipment(app, f"{number}-A", number, sl(1, "2"))
        app.fulfilment.run()
        shipment(app, f"{number}-B", number, sl(1, "3"))  # the rest, in the outbox now

        def cancel(o: OrderRow = o) -> None:
            with contextlib.suppress(ConflictError):  # the rest shipped first
                app.orders.cancel(o.id, actor="ops", note="race")

        with ThreadPoolExecutor(max_workers=2) as pool:
            for f in [pool.submit(cancel), pool.submit(app.fulfilment.run)]:
                f.result()
        app.fulfilment.run()
        assert now(app, o).status is OrderState.SHIPPED
        reserved, shipped, released, _, _ = ledger(app, o)[1]
        assert reserved == 0 and shipped + released == D(5)
        assert (shipped, released) in ((D(5), D(0)), (D(2), D(3)))
        shipped_total += shipped
        # stock: nothing held for the order; shipped units allocated until the pick
        assert buckets(app) == (D(100), D(0), shipped_total)


def test_a_shipment_for_an_unknown_order_waits_for_a_person_and_the_rest_goes_on(
    app: Application,
) -> None:
    shipment(app, "SHP-9", "PO-9", sl(1, "2"))
    o = app.orders.submit("portal", order("PO-1", line(1, qty="4"))).order
    shipment(app, "SHP-1", "PO-1", sl(1, "4"))
    report = app.fulfilment.run()
    assert (report.applied, report.refused) == (1, 1)
    assert now(app, o).status is OrderState.SHIPPED
    (exc,) = app.hub.store.exceptions.page()
    assert exc.code == "order_unknown" and "PO-9" in exc.reason

    # The generic exception retry points to the fulfilment replay instead of failing vaguely.
    with pytest.raises(InvalidInput, match=f"crossdock orders replay {exc.id}"):
        app.hub.retry_exception(exc.id, actor="ops")

    # The order arrives; the person replays the exception: it applies and is resolved.
    late = app.orders.submit("portal", order("PO-9", line(1, qty="2"))).order
    out = app.fulfilment.replay(exc.id, actor="ops")
    assert out.moved_to == "shipped"
    assert now(app, late).status is OrderState.SHIPPED
    got = app.hub.store.exceptions.get(exc.id)
    assert got is not None and got.status is ExceptionStatus.RESOLVED


def test_open_invoices_count_in_credit_exposure_and_paid_ones_do_not(app: Application) -> None:
    o = app.orders.submit("portal", order("PO-1", line(1, qty="30"))).order  # 300.00
    store = app.hub.store
    assert store.orders.exposure(o.customer_id) == D(300)
    shipment(app, "SHP-1", "PO-1", sl(1, "30"))
    invoice(app, "INV-1", "PO-1", il(1, "20", "10.00"))  # billed in part: 200 owed, 100 not billed
    app.fulfilment.run()
    assert now(app, o).status is OrderState.SHIPPED
    assert store.orders.exposure(o.customer_id) == D(300)
    invoice(app, "INV-2", "PO-1", il(1, "10", "10.00"))
    app.fulfilment.run()
    assert now(app, o).status is OrderState.INVOICED
    assert store.orders.exposure(o.customer_id) == D(300)  # two open invoices
    # The WMS reports the pick (on hand and allocated down); more stock arrives.
    app.availability.feeds.apply_wms_event(
        WmsEvent(idempotency_key="pick-1", kind="pick", sku="W-1", location="W1", quantity=D(30))
    )
    assert buckets(app) == (D(70), D(0), D(0))
    stock(app, "W-1", "100", key="rcv-2")
    # 300 owed: an order of 800 passes a limit of 1000 no longer.
    held = app.orders.submit("portal", order("PO-2", line(1, qty="80"))).order
    assert held.status is OrderState.ON_HOLD and held.holds == ["credit"]
    invoice(app, "INV-1", "PO-1", il(1, "20", "10.00"), status="paid")
    invoice(app, "INV-2", "PO-1", il(1, "10", "10.00"), status="paid")
    app.fulfilment.run()
    assert store.orders.exposure(o.customer_id, other_than=held.id) == D(0)
    released = app.orders.release(held.id, actor="ops", note="paid")
    assert released.status is OrderState.ACCEPTED


def test_a_partly_paid_invoice_counts_what_is_left_in_credit_exposure(app: Application) -> None:
    o = app.orders.submit("portal", order("PO-1", line(1, qty="30"))).order  # 300.00
    store = app.hub.store
    shipment(app, "SHP-1", "PO-1", sl(1, "30"))
    invoice(app, "INV-1", "PO-1", il(1, "30", "10.00"))
    app.fulfilment.run()
    assert store.orders.exposure(o.customer_id) == D(300)
    # 120 paid of 300: 180 still owed, neither the whole invoice nor nothing
    invoice(app, "INV-1", "PO-1", il(1, "30", "10.00"), status="partially_paid", amount_due="180")
    app.fulfilment.run()
    assert store.orders.exposure(o.customer_id) == D(180)
    invoice(app, "INV-1", "PO-1", il(1, "30", "10.00"), status="partially_paid", amount_due="50")
    app.fulfilment.run()
    assert store.orders.exposure(o.customer_id) == D(50)
    invoice(app, "INV-1", "PO-1", il(1, "30", "10.00"), status="paid")
    app.fulfilment.run()
    assert store.orders.exposure(o.customer_id) == D(0)


@pytest.mark.parametrize(
    ("status", "due", "owes"),
    [
        ("open", None, "300"),
        ("overdue", "300", "300"),
        ("partially_paid", "180", "180"),
        ("partially_paid", "999", "300"),  # never more than the total
        ("partially_paid", None, "300"),
        ("paid", "50", "0"),
        ("void", None, "0"),
        ("draft", None, "0"),
    ],
)
def test_what_an_invoice_owes(status: str, due: str | None, owes: str) -> None:
    amount = None if due is None else D(due)
    assert owed(D(300), InvoiceStatus(status), amount) == D(owes)
