"""The fulfilment ledger's arithmetic and statuses, without a store."""

from __future__ import annotations

from decimal import Decimal as D  # noqa: N817

import pytest

from crossdock.model.order import OrderStatus
from crossdock.services.orders import ledger
from crossdock.services.orders.engine import canonical_status
from crossdock.store.fulfil_rows import LineStatus
from crossdock.store.order_rows import OrderState


def test_partial_ships_then_invoices_walk_the_line_and_the_order_forward() -> None:
    a = ledger.new_line("o", 1, "A", D(5))
    b = ledger.new_line("o", 2, "B", D(2))
    assert ledger.order_status([a, b]) is None
    a = ledger.ship(a, D(3))
    assert (a.reserved, a.shipped, a.status) == (D(2), D(3), LineStatus.PARTIALLY_SHIPPED)
    assert ledger.order_status([a, b]) is OrderState.PARTIALLY_SHIPPED
    a, b = ledger.ship(a, D(2)), ledger.cancel(b)
    assert (a.status, b.status, b.cancelled) == (LineStatus.SHIPPED, LineStatus.CANCELLED, D(2))
    assert ledger.order_status([a, b]) is OrderState.SHIPPED
    a = ledger.invoice(a, D(5))
    assert a.status is LineStatus.INVOICED
    assert ledger.order_status([a, b]) is OrderState.INVOICED


def test_an_invoice_while_a_backorder_is_open_keeps_the_order_partially_shipped() -> None:
    a = ledger.invoice(ledger.ship(ledger.new_line("o", 1, "A", D(5)), D(2)), D(5))
    assert ledger.order_status([a]) is OrderState.PARTIALLY_SHIPPED
    assert ledger.order_status([ledger.ship(a, D(3))]) is OrderState.INVOICED


def test_refusals_leave_the_line_as_it_was() -> None:
    a = ledger.ship(ledger.new_line("o", 1, "A", D(5)), D(4))
    with pytest.raises(ledger.LedgerRefused) as over:
        ledger.ship(a, D(2))
    assert over.value.code == "over_shipped" and "only 1 of 5" in over.value.reason
    with pytest.raises(ledger.LedgerRefused, match="goes to the ERP"):
        ledger.amend(a, D(9))
    with pytest.raises(ledger.LedgerRefused) as billed:
        ledger.invoice(a, D(6))
    assert billed.value.code == "over_invoiced"
    assert ledger.amend(ledger.new_line("o", 1, "A", D(5)), D(7)).reserved == D(7)


def test_statuses_rank_forward_only_and_final_ones_never_move() -> None:
    assert ledger.moves_forward(OrderState.CONFIRMED, OrderState.SHIPPED)
    assert not ledger.moves_forward(OrderState.INVOICED, OrderState.SHIPPED)
    assert not ledger.moves_forward(OrderState.CANCELLED, OrderState.SHIPPED)
    assert not ledger.moves_forward(OrderState.SHIPPED, None)


def test_every_order_state_the_engine_publishes_has_a_canonical_status() -> None:
    assert all(canonical_status(s) for s in OrderState if s is not OrderState.RECEIVED)
    assert canonical_status(OrderState.PARTIALLY_SHIPPED) is OrderStatus.PARTIALLY_SHIPPED
