"""Reservations: reserve (idempotent, with a TTL), confirm into an allocation, ship, release, sweep.

A reservation holds units of one SKU at one location for a channel until it
is confirmed (the order was posted: the units move from ``reserved`` to
``allocated``), released, or it expires. Expired reservations give their
units back when swept, and a reserve that finds too little stock first
expires what is overdue at that position, so stock never waits for the
sweeper.

The guarantee: a reservation is written only by
:meth:`~crossdock.store.availability.StockTx.reserve`, one conditional
statement inside a write transaction, so concurrent reservations of the last
units never together exceed ATP, on SQLite and on PostgreSQL. Channel rules
(ring-fence, channel safety stock, locations served) are checked against
the same locked row.

Shipping consumes an allocation: :meth:`Reservations.ship` records, once per
idempotency key, units of a confirmed reservation that left the warehouse (a
held one is confirmed first), and a reservation whose units all shipped is
``shipped``; more than it allocated is refused, for a person to see. What is
left of it (allocated less shipped) is what the order still holds. The stock
position's buckets are not moved by a shipment: the stock feed that sees the
goods leave moves them — a WMS ``pick`` takes the units off on hand and off
allocated, an ERP snapshot (or a pulled inventory record) sets both as the
ERP counts them. Taking them off here as well would count every shipped unit
twice.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from crossdock.errors import ConflictError, CrossdockError, ErrorCode, NotFound
from crossdock.model.values import PositiveDecimal
from crossdock.services.availability.buckets import from_units, to_units
from crossdock.services.availability.channels import channel_atp
from crossdock.services.availability.context import Context, now_utc
from crossdock.services.availability.feeds import NO_CONTROL
from crossdock.services.availability.publisher import buckets_of
from crossdock.store.availability import (
    PositionRow,
    ReservationRow,
    ReservationStatus,
    StockTx,
)


class ReserveRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    idempotency_key: str = Field(min_length=1, max_length=255, pattern=NO_CONTROL)
    sku: str = Field(min_length=1, max_length=64, pattern=NO_CONTROL)
    location: str = Field(min_length=1, max_length=64, pattern=NO_CONTROL)
    quantity: PositiveDecimal
    channel: str | None = Field(default=None, max_length=64, pattern=NO_CONTROL)
    ttl_seconds: int | None = Field(default=None, ge=1, le=30 * 86_400)


_HELD, _CONFIRMED = ReservationStatus.HELD, ReservationStatus.CONFIRMED
_RELEASED, _EXPIRED = ReservationStatus.RELEASED, ReservationStatus.EXPIRED
_SHIPPED = ReservationStatus.SHIPPED


@dataclass(frozen=True, slots=True)
class Reservation:
    id: str
    idempotency_key: str
    sku: str
    location: str
    channel: str | None
    quantity: Decimal
    status: ReservationStatus
    order_ref: str | None
    expires_at: datetime
    created_at: datetime
    replayed: bool = False

    @classmethod
    def of(cls, row: ReservationRow, *, replayed: bool = False) -> Reservation:
        return cls(
            row.id,
            row.idempotency_key,
            row.sku,
            row.location,
            row.channel,
            from_units(row.quantity),
            ReservationStatus(row.status),
            row.order_ref,
            row.expires_at,
            row.created_at,
            replayed,
        )


@dataclass(frozen=True, slots=True)
class Shipped:
    """A reservation after a shipment against it: how much of it shipped, how much is left."""

    reservation: Reservation
    shipped: Decimal
    remaining: Decimal
    replayed: bool = False


def _same(row: ReservationRow) -> Callable[[datetime], ReservationRow]:
    """The row a refused reserve writes when a second try takes: the one it first made."""
    return lambda _now: row


def _insufficient(sku: str, location: str, wanted: Decimal, available: Decimal) -> ConflictError:
    return ConflictError(
        f"quantity: only {available} of {sku!r} can be promised at {location!r}; {wanted} asked",
        code=ErrorCode.INSUFFICIENT_STOCK,
    )


class Reservations:
    """Reserve, confirm, release and sweep; every change in one write transaction."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def reserve(self, req: ReserveRequest) -> Reservation:
        # It refuses only before it writes, or after expiring overdue holds (which stand).
        return self.ctx.write(self._reserve(req), savepoint=False, locks=[(req.sku, req.location)])

    def reserve_many(
        self,
        reqs: Sequence[ReserveRequest],
        then: Callable[[StockTx, list[Reservation | CrossdockError]], object] | None = None,
    ) -> list[Reservation | CrossdockError]:
        """Several reserves in one write transaction (shared under group commit); each's answer.

        Each is the same conditional write as :meth:`reserve`, so the guarantee is
        unchanged; one refused (too little stock, no position) answers its error in
        its place and the others stand. ``then`` runs last in the same transaction
        with the answers (an order records which reservations it holds), so what it
        writes commits with the reservations or not at all. The positions are taken
        in (SKU, location) order, as a batch of several writes takes them.
        """
        works = [self._reserve(r) for r in reqs]
        order = sorted(range(len(reqs)), key=lambda i: (reqs[i].sku, reqs[i].location))
        one_statement = (
            len(reqs) > 1
            and len({(r.sku, r.location) for r in reqs}) == len(reqs)
            and len({r.idempotency_key for r in reqs}) == len(reqs)
            and all(self.ctx.channel_rule(r.channel) is None for r in reqs)
        )

        def work(stx: StockTx) -> list[Reservation | CrossdockError]:
            out: list[Reservation | CrossdockError | None] = [None] * len(reqs)
            if one_statement and stx.reserves_in_one_statement:
                self._reserve_together(stx, reqs, order, out)
            for i in order:
                if out[i] is not None:
                    continue
                try:
                    out[i] = works[i](stx)
                except CrossdockError as exc:  # refused before writing (or after expiring)
                    out[i] = exc
            answers = [a for a in out if a is not None]
            if then is not None:
                then(stx, answers)
            return answers

        locks = [(r.sku, r.location) for r in reqs]
        return self.ctx.write(work, savepoint=False, locks=locks)

    def _reserve_together(
        self,
        stx: StockTx,
        reqs: Sequence[ReserveRequest],
        order: list[int],
        out: list[Reservation | CrossdockError | None],
    ) -> None:
        """PostgreSQL: the reserves of ``reqs`` in one statement, answers into ``out``.

        For distinct positions and keys, no channel rule; a refused one then goes
        :meth:`_refused`'s way (overdue holds expire, one more try). The same
        conditional update per position as :meth:`reserve`, so the same guarantee.
        """
        now = now_utc()
        rows = [self._held_row(reqs[i], now) for i in order]
        got = stx.reserve_new_many(rows, now)
        moved: list[PositionRow] = []
        for i, row, (pos, found) in zip(order, rows, got, strict=True):
            try:
                if found is not None:
                    out[i] = self._replay(found, reqs[i], row.quantity)
                elif pos is not None:
                    moved.append(pos)
                    out[i] = Reservation.of(row)
                else:  # nothing was written for it: expire overdue holds, try once more
                    out[i] = self._refused(stx, reqs[i], row.quantity, now, _same(row))
            except CrossdockError as exc:
                out[i] = exc
        self.ctx.publisher.flush(stx, moved)

    def _held_row(self, req: ReserveRequest, now: datetime) -> ReservationRow:
        """The row a new held reservation of ``req`` is written as."""
        ttl = req.ttl_seconds or self.ctx.config.reservation_ttl_seconds
        return ReservationRow(
            "rsv_" + os.urandom(12).hex(),
            req.idempotency_key,
            req.sku,
            req.location,
            req.channel,
            to_units(req.quantity, "quantity"),
            ReservationStatus.HELD.value,
            None,
            now + timedelta(seconds=ttl),
            now,
        )

    async def reserve_async(self, req: ReserveRequest) -> Reservation:
        """:meth:`reserve` awaited on an event loop (the API route)."""
        return await self.ctx.write_async(
            self._reserve(req), savepoint=False, locks=[(req.sku, req.location)]
        )

    def _reserve(self, req: ReserveRequest) -> Callable[[StockTx], Reservation]:
        """The write of one reserve, checked first (a bad request fails before it is queued)."""
        self.ctx.check_location(req.location)
        rule = self.ctx.channel_rule(req.channel)
        qty = to_units(req.quantity, "quantity")
        ttl = req.ttl_seconds or self.ctx.config.reservation_ttl_seconds

        def held(now: datetime) -> ReservationRow:
            return ReservationRow(
                "rsv_" + os.urandom(12).hex(),
                req.idempotency_key,
                req.sku,
                req.location,
                req.channel,
                qty,
                ReservationStatus.HELD.value,
                None,
                now + timedelta(seconds=ttl),
                now,
            )

        def work(stx: StockTx) -> Reservation:
            now = now_utc()
            if rule is None and stx.reserves_in_one_statement:  # one round trip when it is granted
                res = held(now)
                pos, found = stx.reserve_new(res, now)
                if found is not None:
                    return self._replay(found, req, qty)
                if pos is not None:
                    self.ctx.publisher.flush(stx, [pos])
                    return Reservation.of(res)
                return self._refused(stx, req, qty, now, held)  # nothing was written
            found = stx.reservation_by_key(req.idempotency_key)
            if found is not None:
                return self._replay(found, req, qty)
            if rule is not None:  # the channel's view needs the locked row first
                pos = self._position(stx, req)
                allowed = channel_atp(buckets_of(pos).atp, rule, req.location)
                if req.quantity > allowed:
                    pos = self._expire_at(stx, pos, now)
                    allowed = channel_atp(buckets_of(pos).atp, rule, req.location)
                    if req.quantity > allowed:
                        raise _insufficient(req.sku, req.location, req.quantity, allowed)
            row = stx.reserve(req.sku, req.location, qty, now)
            if row is None:  # too little (or no such position)
                return self._refused(stx, req, qty, now, held)
            res = held(now)
            stx.insert_reservation(res, now)
            self.ctx.publisher.flush(stx, [row])
            return Reservation.of(res)

        return work

    def _refused(
        self,
        stx: StockTx,
        req: ReserveRequest,
        qty: int,
        now: datetime,
        held: Callable[[datetime], ReservationRow],
    ) -> Reservation:
        """A reserve the conditional update refused: give overdue holds back, try once more."""
        refused = stx.refusal(req.sku, req.location, now)
        if refused is None:
            raise self._no_position(req)
        pos, overdue = refused
        row = None
        if overdue:  # something can expire: expire it and try again
            pos = self._expire_at(stx, pos, now)
            row = stx.reserve(req.sku, req.location, qty, now)
        if row is None:  # the locked row says what there is: no second read
            raise _insufficient(req.sku, req.location, req.quantity, buckets_of(pos).atp)
        res = held(now)
        stx.insert_reservation(res, now)
        self.ctx.publisher.flush(stx, [row])
        return Reservation.of(res)

    @staticmethod
    def _no_position(req: ReserveRequest) -> NotFound:
        return NotFound(f"sku/location: no stock position for {req.sku!r} at {req.location!r}")

    @classmethod
    def _position(cls, stx: StockTx, req: ReserveRequest) -> PositionRow:
        pos = stx.position(req.sku, req.location)
        if pos is None:
            raise cls._no_position(req)
        return pos

    @staticmethod
    def _replay(found: ReservationRow, req: ReserveRequest, qty: int) -> Reservation:
        same = (found.sku, found.location, found.quantity, found.channel) == (
            req.sku,
            req.location,
            qty,
            req.channel,
        )
        if not same:
            raise ConflictError(
                f"idempotency_key: {req.idempotency_key!r} was used for another reservation "
                f"({found.id}: {from_units(found.quantity)} of {found.sku} at {found.location})"
            )
        return Reservation.of(found, replayed=True)

    def _expire_at(self, stx: StockTx, pos: PositionRow, now: datetime) -> PositionRow:
        """Expire the overdue reservations of one position; the position afterwards."""
        for r in stx.expired(now, 10_000, sku=pos.sku, location=pos.location):
            if stx.move_reservation(r.id, _HELD, _EXPIRED, now):
                pos = stx.change(r.sku, r.location, now, reserved=-r.quantity)
        return pos

    def get(self, rid: str) -> Reservation:
        row = self.ctx.stock.reservation(rid)
        if row is None:
            raise NotFound(f"no reservation {rid!r}")
        return Reservation.of(row)

    def confirm(self, rid: str, order_ref: str | None = None) -> Reservation:
        """Held -> confirmed: the units move from reserved to allocated. Idempotent."""
        expired_now = False

        def work(stx: StockTx) -> Reservation:
            nonlocal expired_now
            now = now_utc()
            row = stx.reservation(rid)
            if row is None:
                raise NotFound(f"no reservation {rid!r}")
            status = ReservationStatus(row.status)
            if status is ReservationStatus.CONFIRMED:
                return Reservation.of(row, replayed=True)
            if status is ReservationStatus.HELD and row.expires_at <= now:
                if stx.move_reservation(rid, _HELD, _EXPIRED, now):
                    pos = stx.change(row.sku, row.location, now, reserved=-row.quantity)
                    self.ctx.publisher.flush(stx, [pos])
                expired_now = True
                return Reservation.of(row)
            if status is not ReservationStatus.HELD:
                raise ConflictError(
                    f"reservation {rid} is {status.value}; only a held one can be confirmed",
                    code=ErrorCode.RESERVATION_EXPIRED
                    if status is ReservationStatus.EXPIRED
                    else ErrorCode.CONFLICT,
                )
            stx.move_reservation(rid, _HELD, _CONFIRMED, now, order_ref)
            stx.change(row.sku, row.location, now, reserved=-row.quantity, allocated=row.quantity)
            confirmed = stx.reservation(rid)
            assert confirmed is not None
            return Reservation.of(confirmed)

        out = self.ctx.write(work, locks=self._position_of(rid))
        if expired_now:
            raise ConflictError(
                f"reservation {rid} expired at {out.expires_at.isoformat()}; its units went back",
                code=ErrorCode.RESERVATION_EXPIRED,
            )
        return out

    def ship(self, rid: str, quantity: Decimal, key: str) -> Shipped:
        """``quantity`` of a reservation shipped, once per ``key``: see :meth:`ship_in`."""
        return self.ctx.write(
            lambda stx: self.ship_in(stx, rid, quantity, key), locks=self._position_of(rid)
        )

    def ship_in(self, stx: StockTx, rid: str, quantity: Decimal, key: str) -> Shipped:
        """Record a shipment against a reservation inside the caller's write transaction.

        The same ``key`` again answers what it recorded (``replayed``). A held
        reservation is confirmed first (its units move from reserved to
        allocated, as :meth:`confirm` does). Shipping more than the reservation
        allocated, or against one that was released or expired, is a conflict:
        nothing is written.
        """
        qty = to_units(quantity, "quantity")
        if qty <= 0:
            raise ConflictError(f"quantity: a shipment ships a positive quantity, not {quantity}")
        done = stx.shipment_by_key(key)
        row = stx.reservation(rid)
        if row is None:
            raise NotFound(f"no reservation {rid!r}")
        if done is not None:
            if done != (rid, qty):
                raise ConflictError(
                    f"idempotency_key: {key!r} recorded another shipment ({done[0]})"
                )
            shipped = stx.shipped_of(rid)
            return Shipped(
                Reservation.of(row), from_units(shipped), from_units(row.quantity - shipped), True
            )
        status = ReservationStatus(row.status)
        now = now_utc()
        if status is ReservationStatus.HELD:
            stx.move_reservation(rid, _HELD, _CONFIRMED, now)
            pos = stx.change(
                row.sku, row.location, now, reserved=-row.quantity, allocated=row.quantity
            )
            self.ctx.publisher.flush(stx, [pos])
        elif status is not ReservationStatus.CONFIRMED:
            raise ConflictError(
                f"reservation {rid} is {status.value}: nothing of it is allocated to ship",
                code=ErrorCode.CONFLICT,
            )
        before = stx.shipped_of(rid)
        if before + qty > row.quantity:
            raise ConflictError(
                f"quantity: {quantity} shipped against reservation {rid} of "
                f"{from_units(row.quantity)} {row.sku} at {row.location}, of which "
                f"{from_units(before)} shipped already",
                code=ErrorCode.OVER_SHIPPED,
            )
        stx.add_shipment(key, rid, qty, now)
        if before + qty == row.quantity:
            stx.move_reservation(rid, _CONFIRMED, _SHIPPED, now)
        after = stx.reservation(rid)
        assert after is not None
        return Shipped(
            Reservation.of(after),
            from_units(before + qty),
            from_units(row.quantity - before - qty),
        )

    def release(self, rid: str) -> Reservation:
        """Held -> released: the units go back. Releasing again is a no-op."""

        def work(stx: StockTx) -> Reservation:
            now = now_utc()
            row = stx.reservation(rid)
            if row is None:
                raise NotFound(f"no reservation {rid!r}")
            status = ReservationStatus(row.status)
            if status is ReservationStatus.CONFIRMED:
                raise ConflictError(
                    f"reservation {rid} is confirmed: it is an allocation of order "
                    f"{row.order_ref or '(unnamed)'} now, released by the order, not here"
                )
            if status is not ReservationStatus.HELD:
                return Reservation.of(row, replayed=True)
            stx.move_reservation(rid, _HELD, _RELEASED, now)
            pos = stx.change(row.sku, row.location, now, reserved=-row.quantity)
            self.ctx.publisher.flush(stx, [pos])
            done = stx.reservation(rid)
            assert done is not None
            return Reservation.of(done)

        return self.ctx.write(work, locks=self._position_of(rid))

    def give_back(self, rid: str) -> Reservation:
        """Held or confirmed -> released: see :meth:`give_back_in`."""
        return self.ctx.write(lambda stx: self.give_back_in(stx, rid), locks=self._position_of(rid))

    def give_back_in(self, stx: StockTx, rid: str) -> Reservation:
        """Held or confirmed -> released, inside the caller's write transaction.

        The order that holds it is cancelled or was refused. A held
        reservation's units leave ``reserved``, a confirmed one's leave
        ``allocated``; either way they are available again. A confirmed one that
        shipped in part gives back only what did not ship (the shipped units stay
        allocated until the WMS reports the pick). Any other status is answered
        as it is (released, expired or shipped already): idempotent.
        """
        now = now_utc()
        row = stx.reservation(rid)
        if row is None:
            raise NotFound(f"no reservation {rid!r}")
        status = ReservationStatus(row.status)
        if status not in (_HELD, _CONFIRMED):
            return Reservation.of(row, replayed=True)
        if not stx.move_reservation(rid, status, _RELEASED, now):
            return Reservation.of(row, replayed=True)
        if status is _HELD:
            pos = stx.change(row.sku, row.location, now, reserved=-row.quantity)
        else:
            rest = row.quantity - stx.shipped_of(rid)
            pos = stx.change(row.sku, row.location, now, allocated=-rest)
        self.ctx.publisher.flush(stx, [pos])
        done = stx.reservation(rid)
        assert done is not None
        return Reservation.of(done)

    def _position_of(self, rid: str) -> list[tuple[str, str]]:
        """The position a reservation holds units of, for the write to name as its lock.

        A reservation never changes SKU or location, so a read before the write
        is exact; named, the position is locked with the rest of a batch in
        sorted order (on PostgreSQL), where locking it later, after the
        reservation row, could deadlock with a batch that locked it first.
        """
        row = self.ctx.stock.reservation(rid)
        return [] if row is None else [(row.sku, row.location)]

    def sweep(self, limit: int = 1000) -> int:
        """Expire overdue held reservations and give their units back; how many.

        The overdue ones are read first, outside the write: a reservation's
        expiry and position never change, so the write names exactly the
        positions it locks (sorted with the rest of a batch on PostgreSQL), and
        moves only those still held. What falls due meanwhile waits for the
        next sweep (or for a reserve at its position, which expires it first).
        """
        due = sorted(
            self.ctx.stock.expired(now_utc(), limit), key=lambda r: (r.sku, r.location, r.id)
        )
        if not due:
            return 0

        def work(stx: StockTx) -> int:
            now = now_utc()
            count = 0
            touched: list[PositionRow] = []
            for r in due:
                if stx.move_reservation(r.id, _HELD, _EXPIRED, now):
                    touched.append(stx.change(r.sku, r.location, now, reserved=-r.quantity))
                    count += 1
            self.ctx.publisher.flush(stx, touched)
            return count

        return self.ctx.write(work, locks={(r.sku, r.location) for r in due})


__all__ = ["Reservation", "ReservationStatus", "Reservations", "ReserveRequest", "Shipped"]
