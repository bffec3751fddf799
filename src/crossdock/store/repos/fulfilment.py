"""The fulfilment ledger, the document lines applied to it, and customer invoices.

Writes take the caller's write transaction (``tx``): the order service's
fulfilment consumer applies one shipment or invoice (ledger lines, applied
lines, the order's status and timeline, its own cursor, and the availability
reservations it consumes) in one transaction, so a crash leaves all of it or
none. Reads open their own connection.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, select, update

from crossdock.store import schema as t
from crossdock.store.fulfil_rows import AppliedLine, DocKind, InvoiceBalance, LedgerLine, LineStatus
from crossdock.store.order_rows import OrderState, Step
from crossdock.store.repos import rows
from crossdock.store.repos.base import SqlRepo
from crossdock.store.repos.orders import add_steps
from crossdock.store.write import WriteTx

_F, _A, _I, _O = t.order_fulfilment.c, t.order_applied.c, t.customer_invoices.c, t.orders.c


def _ledger(r: Any) -> LedgerLine:
    return LedgerLine(
        r.order_id,
        int(r.line_number),
        r.sku,
        Decimal(r.ordered),
        Decimal(r.reserved),
        Decimal(r.shipped),
        Decimal(r.released),
        Decimal(r.cancelled),
        Decimal(r.invoiced),
        LineStatus(r.status),
    )


def _values(line: LedgerLine) -> dict[str, Any]:
    return {
        "sku": line.sku,
        "ordered": str(line.ordered),
        "reserved": str(line.reserved),
        "shipped": str(line.shipped),
        "released": str(line.released),
        "cancelled": str(line.cancelled),
        "invoiced": str(line.invoiced),
        "status": line.status.value,
    }


class SqlFulfilment(SqlRepo):
    """The ``order_fulfilment``, ``order_applied`` and ``customer_invoices`` tables."""

    # -- the ledger -----------------------------------------------------------------------
    @staticmethod
    def _lines(conn: Connection, order_id: str, lock: Any = None) -> list[LedgerLine]:
        q = select(t.order_fulfilment).where(_F.order_id == order_id).order_by(_F.line_number)
        return [_ledger(r) for r in conn.execute(lock(q) if lock else q).all()]

    def lines(self, order_id: str) -> list[LedgerLine]:
        """The order's ledger (empty until something was applied to it)."""
        with self._engine.connect() as conn:
            return self._lines(conn, order_id)

    def lock_lines(self, tx: WriteTx, order_id: str) -> list[LedgerLine]:
        """The order's ledger, locked for the rest of ``tx``."""
        return self._lines(tx.conn, order_id, self._dialect.lock_select)

    def applied(self, tx: WriteTx, kind: DocKind, number: str) -> dict[str, AppliedLine]:
        """The lines of one document already applied, by line key."""
        found = tx.conn.execute(
            select(t.order_applied).where(_A.kind == kind.value, _A.number == number)
        ).all()
        return {
            r.line_key: AppliedLine(
                DocKind(r.kind),
                r.number,
                r.line_key,
                r.order_id,
                int(r.line_number),
                Decimal(r.quantity),
            )
            for r in found
        }

    def save(
        self, tx: WriteTx, lines: Sequence[LedgerLine], applied: Sequence[AppliedLine]
    ) -> None:
        """Write ledger lines and applied document lines (one upsert per table)."""
        now = rows.now()
        if lines:
            tx.conn.execute(
                self._dialect.upsert(t.order_fulfilment, ["order_id", "line_number"]),
                [
                    {
                        "order_id": ln.order_id,
                        "line_number": ln.line_number,
                        "updated_at": now,
                        **_values(ln),
                    }
                    for ln in lines
                ],
            )
        if applied:
            tx.conn.execute(
                self._dialect.upsert(t.order_applied, ["kind", "number", "line_key"]),
                [
                    {
                        "kind": a.kind.value,
                        "number": a.number,
                        "line_key": a.key,
                        "order_id": a.order_id,
                        "line_number": a.line_number,
                        "quantity": str(a.quantity),
                        "applied_at": now,
                    }
                    for a in applied
                ],
            )

    def advance(
        self,
        tx: WriteTx,
        order_id: str,
        status: OrderState | None,
        from_states: Sequence[OrderState],
        *,
        touch: bool,
    ) -> bool:
        """Move the order to ``status`` if it is still one of ``from_states``; whether it moved.

        ``updated_at`` moves with the status, and with ``touch`` (a shipment or an
        invoice changed the order without moving its status): the channel
        publisher republishes an order whenever it moved.
        """
        now = rows.now()
        if status is not None and from_states:
            cur = tx.conn.execute(
                update(t.orders)
                .where(_O.id == order_id, _O.status.in_([s.value for s in from_states]))
                .values(status=status.value, updated_at=now)
            )
            if cur.rowcount:
                return True
        if touch:
            tx.conn.execute(update(t.orders).where(_O.id == order_id).values(updated_at=now))
        return False

    def note(self, tx: WriteTx, order_id: str, steps: Sequence[Step]) -> None:
        """Append steps to the order's timeline inside ``tx``."""
        add_steps(tx.conn, order_id, steps)

    # -- invoices -------------------------------------------------------------------------
    def put_invoice(self, tx: WriteTx, inv: InvoiceBalance) -> None:
        """Keep an invoice's total and open amount for credit exposure."""
        tx.conn.execute(
            self._dialect.upsert(t.customer_invoices, ["invoice_number"]).values(
                invoice_number=inv.invoice_number,
                order_id=inv.order_id,
                customer_id=inv.customer_id,
                total=str(inv.total),
                open_amount=str(inv.open_amount),
                status=inv.status,
                due_date=inv.due_date,
                updated_at=rows.now(),
            )
        )

    def invoices(self, order_id: str) -> list[InvoiceBalance]:
        """The invoices kept for an order."""
        with self._engine.connect() as conn:
            found = conn.execute(
                select(t.customer_invoices)
                .where(_I.order_id == order_id)
                .order_by(_I.invoice_number)
            ).all()
        return [
            InvoiceBalance(
                r.invoice_number,
                r.order_id,
                r.customer_id,
                Decimal(r.total),
                Decimal(r.open_amount),
                r.status,
                r.due_date,
            )
            for r in found
        ]


__all__ = ["SqlFulfilment"]
