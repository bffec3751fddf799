"""Any interleaving of amendments, partial shipments, re-sent shipments and cancellation keeps
``reserved + shipped + released == ordered`` per line, and statuses never go backwards.

Run through the real order service and fulfilment consumer on SQLite (and PostgreSQL when
configured): amendments are new bodies for the order number (refused once it shipped),
shipments are ingested canonical records the consumer applies, a re-send moves the
consumer's cursor back, a cancellation releases the ledger's open quantities.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from decimal import Decimal
from itertools import count
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from crossdock.app import Application
from crossdock.errors import ConflictError
from crossdock.model.base import EntityType
from crossdock.model.change import Change
from crossdock.services.orders.fulfilment import CURSOR
from crossdock.services.orders.ledger import ORDER_RANK, line_status
from crossdock.store.fulfil_rows import LINE_RANK
from crossdock.store.order_rows import OrderState

from .seed import customer, line, order, seeded, stock

pytestmark = pytest.mark.integration

LINES = (1, 2)
qty = st.integers(min_value=1, max_value=6)
op = st.one_of(
    st.tuples(st.just("amend"), st.sampled_from(LINES), qty),
    st.tuples(st.just("ship"), st.sampled_from(("A", "B", "C")), st.sampled_from(LINES), qty),
    st.tuples(st.just("resend")),
    st.tuples(st.just("cancel")),
)


@pytest.fixture
def app(store_url: str) -> Iterator[Application]:
    a = seeded(store_url)
    customer(a.hub.store, credit_limit="100000000")  # many orders: credit is not the point
    stock(a, "W-1", "1000000", key="plenty")
    yield a
    a.close()


def test_ledger_balances_and_statuses_only_move_forward(app: Application) -> None:
    store = app.hub.store
    numbers = count(1)
    seen = {"shipped": 0, "refused_amendment": 0, "cancelled_after_shipping": 0}

    @settings(
        max_examples=30,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    @given(first=st.tuples(qty, qty), ops=st.lists(op, max_size=8))
    # The interleavings the property is about, whatever else is drawn: amended, shipped in
    # part, re-sent with more, read again, amendment refused, cancelled after shipping.
    @example(
        first=(4, 3),
        ops=[
            ("amend", 1, 5),
            ("ship", "A", 1, 2),
            ("ship", "A", 2, 1),
            ("resend",),
            ("amend", 2, 6),
            ("ship", "B", 1, 9),
            ("cancel",),
            ("ship", "C", 2, 1),
        ],
    )
    def run(first: tuple[int, int], ops: list[tuple[Any, ...]]) -> None:
        number = f"P-{next(numbers)}"
        wanted = dict(zip(LINES, first, strict=True))

        def body() -> Any:
            return order(number, *(line(n, qty=str(q)) for n, q in wanted.items()))

        o = app.orders.submit("portal", body()).order
        start = store.outbox.last_seq()  # a re-send reads this order's events again
        sent: dict[str, dict[int, int]] = {}
        rank = ORDER_RANK[o.status]
        assert o.status is OrderState.ACCEPTED
        line_ranks = dict.fromkeys(LINES, 0)
        for step in ops:
            if step[0] == "amend":
                _, n, q = step
                before = dict(wanted)
                wanted[n] = q
                try:
                    app.orders.submit("portal", body())
                except ConflictError:
                    wanted = before  # it shipped (or was cancelled): no longer amendable
                    seen["refused_amendment"] += 1
            elif step[0] == "ship":
                _, doc, n, q = step
                lines = sent.setdefault(f"{number}-{doc}", {})
                lines[n] = lines.get(n, 0) + q  # re-sent with more, or a new line
                data = {
                    "shipment_number": f"{number}-{doc}",
                    "order_number": number,
                    "status": "shipped",
                    "lines": [
                        {"order_line_number": k, "sku": "W-1", "quantity": str(v)}
                        for k, v in lines.items()
                    ],
                }
                app.hub.ingest(
                    [
                        Change(
                            system="erp",
                            entity_type=EntityType.SHIPMENT,
                            native_id=f"{number}-{doc}",
                            data=data,
                        )
                    ]
                )
                app.fulfilment.run()
            elif step[0] == "resend":
                store.cursors.move_by_hand(CURSOR, start, actor="test", reason="resend")
                app.fulfilment.run()
            else:  # cancelled (a partly shipped order: its rest), then the ledger's rest
                with contextlib.suppress(ConflictError):
                    app.orders.cancel(o.id, actor="test", note="cancelled")
                app.fulfilment.release_open(o.id, reason="cancelled")
            now = store.orders.get(o.id)
            assert now is not None
            # Before it ships an amendment may hold the order again; from the first
            # shipment on, its status only moves forward.
            if rank >= ORDER_RANK[OrderState.PARTIALLY_SHIPPED]:
                assert ORDER_RANK[now.status] >= rank
            rank = ORDER_RANK[now.status]
            ordered = {ln.line_number: ln.base_quantity for ln in store.orders.lines(o.id)}
            if step[0] == "cancel" and any(ln.shipped for ln in store.fulfilment.lines(o.id)):
                seen["cancelled_after_shipping"] += 1
            for ln in store.fulfilment.lines(o.id):
                seen["shipped"] += 1 if ln.shipped else 0
                assert (
                    ln.reserved + ln.shipped + ln.released == ln.ordered == ordered[ln.line_number]
                )
                assert min(ln.reserved, ln.shipped, ln.released) >= 0
                assert LINE_RANK[ln.status] >= line_ranks[ln.line_number]
                assert LINE_RANK[ln.status] >= LINE_RANK[line_status(ln)]
                line_ranks[ln.line_number] = LINE_RANK[ln.status]
                # What shipped never exceeds the order, and every reservation's shipped
                # units are what the ledger shipped against the line.
                assert ln.shipped <= ln.ordered
            if not store.fulfilment.lines(o.id):
                assert ordered == {n: Decimal(q) for n, q in wanted.items()}

    run()
    assert all(seen.values()), seen  # the explicit example's interleavings did happen
