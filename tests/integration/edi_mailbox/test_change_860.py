"""860 purchase order changes through the mailbox: amendments and cancels via the order intake."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from crossdock.app import Application
from crossdock.connectors.edi_x12 import ack997
from crossdock.connectors.edi_x12.envelope import read
from crossdock.store.order_rows import Move, OrderState

from .conftest import drop

pytestmark = pytest.mark.integration


def _pass(app: Application) -> None:
    app.attach_steps()
    app.hub.run_steps()


def _acks(mailbox: Path) -> dict[str, ack997.FunctionalAck]:
    acks: dict[str, ack997.FunctionalAck] = {}
    for path in sorted((mailbox / "outbound").glob("*.x12")):
        for ic in read(path.read_bytes()):
            for group in ic.groups:
                for tset in group.sets:
                    ack = ack997.parse(tset)
                    acks[ack.group_control] = ack
    return acks


def _lines(app: Application, number: str) -> list[tuple[int, str, Decimal, str]]:
    orders = app.hub.store.orders
    order = orders.find("bigbox", number)
    assert order is not None, number
    return [(ln.line_number, ln.sku, ln.quantity, ln.unit) for ln in orders.lines(order.id)]


def test_quantity_change_added_line_and_whole_order_cancel(app: Application, mailbox: Path) -> None:
    drop(mailbox, "bigbox_two_orders.x12")
    _pass(app)
    assert _lines(app, "4500012346") == [(10, "W-100", Decimal(3), "CS")]

    drop(mailbox, "bigbox_860_changes.x12")
    _pass(app)
    assert _lines(app, "4500012346") == [
        (10, "W-100", Decimal(6), "CS"),  # QI 3 -> 6
        (20, "W-200", Decimal(5), "EA"),  # AI, the partner's part number BB-55
    ]
    orders = app.hub.store.orders
    cancelled = orders.find("bigbox", "4500012345")
    assert cancelled is not None and cancelled.status is OrderState.CANCELLED
    assert app.hub.store.exceptions.page(system="bigbox", limit=10) == []
    ack = _acks(mailbox)["701"]
    assert ack.ack.value == "A" and [s.ack.value for s in ack.sets] == ["A", "A"]

    drop(mailbox, "bigbox_860_changes.x12", as_name="again.x12")  # the same file again
    _pass(app)
    assert _lines(app, "4500012346")[0][2] == Decimal(6)
    assert app.hub.store.exceptions.page(system="bigbox", limit=10) == []


def test_refused_changes_name_the_element_and_change_nothing(
    app: Application, mailbox: Path
) -> None:
    drop(mailbox, "bigbox_two_orders.x12")
    _pass(app)
    drop(mailbox, "bigbox_860_refused.x12")
    _pass(app)
    assert _lines(app, "4500012346") == [(10, "W-100", Decimal(3), "CS")]  # untouched
    rows = app.hub.store.exceptions.page(system="bigbox", limit=10)
    by_field = {r.field: r.reason for r in rows}
    assert set(by_field) == {"POC01", "POC03", "BCH03", "POC02"}
    assert "has no line 30" in by_field["POC01"]
    assert "QD asks for a quantity decrease" in by_field["POC03"]
    assert "no order 4599999999" in by_field["BCH03"]
    assert "Invalid code value 'XX'" in by_field["POC02"]
    ack = _acks(mailbox)["702"]
    # business refusals are sound X12 (accepted by the 997); the bad change type is not
    assert [s.ack.value for s in ack.sets] == ["A", "A", "A", "R"]
    assert ack.ack.value == "P"


def test_a_change_to_an_order_the_erp_is_processing_is_refused_naming_why(
    app: Application, mailbox: Path
) -> None:
    """The ERP's confirmation is written the way the order engine writes it (no ERP here)."""
    drop(mailbox, "bigbox_two_orders.x12")
    _pass(app)
    orders = app.hub.store.orders
    order = orders.find("bigbox", "4500012346")
    assert order is not None
    confirmed = orders.transition(
        order.id,
        {order.status},
        Move(OrderState.CONFIRMED, erp_id="SO-0077", erp_number="SO-0077"),
    )
    assert confirmed is not None
    drop(mailbox, "bigbox_860_after_erp.x12")
    _pass(app)
    assert _lines(app, "4500012346") == [(10, "W-100", Decimal(3), "CS")]
    rows = app.hub.store.exceptions.page(system="bigbox", limit=10)
    assert len(rows) == 1 and rows[0].native_id == "4500012346"
    assert "the ERP has it as SO-0077" in rows[0].reason
    assert rows[0].code == "conflict"
