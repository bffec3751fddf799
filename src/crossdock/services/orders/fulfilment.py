"""The fulfilment consumer: canonical shipments and invoices move orders, once each.

It reads ``shipment`` and ``invoice`` events from the outbox behind its own
committed cursor (a pseudo-route, ``_fulfilment``, under a lease so one
process consumes at a time), and applies each event in one write
transaction: the order's ledger lines and applied document lines, the
reservations a shipment consumes, the order's status (forward only) and
timeline, and the cursor. A crash before the commit applies the event again
from the same cursor; after it, never again. Guarantee: at-least-once
reading, and an idempotent application (``order_applied``) — effectively
once. The transaction also checks the lease is still ours (a worker that
stalled past it and lost it to another rolls back instead of applying twice).

An event that cannot apply — no order with its number, two channels' orders
with it, an order on hold or cancelled, a line over what is still open —
becomes a business exception a person can act on (the rest of the event's
lines, and the events after it, go on). :meth:`FulfilmentConsumer.replay`
applies the document's current version again once the cause is fixed.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from crossdock.clock import SYSTEM_CLOCK, Clock
from crossdock.errors import ErrorCode, InvalidInput, NotFound
from crossdock.model.base import EntityType
from crossdock.model.change import ChangeOp
from crossdock.model.invoice import Invoice
from crossdock.model.shipment import Shipment, ShipmentStatus
from crossdock.services.availability import AvailabilityService
from crossdock.services.orders.documents import (
    Book,
    Outcome,
    Refusal,
    apply_invoice,
    apply_shipment,
    release_open,
)
from crossdock.services.orders.intake import load_products
from crossdock.services.orders.ledger import SHIPPABLE
from crossdock.store import EventRow, ExceptionStatus, NewException, Store
from crossdock.store.availability import StockTx
from crossdock.store.leases import acquire, hold, release
from crossdock.store.order_rows import OrderRow
from crossdock.store.repos import rows

log = logging.getLogger(__name__)

#: The outbox cursor of the consumer (no route name starts with an underscore).
CURSOR = "_fulfilment"
BATCH = 200
_KINDS = [EntityType.SHIPMENT, EntityType.INVOICE]
_NOT_SHIPPED = frozenset({ShipmentStatus.PENDING, ShipmentStatus.CANCELLED})
"""A shipment in these statuses has not left: it moves nothing (yet)."""


@dataclass(slots=True)
class FulfilReport:
    applied: int = 0
    skipped: int = 0
    refused: int = 0


@dataclass(frozen=True, slots=True)
class _Doc:
    """An event's document, parsed, with the order it names."""

    kind: EntityType
    number: str
    order: OrderRow
    shipment: Shipment | None = None
    invoice: Invoice | None = None


class FulfilmentConsumer:
    """Applies committed shipments and invoices to orders, in commit order."""

    def __init__(
        self,
        store: Store,
        availability: AvailabilityService,
        *,
        owner: str,
        lease_seconds: float = 30.0,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        self.store = store
        self.availability = availability
        self.owner = owner
        self.lease_seconds = lease_seconds
        self.clock = clock
        self._token: int | None = None

    def run(self) -> FulfilReport:
        """Apply every shipment and invoice committed since the cursor."""
        total = FulfilReport()
        token = acquire(self.store, CURSOR, 0, self.owner, self.lease_seconds, clock=self.clock)
        if token is None:
            return total  # another process is consuming
        self._token = token
        try:
            while True:
                position = self.store.cursors.get(CURSOR).position
                events = self.store.outbox.after(position, limit=BATCH, entity_types=_KINDS)
                for ev in events:
                    self._event(ev, total)
                if len(events) < BATCH:
                    break
        finally:
            self._token = None
            release(self.store, CURSOR, 0, self.owner, token, clock=self.clock)
        if total.applied:
            self.availability.ctx.publisher.drain_if_pending()
        return total

    # -- one event ------------------------------------------------------------------------
    def _event(self, ev: EventRow, report: FulfilReport) -> None:
        doc = self._document(ev) if ev.op is ChangeOp.UPSERT else None
        if isinstance(doc, _Doc):
            out = self._apply(doc, ev, cursor=ev.seq)
            report.applied += 1 if out.applied or out.moved_to else 0
            report.skipped += 0 if out.applied or out.moved_to else 1
            report.refused += len(out.refused)
            return
        with self.store.write() as tx:
            if isinstance(doc, Refusal):
                tx.add_exceptions([self._exception(ev, doc)], rows.now())
                report.refused += 1
            else:
                report.skipped += 1
            self._save_cursor(tx, ev.seq)

    def _document(self, ev: EventRow) -> _Doc | Refusal | None:
        """The event's document and its order; a refusal; or None (nothing to apply)."""
        kind = ev.entity_type
        try:
            if kind is EntityType.SHIPMENT:
                shipment = Shipment.model_validate(ev.data)
                if shipment.status in _NOT_SHIPPED:
                    return None
                number, order_number = shipment.shipment_number, shipment.order_number
                invoice = None
            else:
                invoice = Invoice.model_validate(ev.data)
                number, order_number = invoice.invoice_number, invoice.order_number
                shipment = None
        except ValidationError as exc:
            err = exc.errors()[0]
            where = ".".join(str(p) for p in err["loc"])
            return Refusal(where, f"{kind.value} cannot be read: {err['msg']}", "validation_failed")
        if not order_number:
            return Refusal("order_number", f"{kind.value} {number} names no order", "order_unknown")
        found = self.store.orders.by_number(order_number)
        if not found:
            return Refusal(
                "order_number",
                f"{kind.value} {number}: no order {order_number}; create or correct the order, "
                "then replay",
                ErrorCode.ORDER_UNKNOWN.value,
            )
        if len(found) > 1:
            channels = ", ".join(o.channel for o in found)
            return Refusal(
                "order_number",
                f"{kind.value} {number}: order {order_number} exists in channels {channels}",
                ErrorCode.ORDER_UNKNOWN.value,
            )
        order = found[0]
        if order.status not in SHIPPABLE:
            return Refusal(
                "order_number",
                f"{kind.value} {number}: order {order_number} is {order.status.value}; "
                "release or correct it, then replay",
                ErrorCode.ILLEGAL_TRANSITION.value,
            )
        return _Doc(kind, number, order, shipment, invoice)

    def _apply(self, doc: _Doc, ev: EventRow, *, cursor: int | None) -> Outcome:
        lines = self.store.orders.lines(doc.order.id)
        skus = list(dict.fromkeys(ln.sku for ln in lines))
        products = load_products(self.store, skus)

        def work(stx: StockTx) -> Outcome:
            book = Book(self.store, stx.tx, doc.order, lines)
            if doc.shipment is not None:
                out = apply_shipment(book, self.availability, stx, doc.shipment, products)
            else:
                assert doc.invoice is not None
                out = apply_invoice(book, doc.invoice, products)
            if out.refused:
                stx.tx.add_exceptions(
                    [self._exception(ev, r, doc.order) for r in out.refused], rows.now()
                )
            if cursor is not None:
                self._save_cursor(stx.tx, cursor)
            return out

        return self.availability.ctx.solo(work)

    def _save_cursor(self, tx: Any, position: int) -> None:
        """Move the cursor in the event's transaction, if the lease is still ours.

        If it is not, the whole transaction rolls back: whoever holds it applies the event.
        """
        if self._token is not None:
            hold(tx, CURSOR, 0, self.owner, self._token, self.lease_seconds, clock=self.clock)
        self.store.cursors.save(tx, CURSOR, position, success=True, delivered=1, error=None)

    @staticmethod
    def _exception(ev: EventRow, r: Refusal, order: OrderRow | None = None) -> NewException:
        return NewException(
            system=ev.source_system or "unknown",
            code=r.code,
            reason=r.reason,
            entity_type=ev.entity_type.value,
            native_id=None,
            ref=f"event:{ev.event_id}",
            field=r.field,
            payload={
                "fulfilment": {
                    "entity_type": ev.entity_type.value,
                    "entity_id": ev.entity_id,
                    "order_id": order.id if order else None,
                }
            },
        )

    # -- cancellation ---------------------------------------------------------------------
    def release_open(self, order_id: str, *, reason: str) -> Outcome:
        """The ledger side of a cancellation: every line's open quantity is released.

        The canceller (the order engine) releases the reservations and sets the
        order's status; this keeps ``reserved + shipped + released == ordered``.
        """
        order = self.store.orders.get(order_id)
        if order is None:
            raise NotFound(f"no order {order_id!r}")
        lines = self.store.orders.lines(order_id)
        with self.store.write() as tx:
            return release_open(Book(self.store, tx, order, lines), reason=reason)

    # -- a person's replay ------------------------------------------------------------------
    def replay(self, exc_id: int, *, actor: str) -> Outcome:
        """Apply the document an exception names again, as it stands now; resolve it if it did.

        Lines applied before count once (the ledger remembers them); a line still
        refused files a new exception and this one is marked retried.
        """
        row = self.store.exceptions.get(exc_id)
        if row is None:
            raise NotFound(f"no exception {exc_id}")
        if row.status is not ExceptionStatus.OPEN:
            raise InvalidInput(
                f"exception {exc_id} is {row.status.value}, not open", field="status"
            )
        kept = (row.payload or {}).get("fulfilment")
        if not isinstance(kept, dict):
            raise InvalidInput(f"exception {exc_id} is not about a shipment or invoice", field="id")
        entity_type = EntityType(kept["entity_type"])
        rec = self.store.records.get(entity_type, str(kept["entity_id"]))
        if rec is None or rec.deleted:
            raise NotFound(f"{entity_type.value} {kept['entity_id']} is gone")
        ev = EventRow(
            seq=0,
            event_id=f"replay:{exc_id}",
            entity_type=entity_type,
            entity_id=rec.id,
            version=rec.version,
            op=ChangeOp.UPSERT,
            source_system=row.system,
            changed=[],
            data=rec.data,
            time=self.clock.now(),
        )
        doc = self._document(ev)
        if isinstance(doc, Refusal):
            raise InvalidInput(f"exception {exc_id}: {doc.reason}", field=doc.field)
        if doc is None:
            raise InvalidInput(f"exception {exc_id}: nothing to apply any more", field="id")
        out = self._apply(doc, ev, cursor=None)
        status = ExceptionStatus.RETRIED if out.refused else ExceptionStatus.RESOLVED
        self.store.exceptions.set_status(exc_id, status, actor=actor, note="replayed")
        if out.applied:
            self.availability.ctx.publisher.drain_if_pending()
        return out


__all__ = ["CURSOR", "FulfilReport", "FulfilmentConsumer"]
