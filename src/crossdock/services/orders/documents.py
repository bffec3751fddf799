"""One shipment or invoice applied to an order: its lines matched, converted, and counted once.

:func:`apply_shipment` and :func:`apply_invoice` run inside the consumer's
write transaction (a :class:`~crossdock.store.availability.StockTx`, whose
``tx`` is the store's): they read the order's ledger locked, match each
document line to an order line (by ``order_line_number``, else by SKU),
convert its quantity to base units, and apply what the document adds beyond
what of it already counts (``order_applied``), so the same version again, or
the document re-sent with more lines, changes nothing twice. A shipment also
consumes the order's reservations for the line (preferring its ``ship_from``
location). A line that cannot apply is a :class:`Refusal` (the rest apply).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from crossdock.errors import ConflictError, NotFound
from crossdock.model.invoice import Invoice, InvoiceStatus
from crossdock.model.product import Product, UnknownUnitError
from crossdock.model.shipment import Shipment
from crossdock.services.availability import AvailabilityService
from crossdock.services.availability.buckets import from_units
from crossdock.services.orders import ledger
from crossdock.store import Store
from crossdock.store.availability import StockTx
from crossdock.store.fulfil_rows import AppliedLine, DocKind, InvoiceBalance, LedgerLine
from crossdock.store.order_rows import LineRow, OrderRow, ReservationLink, Step
from crossdock.store.write import WriteTx

_ZERO = Decimal(0)
_NOT_OWED = frozenset({InvoiceStatus.PAID, InvoiceStatus.VOID, InvoiceStatus.DRAFT})
"""Invoice statuses with nothing left to pay (and, but for paid, nothing billed)."""


@dataclass(frozen=True, slots=True)
class Refusal:
    field: str
    reason: str
    code: str


@dataclass(slots=True)
class Outcome:
    """What applying one document did."""

    applied: list[dict[str, Any]] = field(default_factory=list)
    refused: list[Refusal] = field(default_factory=list)
    moved_to: str | None = None


@dataclass(frozen=True, slots=True)
class Wanted:
    """One document line, grouped by key: what it names and how much of it in all."""

    key: str
    where: str
    line_number: int | None
    sku: str | None
    quantity: Decimal
    unit: str | None


class Book:
    """The order's ledger inside the transaction, with what this document changes."""

    def __init__(
        self, store: Store, tx: WriteTx, order: OrderRow, lines: Sequence[LineRow]
    ) -> None:
        self.store = store
        self.tx = tx
        self.order = order
        self.rows = {ln.line_number: ln for ln in lines}
        held = {ln.line_number: ln for ln in store.fulfilment.lock_lines(self.tx, order.id)}
        for ln in lines:
            was = held.get(ln.line_number)
            if was is None:
                held[ln.line_number] = ledger.new_line(
                    order.id, ln.line_number, ln.sku, ln.base_quantity
                )
            elif was.ordered != ln.base_quantity and ledger.untouched(was):
                # amended since the ledger was written, before anything of it moved
                held[ln.line_number] = ledger.amend(was, ln.base_quantity)
        self.lines = held
        self.changed: set[int] = set()
        self.applied: list[AppliedLine] = []

    def match(self, want: Wanted) -> LedgerLine | Refusal:
        if want.line_number is not None:
            found = self.lines.get(want.line_number)
            if found is None:
                return Refusal(
                    f"{want.where}.order_line_number",
                    f"order {self.order.order_number} has no line {want.line_number}",
                    "validation_failed",
                )
            if want.sku and want.sku != found.sku:
                return Refusal(
                    f"{want.where}.sku",
                    f"line {want.line_number} of order {self.order.order_number} is "
                    f"{found.sku}, not {want.sku}",
                    "validation_failed",
                )
            return found
        same = [ln for ln in self.lines.values() if ln.sku == want.sku]
        if not same:
            return Refusal(
                f"{want.where}.sku",
                f"order {self.order.order_number} has no line for {want.sku}",
                "validation_failed",
            )
        return next((ln for ln in same if ln.reserved > 0), same[0])

    def base(
        self, want: Wanted, line: LedgerLine, products: dict[str, Product]
    ) -> Decimal | Refusal:
        """The document line's quantity in the item's base unit."""
        row = self.rows[line.line_number]
        product = products.get(line.sku)
        unit = want.unit or (product.base_uom if product else row.unit)
        if unit == row.unit and row.quantity:
            return want.quantity * row.base_quantity / row.quantity
        if product is None:
            return Refusal(
                f"{want.where}.unit",
                f"{line.sku} is unknown; cannot convert {unit}",
                "unknown_unit",
            )
        try:
            return product.to_base(want.quantity, unit)
        except UnknownUnitError as exc:
            return Refusal(f"{want.where}.unit", str(exc), "unknown_unit")

    def put(self, line: LedgerLine, applied: AppliedLine) -> None:
        self.lines[line.line_number] = line
        self.changed.add(line.line_number)
        self.applied.append(applied)

    def save(self) -> list[LedgerLine]:
        """Write the lines that moved and the applied lines; every line, for the status.

        A line nothing moved is not written: until something of it moves, the order's
        line (which an amendment may still change) is its ledger.
        """
        moved = [ln for n, ln in self.lines.items() if n in self.changed]
        self.store.fulfilment.save(self.tx, moved, self.applied)
        return list(self.lines.values())


def _group(kind: DocKind, wants: list[Wanted]) -> list[Wanted]:
    """Lines with the same key (a lot split in two rows) count as one."""
    out: dict[str, Wanted] = {}
    for w in wants:
        prev = out.get(w.key)
        out[w.key] = w if prev is None else replace(prev, quantity=prev.quantity + w.quantity)
    return list(out.values())


def _apply_lines(
    book: Book,
    kind: DocKind,
    number: str,
    wants: list[Wanted],
    products: dict[str, Product],
    move: Any,
    out: Outcome,
) -> list[tuple[LedgerLine, Decimal, str]]:
    """Apply each grouped line's delta through ``move`` (ship or invoice); what moved."""
    done = book.store.fulfilment.applied(book.tx, kind, number)
    moved: list[tuple[LedgerLine, Decimal, str]] = []
    for want in _group(kind, wants):
        line = book.match(want)
        if isinstance(line, Refusal):
            out.refused.append(line)
            continue
        base = book.base(want, line, products)
        if isinstance(base, Refusal):
            out.refused.append(base)
            continue
        before = done[want.key].quantity if want.key in done else _ZERO
        delta = base - before
        if delta == 0:
            continue
        if delta < 0:
            out.refused.append(
                Refusal(
                    f"{want.where}.quantity",
                    f"{kind.value} {number} now says {base} of line {line.line_number} where "
                    f"{before} was applied; what was applied stands",
                    "conflict",
                )
            )
            continue
        try:
            after = move(line, delta)
        except ledger.LedgerRefused as exc:
            out.refused.append(Refusal(f"{want.where}.quantity", exc.reason, exc.code))
            continue
        book.put(after, AppliedLine(kind, number, want.key, book.order.id, line.line_number, base))
        moved.append((after, delta, want.key))
        out.applied.append({"line": line.line_number, "sku": line.sku, "quantity": str(delta)})
    return moved


def _consume(
    availability: AvailabilityService,
    stx: StockTx,
    links: Sequence[ReservationLink],
    line_number: int,
    quantity: Decimal,
    key: str,
    prefer: str | None,
) -> Decimal:
    """Ship ``quantity`` of the line against its reservations; what no reservation covered."""
    left = quantity
    mine = sorted(
        (ln for ln in links if ln.line_number == line_number),
        key=lambda ln: (ln.location != prefer, ln.location),
    )
    for link in mine:
        if left <= 0:
            break
        room = link.quantity - from_units(stx.shipped_of(link.reservation_id))
        part = min(left, room)
        if part <= 0:
            continue
        try:
            availability.reservations.ship_in(
                stx, link.reservation_id, part, f"{key}:{link.reservation_id}"
            )
        except (ConflictError, NotFound):
            continue  # released or expired: nothing of it is allocated any more
        left -= part
    return left


def apply_shipment(
    book: Book,
    availability: AvailabilityService,
    stx: StockTx,
    doc: Shipment,
    products: dict[str, Product],
) -> Outcome:
    """Apply a shipment's lines to the order's ledger and consume its reservations."""
    out = Outcome()
    wants = [
        Wanted(
            f"{ln.order_line_number or ''}|{ln.sku}|{ln.lot or ''}",
            f"lines.{i}",
            ln.order_line_number,
            ln.sku,
            ln.quantity,
            ln.unit,
        )
        for i, ln in enumerate(doc.lines)
    ]
    number = doc.shipment_number
    late = _late_tracking(book, doc)
    moved = _apply_lines(book, DocKind.SHIPMENT, number, wants, products, ledger.ship, out)
    links = book.store.orders.reservations(book.order.id, held_only=True)
    unreserved: dict[int, str] = {}
    for line, delta, key in moved:
        target = f"shipment:{doc.shipment_number}:{key}:{line.shipped}"
        rest = _consume(availability, stx, links, line.line_number, delta, target, doc.ship_from)
        if rest > 0:
            unreserved[line.line_number] = str(rest)
    all_lines = book.save()
    _finish(
        book,
        all_lines,
        out,
        Step(
            "shipment",
            "applied" if out.applied else "unchanged",
            {
                "shipment_number": doc.shipment_number,
                "carrier": doc.carrier,
                "service": doc.service,
                "tracking_numbers": doc.tracking_numbers,
                "ship_from": doc.ship_from,
                "lines": out.applied,
                "unreserved": unreserved,
                "refused": [r.reason for r in out.refused],
            },
        ),
        touch=bool(out.applied or late),
    )
    return out


def _late_tracking(book: Book, doc: Shipment) -> bool:
    """Whether the shipment names tracking numbers its earlier versions did not (a new parcel).

    The order is then republished (its ``shipments`` carry them) although no
    line moved, so a channel can show them.
    """
    known: set[str] = set()
    for step in book.store.orders.timeline(book.order.id):
        if step.kind == "shipment" and step.detail.get("shipment_number") == doc.shipment_number:
            known.update(str(t) for t in step.detail.get("tracking_numbers") or [])
    return bool(known) and any(t not in known for t in doc.tracking_numbers)


def owed(total: Decimal, status: InvoiceStatus, amount_due: Decimal | None) -> Decimal:
    """What an invoice still counts in credit exposure.

    Paid, void or draft: nothing. Otherwise what the ERP says is left to pay,
    never more than the total; without that, the total. A partly paid invoice
    therefore counts what is left (never nothing, as if it were paid).
    """
    if status in _NOT_OWED:
        return _ZERO
    if amount_due is None:
        return total
    return max(_ZERO, min(total, amount_due)) if total >= _ZERO else total


def apply_invoice(book: Book, doc: Invoice, products: dict[str, Product]) -> Outcome:
    """Apply an invoice's lines to the ledger; keep its open amount for credit exposure."""
    out = Outcome()
    order = book.order
    total = (
        doc.totals.total
        if doc.totals is not None and doc.totals.total is not None
        else sum((ln.extended_price for ln in doc.lines), _ZERO)
    )
    status = doc.status or InvoiceStatus.OPEN
    book.store.fulfilment.put_invoice(
        book.tx,
        InvoiceBalance(
            doc.invoice_number,
            order.id,
            order.customer_id,
            total if status is not InvoiceStatus.VOID else _ZERO,
            owed(total, status, doc.amount_due),
            status.value,
            doc.due_date,
        ),
    )
    if status not in (InvoiceStatus.VOID, InvoiceStatus.DRAFT):
        skus = {ln.sku for ln in book.lines.values()}
        wants = [
            Wanted(
                str(ln.line_number),
                f"lines.{i}",
                ln.line_number if ln.line_number in book.lines else None,
                ln.sku,
                ln.quantity,
                ln.unit,
            )
            for i, ln in enumerate(doc.lines)
            if ln.sku in skus and ln.quantity > 0  # freight, fees: not order lines
        ]
        number = doc.invoice_number
        _apply_lines(book, DocKind.INVOICE, number, wants, products, ledger.invoice, out)
    all_lines = book.save()
    _finish(
        book,
        all_lines,
        out,
        Step(
            "invoice",
            status.value,
            {
                "invoice_number": doc.invoice_number,
                "total": str(total),
                "due_date": doc.due_date.isoformat() if doc.due_date else None,
                "lines": out.applied,
                "refused": [r.reason for r in out.refused],
            },
        ),
    )
    return out


def release_open(book: Book, *, reason: str) -> Outcome:
    """Give back, in the ledger, what every line still expects to ship (a cancellation).

    What shipped stays shipped; an order that shipped in part is shipped now
    (forward only). Any other status is the canceller's to set.
    """
    out = Outcome()
    for n, line in list(book.lines.items()):
        book.lines[n] = ledger.cancel(line)
        book.changed.add(n)
    saved = book.save()
    step = Step(
        "fulfilment",
        "released",
        {"reason": reason, "lines": {ln.line_number: str(ln.released) for ln in saved}},
    )
    _finish(book, saved, out, step)
    return out


def _finish(
    book: Book, lines: list[LedgerLine], out: Outcome, step: Step, *, touch: bool | None = None
) -> None:
    """Move the order forward if the ledger says so; the document's step on its timeline."""
    new = ledger.order_status(lines)
    lower = [s for s in ledger.SHIPPABLE if ledger.moves_forward(s, new)]
    store = book.store
    bump = bool(out.applied) if touch is None else touch
    moved = store.fulfilment.advance(book.tx, book.order.id, new, lower, touch=bump)
    steps = [step]
    if moved and new is not None:
        out.moved_to = new.value
        steps.append(Step("status", new.value, {"by": step.kind}))
    store.fulfilment.note(book.tx, book.order.id, steps)


__all__ = [
    "Book",
    "Outcome",
    "Refusal",
    "apply_invoice",
    "apply_shipment",
    "owed",
    "release_open",
]
