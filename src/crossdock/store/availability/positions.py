"""Stock position writes: lock, change, reserve, publish.

The one guarantee that matters lives in :meth:`PositionWrites.reserve`: a
single conditional ``UPDATE`` that adds to ``reserved`` only while ATP
(:data:`~crossdock.store.availability.rows.ATP_SQL`, built from
``model.inventory.ATP_CLAIMS``) still covers the quantity. Inside a write
transaction (``BEGIN IMMEDIATE`` on SQLite; a row lock taken by ``SELECT ...
FOR UPDATE`` or the update itself on PostgreSQL) no two reservations can both
take the last units.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import update

from crossdock.store import schema as t
from crossdock.store.availability.base import StockTxBase
from crossdock.store.availability.rows import (
    ATP_SQL,
    BUCKETS,
    POS_SQL,
    POSITION_COLS,
    RESERVE_NEW_MANY_SQL,
    RESERVE_NEW_SQL,
    P,
    PositionRow,
    ReservationRow,
    position_of,
    reservation_of,
)


class PositionWrites(StockTxBase):
    """Writes to ``stock_positions`` and the publish queue."""

    def position(self, sku: str, location: str, *, lock: bool = True) -> PositionRow | None:
        """The row, locked for this transaction on PostgreSQL (SQLite: the tx already is)."""
        lock_sql = self._lock(lock)
        r = self._one(
            f"SELECT {POS_SQL} FROM stock_positions WHERE sku = ? AND location = ?{lock_sql}",
            (sku, location),
        )
        return position_of(r) if r is not None else None

    def positions(
        self, keys: Sequence[tuple[str, str]], *, lock: bool = True
    ) -> dict[tuple[str, str], PositionRow]:
        """Many rows by (sku, location); one statement per 400.

        Locked on PostgreSQL, in sorted order (PostgreSQL locks above the sort,
        row by row in ``ORDER BY`` order), so two writers locking overlapping sets
        never deadlock. SQLite needs no lock: the write transaction already is one.
        """
        out: dict[tuple[str, str], PositionRow] = {}
        ordered = sorted(set(keys))
        lock_sql = self._lock(lock)
        for i in range(0, len(ordered), 400):
            part = ordered[i : i + 400]
            pairs = ", ".join(["(?, ?)"] * len(part))
            # The sub-select: SQLite plans a bare ``IN (VALUES ...)`` of row values as a scan.
            rows = self._all(
                f"SELECT {POS_SQL} FROM stock_positions WHERE (sku, location) IN "
                f"(SELECT column1, column2 FROM (VALUES {pairs}) AS v) "
                f"ORDER BY sku, location{lock_sql}",
                tuple(v for k in part for v in k),
            )
            for r in rows:
                out[(r[0], r[1])] = position_of(r)
        return out

    def refusal(self, sku: str, location: str, now: datetime) -> tuple[PositionRow, bool] | None:
        """The locked row of a refused reserve, and whether it has overdue holds; one statement."""
        lock_sql = self._lock()
        r = self._one(
            f"SELECT {POS_SQL}, EXISTS (SELECT 1 FROM reservations r WHERE r.sku = ? AND "
            "r.location = ? AND r.status = 'held' AND r.expires_at < ?) "
            f"FROM stock_positions WHERE sku = ? AND location = ?{lock_sql}",
            (sku, location, self._ts(now), sku, location),
        )
        return None if r is None else (position_of(r), bool(r[10]))

    def ensure_position(self, sku: str, location: str, now: datetime) -> PositionRow:
        """The row, created empty first if it does not exist (racing creators both succeed)."""
        found = self.position(sku, location)
        if found is not None:
            return found
        values = {"sku": sku, "location": location, "version": 1, "updated_at": now}
        for col in BUCKETS:
            values[col] = 0
        self.conn.execute(self.dialect.insert_ignore(t.stock_positions).values(**values))
        row = self.position(sku, location)
        assert row is not None
        return row

    def change(
        self,
        sku: str,
        location: str,
        now: datetime,
        *,
        event_at: datetime | None = None,
        **deltas: int,
    ) -> PositionRow:
        """Add ``deltas`` (column -> millionths) to a position; the row as it is now."""
        cols = [c for c in BUCKETS if deltas.get(c)]
        sets = [f"{c} = {c} + ?" for c in cols] + ["version = version + 1", "updated_at = ?"]
        params: list[Any] = [deltas[c] for c in cols] + [self._ts(now)]
        if event_at is not None:
            sets.append("last_event_at = ?")
            params.append(self._ts(event_at))
        r = self._one(
            f"UPDATE stock_positions SET {', '.join(sets)} WHERE sku = ? AND location = ? "
            f"RETURNING {POS_SQL}",
            (*params, sku, location),
        )
        if r is None:
            raise LookupError(f"no stock position {sku}@{location}")
        return position_of(r)

    def add_many(self, rows: Sequence[tuple[PositionRow, int, int, int]], now: datetime) -> None:
        """Apply (row, on_hand delta, allocated delta, versions) to locked rows; one executemany.

        The caller computed each row's new state from the row it locked; the
        statement adds the same deltas, so the stored row and the computed one agree.
        """
        ts = self._ts(now)
        self._raw(
            "UPDATE stock_positions SET on_hand = on_hand + ?, allocated = allocated + ?, "
            "version = version + ?, updated_at = ?, last_event_at = ? "
            "WHERE sku = ? AND location = ?",
            [(d, a, n, ts, ts, r.sku, r.location) for r, d, a, n in rows],
            many=True,
        )

    def reserve(self, sku: str, location: str, quantity: int, now: datetime) -> PositionRow | None:
        """Add ``quantity`` to reserved only if ATP still covers it; ``None`` when it does not.

        The no-oversell guarantee: the condition and the addition are one statement.
        """
        r = self._one(
            "UPDATE stock_positions SET reserved = reserved + ?, version = version + 1, "
            "updated_at = ? WHERE sku = ? AND location = ? AND "
            f"{ATP_SQL} >= ? "
            f"RETURNING {POS_SQL}",
            (quantity, self._ts(now), sku, location, quantity),
        )
        return position_of(r) if r is not None else None

    def reserve_new(
        self, row: ReservationRow, now: datetime
    ) -> tuple[PositionRow | None, ReservationRow | None]:
        """PostgreSQL: reserve and insert ``row`` in one statement, unless its key was seen.

        One round trip instead of three (key lookup, conditional update, insert):
        ``(position after, None)`` when reserved and inserted; ``(None, found)`` when
        ``row.idempotency_key`` is already a reservation (nothing written);
        ``(None, None)`` when ATP does not cover it or there is no such position
        (nothing written). The no-oversell condition is the same single conditional
        ``UPDATE`` as :meth:`reserve`; a key inserted concurrently by another
        transaction fails the insert on the unique key, as the insert alone would.
        """
        if not self.reserves_in_one_statement:
            raise NotImplementedError("reserve_new is one statement on PostgreSQL only")
        ts = self._ts(now)
        r = self._one(
            RESERVE_NEW_SQL,
            {
                "key": row.idempotency_key,
                "qty": row.quantity,
                "now": ts,
                "sku": row.sku,
                "loc": row.location,
                "id": row.id,
                "channel": row.channel,
                "status": row.status,
                "ref": row.order_ref,
                "expires": self._ts(row.expires_at),
            },
        )
        n = len(POSITION_COLS)
        if r[0] is not None:
            return position_of(r[:n]), None
        if r[n] is not None:
            return None, reservation_of(r[n:])
        return None, None

    def reserve_new_many(
        self, rows: Sequence[ReservationRow], now: datetime
    ) -> list[tuple[PositionRow | None, ReservationRow | None]]:
        """PostgreSQL: :meth:`reserve_new` for each of ``rows`` in one statement.

        The rows must name distinct positions and distinct keys (one ``UPDATE``
        changes a row once). The positions are locked first, in (SKU, location)
        order, as a batch of writes locks them, so two writers never deadlock;
        then one round trip makes every reservation ATP covers and whose key is
        new, each under the same single conditional ``UPDATE`` as :meth:`reserve`.
        Each answer in ``rows``' order, as :meth:`reserve_new` gives it.
        """
        if not self.reserves_in_one_statement:
            raise NotImplementedError("reserve_new_many is one statement on PostgreSQL only")
        self.positions([(r.sku, r.location) for r in rows])
        ts = self._ts(now)
        result = self._raw(
            RESERVE_NEW_MANY_SQL,
            {
                "keys": [r.idempotency_key for r in rows],
                "skus": [r.sku for r in rows],
                "locs": [r.location for r in rows],
                "qtys": [r.quantity for r in rows],
                "ids": [r.id for r in rows],
                "channels": [r.channel for r in rows],
                "expires": [self._ts(r.expires_at) for r in rows],
                "status": rows[0].status if rows else "held",
                "now": ts,
            },
        ).fetchall()
        n = len(POSITION_COLS)
        out: list[tuple[PositionRow | None, ReservationRow | None]] = []
        for r in result:
            if r[0] is not None:
                out.append((position_of(r[:n]), None))
            elif r[n] is not None:
                out.append((None, reservation_of(r[n:])))
            else:
                out.append((None, None))
        return out

    def set_values(self, sku: str, location: str, now: datetime, **values: int) -> PositionRow:
        """Set bucket columns to absolute values (millionths)."""
        r = self.conn.execute(
            update(t.stock_positions)
            .where(P.sku == sku, P.location == location)
            .values(version=P.version + 1, updated_at=now, **values)
            .returning(*POSITION_COLS)
        ).first()
        if r is None:
            raise LookupError(f"no stock position {sku}@{location}")
        return position_of(r)

    def mark_published(self, marks: Sequence[tuple[str, str, int]], now: datetime) -> None:
        """Record (sku, location, atp) as published and queue each once for the drain."""
        if not marks:
            return
        self._raw(
            "UPDATE stock_positions SET published_atp = ? WHERE sku = ? AND location = ?",
            [(atp, sku, loc) for sku, loc, atp in marks],
            many=True,
        )
        self._raw(
            "INSERT INTO atp_publish_queue (sku, location, queued_at) VALUES (?, ?, ?) "
            "ON CONFLICT DO NOTHING",
            [(sku, loc, self._ts(now)) for sku, loc, _ in marks],
            many=True,
        )

    def take_publish(self, limit: int) -> list[PositionRow]:
        """Take up to ``limit`` queued positions (skipping those another drain holds)."""
        lock_sql = self._lock(skip_locked=True)
        keys = [
            (r[0], r[1])
            for r in self._all(
                "SELECT sku, location FROM atp_publish_queue ORDER BY sku, location "
                f"LIMIT ?{lock_sql}",
                (limit,),
            )
        ]
        if not keys:
            return []
        self._raw("DELETE FROM atp_publish_queue WHERE sku = ? AND location = ?", keys, many=True)
        found = self.positions(keys, lock=False)
        return [found[k] for k in keys if k in found]
