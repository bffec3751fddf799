"""Order, shipment and invoice: lines, lifecycle, totals and natural keys."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from crossdock.model import (
    ALLOWED_TRANSITIONS,
    Invoice,
    InvoiceStatus,
    Order,
    OrderLineStatus,
    OrderStatus,
    Shipment,
    ShipmentStatus,
    can_transition,
)

ORDER: dict[str, Any] = {
    "order_number": "SO-1001",
    "channel": "edi",
    "customer_account": "C100",
    "sold_to": "C100-BT",
    "ship_to": "C100-ST1",
    "bill_to": "C100-BT",
    "customer_po": "PO-77",
    "currency": "USD",
    "order_date": "2025-03-01T14:30:00+00:00",
    "requested_date": "2025-03-08",
    "status": "confirmed",
    "lines": [
        {
            "line_number": 1,
            "sku": "W-1",
            "quantity": "2",
            "unit": "CS",
            "unit_price": "100.00",
            "extended_price": "200.00",
            "status": "allocated",
        },
        {
            "line_number": 2,
            "sku": "B-2",
            "quantity": "0.5",
            "unit": "LB",
            "unit_price": "3",
            "extended_price": "1.50",
            "requested_date": "2025-03-10",
        },
    ],
    "totals": {"subtotal": "201.50", "tax": "16.12", "freight": "0", "total": "217.62"},
    "notes": "dock 4",
}

SHIPMENT: dict[str, Any] = {
    "shipment_number": "SH-1",
    "order_number": "SO-1001",
    "ship_from": "W01",
    "ship_to": "C100-ST1",
    "carrier": "UPS",
    "service": "GROUND",
    "tracking_numbers": ["1Z999", "1Z998"],
    "status": "shipped",
    "shipped_at": "2025-03-07T09:00:00Z",
    "lines": [{"order_line_number": 1, "sku": "W-1", "quantity": "2", "unit": "CS", "lot": "L7"}],
}

LINE: dict[str, Any] = {
    "line_number": 1,
    "sku": "W-1",
    "description": "Widget case",
    "quantity": "2",
    "unit": "CS",
    "unit_price": "100.00",
    "extended_price": "200.00",
    "tax": "16.00",
}
INVOICE: dict[str, Any] = {
    "invoice_number": "INV-9",
    "order_number": "SO-1001",
    "customer_account": "C100",
    "bill_to": "C100-BT",
    "currency": "USD",
    "invoice_date": "2025-03-07",
    "due_date": "2025-04-06",
    "status": "open",
    "lines": [LINE, {**LINE, "line_number": 2, "extended_price": "0.50"}],
    "totals": {"subtotal": "200.5", "tax": "16.00", "total": "216.50"},
}


def locs(exc: pytest.ExceptionInfo[ValidationError]) -> list[tuple[int | str, ...]]:
    return [tuple(e["loc"]) for e in exc.value.errors()]


def test_full_documents_are_valid() -> None:
    o = Order.model_validate(ORDER)
    assert o.status is OrderStatus.CONFIRMED and o.lines[0].status is OrderLineStatus.ALLOCATED
    assert o.lines[1].quantity == Decimal("0.5")
    s = Shipment.model_validate(SHIPMENT)
    assert s.status is ShipmentStatus.SHIPPED and s.lines[0].lot == "L7"
    i = Invoice.model_validate(INVOICE)
    assert i.status is InvoiceStatus.OPEN and i.totals is not None
    assert i.totals.subtotal == Decimal("200.50")


def test_only_the_document_number_is_required() -> None:
    for model, key in (
        (Order, "order_number"),
        (Shipment, "shipment_number"),
        (Invoice, "invoice_number"),
    ):
        record = model.model_validate({key: "N-1"})
        assert record.model_dump(exclude_none=True, exclude_defaults=True) == {key: "N-1"}
        with pytest.raises(ValidationError) as err:
            model.model_validate({})
        assert locs(err) == [(key,)]


def test_order_validators_name_the_field() -> None:
    line = {"line_number": 1, "sku": "A", "quantity": "1"}
    cases: list[tuple[dict[str, Any], tuple[int | str, ...]]] = [
        ({"lines": [line, line]}, ("lines",)),
        ({"lines": [{**line, "quantity": "0"}]}, ("lines", 0, "quantity")),
        ({"lines": [{**line, "quantity": 1.5}]}, ("lines", 0, "quantity")),
        ({"lines": [{**line, "unit_price": "-1"}]}, ("lines", 0, "unit_price")),
        ({"lines": [{**line, "status": "lost"}]}, ("lines", 0, "status")),
        ({"status": "shipping"}, ("status",)),
        ({"totals": {"total": 10.5}}, ("totals", "total")),
    ]
    for data, loc in cases:
        with pytest.raises(ValidationError) as err:
            Order.model_validate({"order_number": "SO-1", **data})
        assert locs(err) == [loc], data


def test_the_lifecycle() -> None:
    assert set(ALLOWED_TRANSITIONS) == set(OrderStatus)
    assert can_transition(OrderStatus.DRAFT, OrderStatus.SUBMITTED)
    assert can_transition(OrderStatus.SUBMITTED, OrderStatus.ON_HOLD)
    assert can_transition(OrderStatus.SUBMITTED, OrderStatus.SHIPPED)  # no ERP confirms it
    assert not can_transition(OrderStatus.ON_HOLD, OrderStatus.SHIPPED)
    assert can_transition(OrderStatus.ON_HOLD, OrderStatus.CONFIRMED)
    assert can_transition(OrderStatus.CONFIRMED, OrderStatus.PARTIALLY_SHIPPED)
    assert can_transition(OrderStatus.PARTIALLY_SHIPPED, OrderStatus.SHIPPED)
    assert can_transition(OrderStatus.SHIPPED, OrderStatus.INVOICED)
    assert can_transition(OrderStatus.INVOICED, OrderStatus.CLOSED)
    assert can_transition(OrderStatus.SHIPPED, OrderStatus.SHIPPED)
    assert not can_transition(OrderStatus.SHIPPED, OrderStatus.SUBMITTED)
    assert not can_transition(OrderStatus.SHIPPED, OrderStatus.CANCELLED)
    for final in (OrderStatus.CLOSED, OrderStatus.CANCELLED):
        assert not ALLOWED_TRANSITIONS[final]
        assert not any(can_transition(final, s) for s in OrderStatus if s is not final)
    with pytest.raises(TypeError):
        ALLOWED_TRANSITIONS[OrderStatus.CLOSED] = frozenset({OrderStatus.DRAFT})  # type: ignore[index]


def test_shipment_validators_name_the_field() -> None:
    cases: list[tuple[dict[str, Any], tuple[int | str, ...]]] = [
        ({"status": "lost"}, ("status",)),
        ({"lines": [{"sku": "A", "quantity": "0"}]}, ("lines", 0, "quantity")),
        ({"lines": [{"quantity": "1"}]}, ("lines", 0, "sku")),
        ({"shipped_at": "yesterday"}, ("shipped_at",)),
    ]
    for data, loc in cases:
        with pytest.raises(ValidationError) as err:
            Shipment.model_validate({"shipment_number": "SH-1", **data})
        assert locs(err) == [loc], data


def test_invoice_subtotal_must_match_the_lines() -> None:
    with pytest.raises(ValidationError) as err:
        Invoice.model_validate({**INVOICE, "totals": {"subtotal": "201"}})
    assert locs(err) == [("totals",)]
    assert "totals.subtotal 201 differs" in str(err.value) and "200.50" in str(err.value)
    # Without lines, or without a subtotal, there is nothing to compare.
    Invoice.model_validate({"invoice_number": "I", "totals": {"subtotal": "5"}})
    Invoice.model_validate({**INVOICE, "totals": {"tax": "1"}})


def test_invoice_validators_name_the_field() -> None:
    cases: list[tuple[dict[str, Any], tuple[int | str, ...]]] = [
        ({"due_date": "2025-03-01"}, ("due_date",)),
        ({"lines": [LINE, LINE]}, ("lines",)),
        ({"lines": [{**LINE, "extended_price": 200.0}]}, ("lines", 0, "extended_price")),
        ({"status": "settled"}, ("status",)),
    ]
    for data, loc in cases:
        with pytest.raises(ValidationError) as err:
            Invoice.model_validate({**INVOICE, **data})
        assert locs(err) == [loc], data


def test_natural_keys() -> None:
    assert Order.natural_keys({"order_number": " SO-1 "}) == [("order_number", "SO-1")]
    assert Shipment.natural_keys({"shipment_number": "SH-1"}) == [("shipment_number", "SH-1")]
    assert Invoice.natural_keys({"invoice_number": "INV-9"}) == [("invoice_number", "INV-9")]
    assert Order.natural_keys({"customer_po": "PO"}) == []


def test_json_round_trips() -> None:
    o = Order.model_validate(ORDER)
    doc = o.model_dump(mode="json", exclude_none=True)
    assert doc["totals"]["freight"] == "0" and doc["lines"][1]["quantity"] == "0.5"
    assert Order.model_validate(doc) == o
    s = Shipment.model_validate(SHIPMENT)
    assert Shipment.model_validate(s.model_dump(mode="json", exclude_none=True)) == s
    i = Invoice.model_validate(INVOICE)
    assert Invoice.model_validate(i.model_dump(mode="json", exclude_none=True)) == i
