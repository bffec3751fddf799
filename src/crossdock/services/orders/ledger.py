"""The fulfilment ledger's arithmetic: ship, invoice, amend, cancel, and the statuses they give.

Pure functions over :class:`~crossdock.store.fulfil_rows.LedgerLine` (base
units). Each keeps ``reserved + shipped + released == ordered`` or refuses
with :class:`LedgerRefused`, leaving the line as it was. Statuses derive
from the quantities and only move forward: a line's is the higher-ranked of
the one it had and the one its quantities give; the order's is ranked by
:data:`ORDER_RANK` and a caller writes it only when it ranks higher.

The order is *invoiced* when nothing is left to ship and every line that
shipped is invoiced at least as far as it shipped; an invoice that comes
while a backorder is still open is recorded, and the order stays partially
shipped until the rest ships (otherwise it would have to move backwards).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from decimal import Decimal

from crossdock.store.fulfil_rows import LINE_RANK, LedgerLine, LineStatus
from crossdock.store.order_rows import OrderState

_ZERO = Decimal(0)

ORDER_RANK = {
    OrderState.RECEIVED: 0,
    OrderState.ON_HOLD: 0,
    OrderState.ACCEPTED: 1,
    OrderState.CONFIRMED: 2,
    OrderState.PARTIALLY_SHIPPED: 3,
    OrderState.SHIPPED: 4,
    OrderState.INVOICED: 5,
    OrderState.REJECTED: 9,
    OrderState.CANCELLED: 9,
}
"""An order's status moves only to a higher rank; rejected and cancelled are final."""

SHIPPABLE = frozenset(
    {
        OrderState.ACCEPTED,
        OrderState.CONFIRMED,
        OrderState.PARTIALLY_SHIPPED,
        OrderState.SHIPPED,
        OrderState.INVOICED,
    }
)
"""Order states a shipment or an invoice may be applied in."""


class LedgerRefused(Exception):
    """A move the ledger cannot make; the reason names the line and what a person can do."""

    def __init__(self, reason: str, *, code: str = "conflict") -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code


def new_line(order_id: str, line_number: int, sku: str, ordered: Decimal) -> LedgerLine:
    """A line as the order placed it: everything ordered still to ship."""
    return LedgerLine(order_id, line_number, sku, ordered, ordered)


def line_status(line: LedgerLine) -> LineStatus:
    """The status the line's quantities give (before the forward-only rule)."""
    if line.shipped > 0:
        if line.reserved > 0:
            return LineStatus.PARTIALLY_SHIPPED
        return LineStatus.INVOICED if line.invoiced >= line.shipped else LineStatus.SHIPPED
    if line.reserved == 0 and line.released > 0:
        return LineStatus.CANCELLED
    return LineStatus.OPEN


def _settle(line: LedgerLine) -> LedgerLine:
    derived = line_status(line)
    if LINE_RANK[derived] > LINE_RANK[line.status]:
        return replace(line, status=derived)
    return line


def ship(line: LedgerLine, quantity: Decimal) -> LedgerLine:
    """``quantity`` of the line left the warehouse: it is no longer reserved but shipped."""
    if quantity <= 0:
        raise LedgerRefused(f"line {line.line_number}: a shipped quantity must be positive")
    if quantity > line.reserved:
        raise LedgerRefused(
            f"line {line.line_number} ({line.sku}): {quantity} shipped but only "
            f"{line.reserved} of {line.ordered} ordered is still open "
            f"({line.shipped} shipped, {line.released} released); check the shipment "
            "or amend the order in the ERP, then replay",
            code="over_shipped",
        )
    return _settle(
        replace(line, reserved=line.reserved - quantity, shipped=line.shipped + quantity)
    )


def invoice(line: LedgerLine, quantity: Decimal) -> LedgerLine:
    """``quantity`` of the line was billed (an invoice may run ahead of shipping)."""
    if quantity <= 0:
        raise LedgerRefused(f"line {line.line_number}: an invoiced quantity must be positive")
    if line.invoiced + quantity > line.ordered - line.released:
        raise LedgerRefused(
            f"line {line.line_number} ({line.sku}): {line.invoiced + quantity} invoiced in all "
            f"but only {line.ordered - line.released} can be (ordered less released)",
            code="over_invoiced",
        )
    return _settle(replace(line, invoiced=line.invoiced + quantity))


def untouched(line: LedgerLine) -> bool:
    """Nothing of the line shipped, went back or was billed: it may still be amended."""
    return not (line.shipped or line.released or line.invoiced) and line.status is LineStatus.OPEN


def amend(line: LedgerLine, ordered: Decimal) -> LedgerLine:
    """A new ordered quantity, allowed while nothing of the line shipped or went back."""
    if ordered <= 0:
        raise LedgerRefused(f"line {line.line_number}: an ordered quantity must be positive")
    if not untouched(line):
        raise LedgerRefused(
            f"line {line.line_number}: {line.shipped} shipped and {line.released} released "
            "already; a quantity change goes to the ERP now",
            code="not_amendable",
        )
    return replace(line, ordered=ordered, reserved=ordered)


def cancel(line: LedgerLine) -> LedgerLine:
    """Give back what the line still expects to ship (what shipped stays shipped)."""
    if line.reserved == 0:
        return line
    return _settle(
        replace(
            line,
            reserved=_ZERO,
            released=line.released + line.reserved,
            cancelled=line.cancelled + line.reserved,
        )
    )


def order_status(lines: Sequence[LedgerLine]) -> OrderState | None:
    """The order status the ledger gives, or None while nothing shipped."""
    shipped = [ln for ln in lines if ln.shipped > 0]
    if not shipped:
        return None
    if any(ln.reserved > 0 for ln in lines):
        return OrderState.PARTIALLY_SHIPPED
    if all(ln.invoiced >= ln.shipped for ln in shipped):
        return OrderState.INVOICED
    return OrderState.SHIPPED


def moves_forward(current: OrderState, new: OrderState | None) -> bool:
    """Whether ``new`` ranks above ``current`` (a final status never moves)."""
    return new is not None and ORDER_RANK[current] < ORDER_RANK[new] < 9


__all__ = [
    "ORDER_RANK",
    "SHIPPABLE",
    "LedgerRefused",
    "amend",
    "cancel",
    "invoice",
    "line_status",
    "moves_forward",
    "new_line",
    "order_status",
    "ship",
    "untouched",
]
