"""The fulfilment ledger as the store keeps it: one row per order line, and what was applied.

Quantities are in the item's base unit. Per line, ``reserved + shipped +
released == ordered`` always holds: ``reserved`` is what the order still
expects to ship (held or allocated for it by the availability service when
the order was accepted), ``released`` what it gave back without shipping
(``cancelled`` is the part of it a cancellation gave back), ``invoiced``
what invoices billed. Each document line (a shipment's or an invoice's) is
applied once: :class:`AppliedLine` remembers how much of it already counts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum


class DocKind(StrEnum):
    """The documents that move a ledger."""

    SHIPMENT = "shipment"
    INVOICE = "invoice"


class LineStatus(StrEnum):
    """Where one order line is in its fulfilment; statuses only move up :data:`LINE_RANK`."""

    OPEN = "open"
    PARTIALLY_SHIPPED = "partially_shipped"
    SHIPPED = "shipped"
    INVOICED = "invoiced"
    CANCELLED = "cancelled"


LINE_RANK = {
    LineStatus.OPEN: 0,
    LineStatus.PARTIALLY_SHIPPED: 1,
    LineStatus.SHIPPED: 2,
    LineStatus.INVOICED: 3,
    LineStatus.CANCELLED: 4,
}
"""A line's status moves only to a higher rank (cancelled: nothing of it ever shipped)."""

_ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class LedgerLine:
    order_id: str
    line_number: int
    sku: str
    ordered: Decimal
    reserved: Decimal
    shipped: Decimal = _ZERO
    released: Decimal = _ZERO
    cancelled: Decimal = _ZERO
    invoiced: Decimal = _ZERO
    status: LineStatus = LineStatus.OPEN


@dataclass(frozen=True, slots=True)
class AppliedLine:
    """How much of one document line already counts in an order line (base units)."""

    kind: DocKind
    number: str
    key: str
    order_id: str
    line_number: int
    quantity: Decimal


@dataclass(frozen=True, slots=True)
class InvoiceBalance:
    """One customer invoice as credit exposure sees it: what it bills and what is still owed."""

    invoice_number: str
    order_id: str
    customer_id: str
    total: Decimal
    open_amount: Decimal
    status: str
    due_date: date | None = None


__all__ = [
    "LINE_RANK",
    "AppliedLine",
    "DocKind",
    "InvoiceBalance",
    "LedgerLine",
    "LineStatus",
]
