"""The fulfilment ledger's in-memory twin (no rollback: use SQLite to test atomicity).

The store's twin keeps no orders table, so the order statuses ``advance``
moves and the steps it adds live here, readable as ``statuses`` and ``steps``.
"""

from __future__ import annotations

from collections.abc import Sequence

from crossdock.store.fulfil_rows import AppliedLine, DocKind, InvoiceBalance, LedgerLine
from crossdock.store.order_rows import OrderState, Step


class MemoryFulfilment:
    """Ledger lines by (order, line), applied lines by (kind, number, key), invoices by number."""

    def __init__(self) -> None:
        self._lines: dict[tuple[str, int], LedgerLine] = {}
        self._applied: dict[tuple[DocKind, str, str], AppliedLine] = {}
        self._invoices: dict[str, InvoiceBalance] = {}
        self.statuses: dict[str, OrderState] = {}
        self.steps: dict[str, list[Step]] = {}

    def lines(self, order_id: str) -> list[LedgerLine]:
        return sorted(
            (ln for (oid, _), ln in self._lines.items() if oid == order_id),
            key=lambda ln: ln.line_number,
        )

    def lock_lines(self, tx: object, order_id: str) -> list[LedgerLine]:
        return self.lines(order_id)

    def applied(self, tx: object, kind: DocKind, number: str) -> dict[str, AppliedLine]:
        return {key: a for (k, n, key), a in self._applied.items() if (k, n) == (kind, number)}

    def save(self, tx: object, lines: Sequence[LedgerLine], applied: Sequence[AppliedLine]) -> None:
        for ln in lines:
            self._lines[(ln.order_id, ln.line_number)] = ln
        for a in applied:
            self._applied[(a.kind, a.number, a.key)] = a

    def advance(
        self,
        tx: object,
        order_id: str,
        status: OrderState | None,
        from_states: Sequence[OrderState],
        *,
        touch: bool,
    ) -> bool:
        current = self.statuses.get(order_id, OrderState.CONFIRMED)
        if status is None or current not in from_states:
            return False
        self.statuses[order_id] = status
        return True

    def note(self, tx: object, order_id: str, steps: Sequence[Step]) -> None:
        self.steps.setdefault(order_id, []).extend(steps)

    def put_invoice(self, tx: object, inv: InvoiceBalance) -> None:
        self._invoices[inv.invoice_number] = inv

    def invoices(self, order_id: str) -> list[InvoiceBalance]:
        return sorted(
            (i for i in self._invoices.values() if i.order_id == order_id),
            key=lambda i: i.invoice_number,
        )


__all__ = ["MemoryFulfilment"]
