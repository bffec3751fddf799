"""Availability writes beside the positions: inbound, feed idempotency and drift, reservations."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, select, update

from crossdock.store import schema as t
from crossdock.store.availability.base import StockTxBase
from crossdock.store.availability.rows import (
    RES_SQL,
    InboundRow,
    ReservationRow,
    ReservationStatus,
    expired_query,
    reservation_of,
)


class LedgerWrites(StockTxBase):
    """Writes to stock_inbound, inventory_event_keys, stock_drift and reservations."""

    # -- inbound ------------------------------------------------------------------------
    def replace_inbound(self, sku: str, location: str, rows: Sequence[InboundRow]) -> None:
        c = t.stock_inbound.c
        self.conn.execute(delete(t.stock_inbound).where(c.sku == sku, c.location == location))
        if rows:
            self.conn.execute(
                insert(t.stock_inbound),
                [
                    {
                        "sku": sku,
                        "location": location,
                        "reference": r.reference,
                        "kind": r.kind,
                        "quantity": r.quantity,
                        "eta": r.eta,
                    }
                    for r in rows
                ],
            )

    def receive_inbound(self, sku: str, location: str, reference: str, quantity: int) -> None:
        """A receipt against an inbound reference: that much is no longer expected."""
        c = t.stock_inbound.c
        where = (c.sku == sku, c.location == location, c.reference == reference)
        left = self.conn.execute(select(c.quantity).where(*where)).scalar()
        if left is None:
            return
        if int(left) <= quantity:
            self.conn.execute(delete(t.stock_inbound).where(*where))
        else:
            self.conn.execute(
                update(t.stock_inbound).where(*where).values(quantity=c.quantity - quantity)
            )

    # -- feed idempotency and history -------------------------------------------------
    def events_seen(self, keys: Sequence[str]) -> set[str]:
        """Which of ``keys`` were applied before."""
        rows = self.tx._select_in(
            "SELECT key FROM inventory_event_keys WHERE key IN ({inlist})", (), list(keys)
        )
        return {r[0] for r in rows}

    def record_events(
        self, events: Sequence[tuple[str, str, str, str, int, datetime]], now: datetime
    ) -> None:
        """Keep (key, sku, location, kind, delta, occurred_at) of each event; one executemany."""
        ts = self._ts(now)
        self._raw(
            "INSERT INTO inventory_event_keys (key, sku, location, kind, delta, occurred_at, "
            "applied_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [(k, s, loc, kind, d, self._ts(at), ts) for k, s, loc, kind, d, at in events],
            many=True,
        )

    def in_flight(self, sku: str, location: str, after: datetime) -> int:
        """The on-hand deltas of WMS events that happened after ``after``."""
        c = t.inventory_event_keys.c
        total = self.conn.execute(
            select(func.coalesce(func.sum(c.delta), 0)).where(
                c.sku == sku, c.location == location, c.occurred_at > after
            )
        ).scalar_one()
        return int(total)

    def add_drift(
        self,
        sku: str,
        location: str,
        as_of: datetime,
        snapshot_on_hand: int,
        event_on_hand: int,
        in_flight: int,
        drift: int,
        resolution: str,
        now: datetime,
    ) -> None:
        self.conn.execute(
            insert(t.stock_drift).values(
                sku=sku,
                location=location,
                snapshot_as_of=as_of,
                snapshot_on_hand=snapshot_on_hand,
                event_on_hand=event_on_hand,
                in_flight=in_flight,
                drift=drift,
                resolution=resolution,
                created_at=now,
            )
        )

    # -- reservations -------------------------------------------------------------------
    def reservation_by_key(self, key: str) -> ReservationRow | None:
        r = self._one(f"SELECT {RES_SQL} FROM reservations WHERE idempotency_key = ?", (key,))
        return reservation_of(r) if r is not None else None

    def reservation(self, rid: str) -> ReservationRow | None:
        lock_sql = self._lock()
        r = self._one(f"SELECT {RES_SQL} FROM reservations WHERE id = ?{lock_sql}", (rid,))
        return reservation_of(r) if r is not None else None

    def insert_reservation(self, row: ReservationRow, now: datetime) -> None:
        ts = self._ts(now)
        self._raw(
            f"INSERT INTO reservations ({RES_SQL}, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                row.id,
                row.idempotency_key,
                row.sku,
                row.location,
                row.channel,
                row.quantity,
                row.status,
                row.order_ref,
                self._ts(row.expires_at),
                ts,
                ts,
            ),
        )

    def move_reservation(
        self,
        rid: str,
        from_status: ReservationStatus,
        to_status: ReservationStatus,
        now: datetime,
        order_ref: str | None = None,
    ) -> bool:
        """Change a reservation's status only if it is still ``from_status``."""
        ref_sql = ", order_ref = ?" if order_ref is not None else ""
        params: tuple[Any, ...] = (to_status.value, self._ts(now))
        if order_ref is not None:
            params += (order_ref,)
        cur = self._raw(
            f"UPDATE reservations SET status = ?, updated_at = ?{ref_sql} "
            "WHERE id = ? AND status = ?",
            (*params, rid, from_status.value),
        )
        return bool(cur.rowcount)

    def shipment_by_key(self, key: str) -> tuple[str, int] | None:
        """(reservation id, units) of a shipment already recorded under ``key``."""
        c = t.reservation_shipments.c
        r = self.conn.execute(
            select(c.reservation_id, c.quantity).where(c.idempotency_key == key)
        ).first()
        return None if r is None else (r[0], int(r[1]))

    def shipped_of(self, rid: str) -> int:
        """Units shipped against a reservation so far."""
        c = t.reservation_shipments.c
        total = self.conn.execute(
            select(func.coalesce(func.sum(c.quantity), 0)).where(c.reservation_id == rid)
        ).scalar_one()
        return int(total)

    def add_shipment(self, key: str, rid: str, quantity: int, now: datetime) -> None:
        self.conn.execute(
            insert(t.reservation_shipments).values(
                idempotency_key=key, reservation_id=rid, quantity=quantity, created_at=now
            )
        )

    def expired(
        self, now: datetime, limit: int, *, sku: str | None = None, location: str | None = None
    ) -> list[ReservationRow]:
        """Held reservations whose time ran out (optionally of one position)."""
        rows = self.conn.execute(expired_query(now, limit, sku, location)).all()
        return [reservation_of(r) for r in rows]
