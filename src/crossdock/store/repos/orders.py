"""Orders: intake by (channel, order number), decisions under a per-customer lock, the timeline.

Credit exposure is the customer's open orders not yet invoiced plus its open
invoices (``customer_invoices``, kept by the fulfilment consumer).

Every decision runs in one write transaction that locks the order, then the
customer's ``order_credit`` row, then reads the customer's exposure (the
totals of its other open orders) and writes the order: two orders racing
against one credit limit are decided one after the other, on SQLite (one
writer) and on PostgreSQL (the row lock) alike.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Sequence
from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from functools import cached_property
from types import SimpleNamespace
from typing import Any

from sqlalchemy import (
    Connection,
    bindparam,
    delete,
    func,
    literal_column,
    select,
    union_all,
    update,
)
from sqlalchemy.sql import Insert, Select

from crossdock.store import schema as t
from crossdock.store.jsoncodec import dumps, loads
from crossdock.store.order_rows import (
    AMENDABLE,
    EXPOSED,
    KEEP,
    Decide,
    LineRow,
    MayAmend,
    Move,
    NewOrder,
    Opened,
    OrderRow,
    OrderState,
    Promises,
    ReservationLink,
    Step,
    StepRow,
)
from crossdock.store.repos import rows
from crossdock.store.repos.base import SqlRepo
from crossdock.store.write import WriteTx, utc

_O, _L, _R, _S = t.orders.c, t.order_lines.c, t.order_reservations.c, t.order_steps.c
_I = t.customer_invoices.c


_EXPOSURE = union_all(
    select(literal_column("0"), _O.id, _O.total, _O.total).where(
        _O.customer_id == bindparam("cid"),
        # inline constants: an expanding IN would be rendered again at every execution
        _O.status.in_([literal_column(f"'{s.value}'") for s in sorted(EXPOSED)]),
        _O.id != bindparam("other"),
    ),
    select(literal_column("1"), _I.order_id, _I.total, _I.open_amount).where(
        _I.customer_id == bindparam("cid")
    ),
)
"""A customer's exposed orders (0, id, total, -) and its invoices (1, order, total, open)."""


# The hot path's statements, built once: building one costs more than running it on SQLite,
# and a statement object built once keeps its cache key.
_GET = select(t.orders).where(_O.id == bindparam("oid"))
_DECIDED = (
    update(t.orders)
    .where(_O.id == bindparam("oid"))
    .values(
        status=bindparam("status"),
        holds=bindparam("holds"),
        rules=bindparam("rules"),
        total=bindparam("total"),
        recheck=None,
        updated_at=bindparam("now"),
    )
)
_PRICES = (
    update(t.order_lines)
    .where(_L.order_id == bindparam("oid"), _L.line_number == bindparam("n"))
    .values(unit_price=bindparam("price"), price_note=bindparam("note"))
)
_PROMISES = (
    update(t.order_lines)
    .where(_L.order_id == bindparam("oid"), _L.line_number == bindparam("n"))
    .values(backordered=bindparam("short"), promise_date=bindparam("promise"))
)


def _dec(value: Any) -> Decimal | None:
    return None if value is None else Decimal(value)


def _order(r: Any) -> OrderRow:
    return OrderRow(
        id=r.id,
        channel=r.channel,
        order_number=r.order_number,
        customer_id=r.customer_id,
        customer_account=r.customer_account,
        ship_to=r.ship_to,
        customer_po=r.customer_po,
        currency=r.currency,
        status=OrderState(r.status),
        holds=list(loads(r.holds)),
        rules=list(loads(r.rules)),
        total=Decimal(r.total),
        body_hash=r.body_hash,
        revision=int(r.revision),
        attempt=int(r.attempt),
        created_at=utc(r.created_at) or rows.now(),
        updated_at=utc(r.updated_at) or rows.now(),
        canonical_id=r.canonical_id,
        published_at=utc(r.published_at),
        erp_id=r.erp_id,
        erp_number=r.erp_number,
        problem=r.problem,
        bill_to=r.bill_to,
        recheck=None if r.recheck is None else dict(loads(r.recheck)),
    )


def _line(r: Any) -> LineRow:
    return LineRow(
        int(r.line_number),
        r.sku,
        Decimal(r.quantity),
        r.unit,
        Decimal(r.base_quantity),
        _dec(r.unit_price),
        _dec(r.channel_price),
        r.price_note,
        _dec(r.backordered) or Decimal(0),
        r.promise_date,
    )


def add_steps(conn: Connection, order_id: str, steps: Sequence[Step]) -> None:
    """Append steps to an order's timeline inside the caller's transaction."""
    if not steps:
        return
    now = rows.now()
    conn.execute(
        t.order_steps.insert(),
        [
            {
                "order_id": order_id,
                "at": now,
                "kind": s.kind,
                "outcome": s.outcome,
                "detail": dumps(s.detail),
            }
            for s in steps
        ],
    )


def _s(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


class SqlOrders(SqlRepo):
    """The ``orders``, ``order_lines``, ``order_reservations`` and ``order_steps`` tables."""

    @cached_property
    def _insert_order(self) -> Insert:
        return self._dialect.insert_ignore(t.orders).returning(_O.id)

    @cached_property
    def _insert_links(self) -> Insert:
        return self._dialect.insert_ignore(t.order_reservations)

    @cached_property
    def _get_locked(self) -> Select[Any]:
        return self._dialect.lock_select(_GET)

    @cached_property
    def _credit_lock(self) -> Insert:
        return self._dialect.upsert(t.order_credit, ["customer_id"])

    # -- intake ---------------------------------------------------------------------------
    def open(self, new: NewOrder, may_amend: MayAmend | None = None) -> tuple[OrderRow, Opened]:
        """The order of ``new``'s (channel, number): created, the same, amended, or closed.

        A body equal to the stored one (same hash) answers the stored order; a
        different one amends it while it is received, accepted, on hold or (the
        ERP agreeing, through ``may_amend``) confirmed (new
        lines, the next revision, back to received) and ``may_amend`` agrees,
        asked with the order locked (else ``REFUSED``, nothing written); a
        rejected or cancelled order is answered as it is (``CLOSED``).
        """
        with self._write() as tx:
            conn, now = tx.conn, rows.now()
            oid = "ord_" + os.urandom(12).hex()
            values = {
                "id": oid,
                "channel": new.channel,
                "order_number": new.order_number,
                "customer_id": new.customer_id,
                "customer_account": new.customer_account,
                "ship_to": new.ship_to,
                "bill_to": new.bill_to,
                "customer_po": new.customer_po,
                "currency": new.currency,
                "status": OrderState.RECEIVED.value,
                "holds": "[]",
                "rules": "[]",
                "total": "0",
                "body_hash": new.body_hash,
                "revision": 1,
                "attempt": 1,
                "created_at": now,
                "updated_at": now,
                "recheck": None,
            }
            # One statement for a new order: the insert answers its id only when it made
            # the row; a number already taken (by a retry, or a racing request) is read.
            made = conn.execute(self._insert_order, values).first()
            if made is not None:
                self._put_lines(conn, oid, new.lines)
                self._steps(conn, oid, [Step("intake", "received", {"revision": 1})])
                # the row as inserted: every column the insert left out is NULL
                row = SimpleNamespace(**({c.name: None for c in t.orders.c} | values))
                return _order(row), Opened.CREATED
            found = self._locked(conn, new.channel, new.order_number)
            assert found is not None
            if found.body_hash == new.body_hash:
                return found, Opened.SAME
            if found.status not in AMENDABLE or (
                found.status is OrderState.CONFIRMED and may_amend is None
            ):
                return found, Opened.CLOSED
            if may_amend is not None and not may_amend(found):
                return found, Opened.REFUSED
            conn.execute(
                update(t.orders)
                .where(_O.id == found.id)
                .values(
                    customer_id=new.customer_id,
                    customer_account=new.customer_account,
                    ship_to=new.ship_to,
                    bill_to=new.bill_to,
                    customer_po=new.customer_po,
                    currency=new.currency,
                    status=OrderState.RECEIVED.value,
                    holds="[]",
                    rules="[]",
                    recheck=None,
                    body_hash=new.body_hash,
                    revision=found.revision + 1,
                    updated_at=now,
                )
            )
            conn.execute(delete(t.order_lines).where(_L.order_id == found.id))
            self._put_lines(conn, found.id, new.lines)
            self._steps(
                conn,
                found.id,
                [Step("intake", "amended", {"revision": found.revision + 1})],
            )
            amended = self._get(conn, found.id)
            assert amended is not None
            return amended, Opened.AMENDED

    def _locked(self, conn: Connection, channel: str, number: str) -> OrderRow | None:
        q = select(t.orders).where(_O.channel == channel, _O.order_number == number)
        r = conn.execute(self._dialect.lock_select(q)).first()
        return None if r is None else _order(r)

    def _put_lines(self, conn: Connection, order_id: str, lines: Sequence[LineRow]) -> None:
        conn.execute(
            t.order_lines.insert(),
            [
                {
                    "order_id": order_id,
                    "line_number": ln.line_number,
                    "sku": ln.sku,
                    "quantity": str(ln.quantity),
                    "unit": ln.unit,
                    "base_quantity": str(ln.base_quantity),
                    "unit_price": _s(ln.unit_price),
                    "channel_price": _s(ln.channel_price),
                    "price_note": ln.price_note,
                    "backordered": _s(ln.backordered) if ln.backordered else None,
                    "promise_date": ln.promise_date,
                }
                for ln in lines
            ],
        )

    def _steps(self, conn: Connection, order_id: str, steps: Sequence[Step]) -> None:
        add_steps(conn, order_id, steps)

    # -- decisions ------------------------------------------------------------------------
    def decide(self, order_id: str, revision: int, decide: Decide) -> OrderRow:
        """Lock the order and its customer, measure the exposure, write ``decide``'s decision.

        Nothing is written when the order moved on to another revision meanwhile
        (a newer amendment decides for itself); the order is answered as it is.

        The order row is locked before the customer: its customer cannot change under
        the lock, and nothing locks a customer's credit row and then an order, so the
        two locks cannot deadlock.
        """
        with self._write() as tx:
            conn = tx.conn
            current = self._get(conn, order_id, lock=True)
            if current is None:
                raise KeyError(order_id)
            if current.revision != revision:
                return current
            self._lock_customer(conn, current.customer_id)
            exposure = self._exposure(conn, current.customer_id, order_id)
            d = decide(current, exposure)
            now = rows.now()
            conn.execute(
                _DECIDED,
                {
                    "oid": order_id,
                    "status": d.status.value,
                    "holds": dumps(d.holds),
                    "rules": dumps(d.rules),
                    "total": str(d.total),
                    "now": now,
                },
            )
            if d.prices:
                conn.execute(
                    _PRICES,
                    [
                        {"oid": order_id, "n": n, "price": _s(price), "note": note}
                        for n, (price, note) in d.prices.items()
                    ],
                )

            self._steps(conn, order_id, d.steps)
            if d.audit is not None:
                actor, action, detail = d.audit
                tx.audit(actor, action, order_id, detail)
            # what was just written, without reading it back
            return replace(
                current,
                status=d.status,
                holds=list(d.holds),
                rules=list(d.rules),
                total=d.total,
                updated_at=now,
                recheck=None,
            )

    def _lock_customer(self, conn: Connection, customer_id: str) -> None:
        """Hold the customer's credit row for the transaction (one statement).

        SQLite's write transaction already excludes every other writer; on
        PostgreSQL an upsert that touches the row takes its lock, made or found.
        """
        if self._dialect.serial_writers:
            return
        conn.execute(self._credit_lock, {"customer_id": customer_id, "updated_at": rows.now()})

    @staticmethod
    def _exposure(conn: Connection, customer_id: str, other_than: str) -> Decimal:
        """Open orders not yet invoiced + open invoices, for one customer (one statement).

        An open order counts what its invoices have not billed yet (an invoice
        moves that part of it to the invoice's own open amount), so an order
        billed in part is never counted twice; a paid invoice counts nothing.
        """
        billed: dict[str, Decimal] = {}
        orders: list[tuple[str, str]] = []
        owed = Decimal(0)
        for invoice, order_id, total, open_amount in conn.execute(
            _EXPOSURE, {"cid": customer_id, "other": other_than}
        ):
            if not invoice:
                orders.append((order_id, total))
                continue
            billed[order_id] = billed.get(order_id, Decimal(0)) + Decimal(total)
            owed += Decimal(open_amount)
        zero = Decimal(0)
        unbilled = sum(
            (max(zero, Decimal(total) - billed.get(oid, zero)) for oid, total in orders), zero
        )
        return unbilled + owed

    def exposure(self, customer_id: str, other_than: str = "") -> Decimal:
        """Open orders not yet invoiced (accepted and later) + the customer's open invoices."""
        with self._engine.connect() as conn:
            return self._exposure(conn, customer_id, other_than)

    def bump_attempt(self, order_id: str) -> None:
        """The order gave its reservations back: the next ones are a new attempt."""
        with self._write() as tx:
            tx.conn.execute(
                update(t.orders).where(_O.id == order_id).values(attempt=_O.attempt + 1)
            )

    def remember(self, order_id: str, revision: int, recheck: dict[str, Any]) -> None:
        """Keep what the hold sweep measured, while the order is still that held revision."""
        with self._write() as tx:
            tx.conn.execute(
                update(t.orders)
                .where(
                    _O.id == order_id,
                    _O.revision == revision,
                    _O.status == OrderState.ON_HOLD.value,
                )
                .values(recheck=dumps(recheck))
            )

    def note(self, order_id: str, steps: Sequence[Step]) -> None:
        """Append steps to an order's timeline."""
        with self._write() as tx:
            self._steps(tx.conn, order_id, steps)

    # -- reservations ---------------------------------------------------------------------
    def link(
        self, order_id: str, links: Sequence[ReservationLink], promises: Promises | None = None
    ) -> None:
        """Remember the reservations an order holds (a retry's same reservation once).

        ``promises`` go onto the lines in the same transaction: a retry after a
        crash finds each line's backorder with the reservations it kept.
        """
        if not links and not promises:
            return
        with self._write() as tx:
            self.link_in(tx, order_id, links, promises)

    def link_in(
        self,
        tx: WriteTx,
        order_id: str,
        links: Sequence[ReservationLink],
        promises: Promises | None = None,
    ) -> None:
        """:meth:`link` inside the caller's write transaction (the reservations' own)."""
        conn = tx.conn
        if promises:
            conn.execute(
                _PROMISES,
                [
                    {"oid": order_id, "n": n, "short": _s(q) if q else None, "promise": d}
                    for n, (q, d) in promises.items()
                ],
            )
        if links:
            conn.execute(
                self._insert_links,
                [
                    {
                        "reservation_id": ln.reservation_id,
                        "order_id": ln.order_id,
                        "line_number": ln.line_number,
                        "sku": ln.sku,
                        "location": ln.location,
                        "quantity": str(ln.quantity),
                        "released": 0,
                    }
                    for ln in links
                ],
            )

    def reservations(self, order_id: str, *, held_only: bool = True) -> list[ReservationLink]:
        q = select(t.order_reservations).where(_R.order_id == order_id)
        if held_only:
            q = q.where(_R.released == 0)
        with self._engine.connect() as conn:
            found = conn.execute(q.order_by(_R.line_number, _R.location)).all()
        return [
            ReservationLink(
                r.reservation_id,
                r.order_id,
                int(r.line_number),
                r.sku,
                r.location,
                Decimal(r.quantity),
                bool(r.released),
            )
            for r in found
        ]

    def unlink(self, reservation_ids: Sequence[str]) -> None:
        """Mark reservations released (their units already went back)."""
        if not reservation_ids:
            return
        with self._write() as tx:
            tx.conn.execute(
                update(t.order_reservations)
                .where(_R.reservation_id.in_(list(reservation_ids)))
                .values(released=1)
            )

    # -- reads ----------------------------------------------------------------------------
    def _get(self, conn: Connection, order_id: str, *, lock: bool = False) -> OrderRow | None:
        r = conn.execute(self._get_locked if lock else _GET, {"oid": order_id}).first()
        return None if r is None else _order(r)

    def get(self, order_id: str) -> OrderRow | None:
        with self._engine.connect() as conn:
            return self._get(conn, order_id)

    def find(self, channel: str, order_number: str) -> OrderRow | None:
        with self._engine.connect() as conn:
            r = conn.execute(
                select(t.orders).where(_O.channel == channel, _O.order_number == order_number)
            ).first()
        return None if r is None else _order(r)

    def by_number(self, order_number: str) -> list[OrderRow]:
        """Every channel's order with this number (shipments and invoices name only the number)."""
        with self._engine.connect() as conn:
            found = conn.execute(
                select(t.orders).where(_O.order_number == order_number).order_by(_O.id)
            ).all()
        return [_order(r) for r in found]

    def lines(self, order_id: str) -> list[LineRow]:
        with self._engine.connect() as conn:
            found = conn.execute(
                select(t.order_lines).where(_L.order_id == order_id).order_by(_L.line_number)
            ).all()
        return [_line(r) for r in found]

    def timeline(self, order_id: str) -> list[StepRow]:
        with self._engine.connect() as conn:
            found = conn.execute(
                select(t.order_steps).where(_S.order_id == order_id).order_by(_S.id)
            ).all()
        return [
            StepRow(
                int(r.id), r.order_id, utc(r.at) or rows.now(), r.kind, r.outcome, loads(r.detail)
            )
            for r in found
        ]

    def page(
        self,
        *,
        status: OrderState | None = None,
        after_id: str = "",
        limit: int = 100,
        channel: str | None = None,
    ) -> list[OrderRow]:
        """Orders in id order (a status's queue, one channel's, when given)."""
        q = select(t.orders).where(_O.id > after_id)
        if status is not None:
            q = q.where(_O.status == status.value)
        if channel is not None:
            q = q.where(_O.channel == channel)
        with self._engine.connect() as conn:
            return [_order(r) for r in conn.execute(q.order_by(_O.id).limit(limit)).all()]

    def with_po(self, customer_id: str, po: str, other_than: str) -> list[str]:
        """Order numbers of the customer's other open orders carrying the same PO."""
        open_states = [s.value for s in (OrderState.RECEIVED, OrderState.ON_HOLD, *EXPOSED)]
        with self._engine.connect() as conn:
            return list(
                conn.execute(
                    select(_O.order_number).where(
                        _O.customer_id == customer_id,
                        _O.customer_po == po,
                        _O.id != other_than,
                        _O.status.in_(open_states),
                    )
                ).scalars()
            )

    # -- the engine ----------------------------------------------------------------------
    def unpublished(self, limit: int = 200) -> list[OrderRow]:
        """Decided orders whose current state the engine has not published, oldest change first."""
        q = (
            select(t.orders)
            .where(t.UNPUBLISHED, _O.status != OrderState.RECEIVED.value)
            .order_by(_O.updated_at)
            .limit(limit)
        )
        with self._engine.connect() as conn:
            return [_order(r) for r in conn.execute(q).all()]

    def published(
        self,
        order_id: str,
        updated_at: datetime,
        canonical_id: str,
        steps: Sequence[Step],
        *,
        problem: str | None = None,
    ) -> bool:
        """Record that the state of ``updated_at`` is published (not when the order moved on).

        ``updated_at`` is left as it is: publishing is not a change of the order.
        ``problem``: the state could not be published (it is not tried again until the
        order changes).
        """
        values: dict[str, Any] = {"published_at": updated_at}
        if canonical_id:
            values["canonical_id"] = canonical_id
        if problem is not None:
            values["problem"] = problem
        with self._write() as tx:
            res = tx.conn.execute(
                update(t.orders)
                .where(_O.id == order_id, _O.updated_at == updated_at)
                .values(**values)
            )
            if not res.rowcount:
                return False
            self._steps(tx.conn, order_id, steps)
            return True

    def transition(
        self,
        order_id: str,
        expect: Collection[OrderState],
        move: Move,
    ) -> OrderRow | None:
        """Apply ``move`` if the order is in one of ``expect``; None (nothing written) if not.

        Every such write sets ``updated_at``, so the engine publishes the new state.
        """
        with self._write() as tx:
            current = self._get(tx.conn, order_id, lock=True)
            if current is None or current.status not in expect:
                return None
            values: dict[str, Any] = {"status": move.status.value, "updated_at": rows.now()}
            if move.holds is not None:
                values["holds"] = dumps(move.holds)
            if move.erp_id is not None:
                values["erp_id"] = move.erp_id
            if move.erp_number is not None:
                values["erp_number"] = move.erp_number
            if move.problem is not KEEP:
                values["problem"] = move.problem
            tx.conn.execute(update(t.orders).where(_O.id == order_id).values(**values))
            self._steps(tx.conn, order_id, move.steps)
            if move.audit is not None:
                actor, action, detail = move.audit
                tx.audit(actor, action, order_id, detail)
            done = self._get(tx.conn, order_id)
            assert done is not None
            return done

    def by_canonical(self, canonical_ids: Sequence[str]) -> dict[str, OrderRow]:
        """The orders published as these canonical records."""
        out: dict[str, OrderRow] = {}
        with self._engine.connect() as conn:
            for i in range(0, len(canonical_ids), rows.CHUNK):
                part = list(canonical_ids[i : i + rows.CHUNK])
                for r in conn.execute(select(t.orders).where(_O.canonical_id.in_(part))).all():
                    out[r.canonical_id] = _order(r)
        return out

    def stuck(self, before: datetime) -> int:
        """Accepted orders last changed before ``before`` (the ERP has not confirmed them)."""
        with self._engine.connect() as conn:
            return int(
                conn.execute(
                    select(func.count()).where(
                        _O.status == OrderState.ACCEPTED.value, _O.updated_at < before
                    )
                ).scalar()
                or 0
            )

    def with_problem(self) -> int:
        """Orders with a failed step waiting for a person or a retry."""
        with self._engine.connect() as conn:
            return int(
                conn.execute(select(func.count()).where(_O.problem.is_not(None))).scalar() or 0
            )

    def count_by_status(self) -> dict[str, int]:
        with self._engine.connect() as conn:
            found = conn.execute(select(_O.status, func.count()).group_by(_O.status)).all()
        return {r[0]: int(r[1]) for r in found}
