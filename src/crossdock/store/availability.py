"""The availability tables behind one repository: stock positions, inbound, reservations, feeds.

Quantities are integers in millionths of a unit (the service converts). The
one guarantee that matters lives in :meth:`StockTx.reserve`: a single
conditional ``UPDATE`` that adds to ``reserved`` only while
``on_hand - allocated - reserved - safety_stock - on_hold`` still covers the
quantity. Inside a write transaction (``BEGIN IMMEDIATE`` on SQLite; a row
lock taken by ``SELECT ... FOR UPDATE`` or the update itself on PostgreSQL)
no two reservations can both take the last units.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Select, delete, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import DBAPIError

from crossdock.model.inventory import ATP_CLAIMS
from crossdock.store import schema as t
from crossdock.store.repository import Store
from crossdock.store.write import WriteTx, utc

_P = t.stock_positions.c
_R = t.reservations.c
_POSITION_COLS = (
    _P.sku,
    _P.location,
    _P.on_hand,
    _P.allocated,
    _P.reserved,
    _P.safety_stock,
    _P.on_hold,
    _P.version,
    _P.published_atp,
    _P.last_event_at,
)


@dataclass(frozen=True, slots=True)
class PositionRow:
    """One SKU at one location as stored (millionths of a unit)."""

    sku: str
    location: str
    on_hand: int
    allocated: int
    reserved: int
    safety_stock: int
    on_hold: int
    version: int
    published_atp: int | None
    last_event_at: datetime | None


@dataclass(frozen=True, slots=True)
class InboundRow:
    sku: str
    location: str
    reference: str
    kind: str
    quantity: int
    eta: date


#: ATP as SQL over a stock_positions row, from the one statement of the rule.
ATP_SQL = "(on_hand - " + " - ".join(ATP_CLAIMS) + ")"


class ReservationStatus(StrEnum):
    """Where a reservation stands; only a held one moves (to confirmed, released, expired)."""

    HELD = "held"
    CONFIRMED = "confirmed"
    RELEASED = "released"
    EXPIRED = "expired"


@dataclass(frozen=True, slots=True)
class ReservationRow:
    id: str
    idempotency_key: str
    sku: str
    location: str
    channel: str | None
    quantity: int
    status: str
    order_ref: str | None
    expires_at: datetime
    created_at: datetime


@dataclass(frozen=True, slots=True)
class DriftRow:
    id: int
    sku: str
    location: str
    snapshot_as_of: datetime
    snapshot_on_hand: int
    event_on_hand: int
    in_flight: int
    drift: int
    resolution: str
    created_at: datetime


def _ts(value: Any) -> datetime | None:
    """A timestamp as a driver hands it back (SQLite: text) as an aware UTC datetime."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return utc(value)


def _position(r: Any) -> PositionRow:
    """A position from a row in ``_POSITION_COLS`` order."""
    return PositionRow(
        r[0],
        r[1],
        int(r[2]),
        int(r[3]),
        int(r[4]),
        int(r[5]),
        int(r[6]),
        int(r[7]),
        None if r[8] is None else int(r[8]),
        _ts(r[9]),
    )


def _reservation(r: Any) -> ReservationRow:
    """A reservation from a row in ``_RES_COLS`` order."""
    return ReservationRow(
        r[0],
        r[1],
        r[2],
        r[3],
        r[4],
        int(r[5]),
        r[6],
        r[7],
        _ts(r[8]) or r[8],
        _ts(r[9]) or r[9],
    )


_POS_SQL = (
    "sku, location, on_hand, allocated, reserved, safety_stock, on_hold, version, "
    "published_atp, last_event_at"
)
_RES_SQL = (
    "id, idempotency_key, sku, location, channel, quantity, status, order_ref, "
    "expires_at, created_at"
)
_RES_COLS = tuple(getattr(_R, c.strip()) for c in _RES_SQL.split(","))
_RESERVE_NEW_SQL = (
    f"WITH seen AS (SELECT {_RES_SQL} FROM reservations WHERE idempotency_key = %(key)s), "
    "upd AS (UPDATE stock_positions SET reserved = reserved + %(qty)s, "
    "version = version + 1, updated_at = %(now)s "
    "WHERE sku = %(sku)s AND location = %(loc)s AND "
    f"{ATP_SQL} >= %(qty)s "
    f"AND NOT EXISTS (SELECT 1 FROM seen) RETURNING {_POS_SQL}), "
    f"ins AS (INSERT INTO reservations ({_RES_SQL}, updated_at) "
    "SELECT %(id)s, %(key)s, sku, location, %(channel)s, %(qty)s, %(status)s, "
    "%(ref)s, %(expires)s, %(now)s, %(now)s FROM upd) "
    "SELECT "
    + ", ".join(f"u.{c.strip()}" for c in _POS_SQL.split(","))
    + ", "
    + ", ".join(f"s.{c.strip()}" for c in _RES_SQL.split(","))
    + " FROM (SELECT 1) AS one LEFT JOIN upd u ON TRUE LEFT JOIN seen s ON TRUE"
)
"""PostgreSQL's one-statement reserve (:meth:`StockTx.reserve_new`): the position after,
then the reservation already holding the key, each all NULL when there is none."""
_BUCKETS = ("on_hand", "allocated", "reserved", "safety_stock", "on_hold")


def _expired_query(
    now: datetime, limit: int, sku: str | None = None, location: str | None = None
) -> Select[Any]:
    """Held reservations whose time ran out, oldest first (optionally of one position)."""
    q = select(*_RES_COLS).where(_R.status == ReservationStatus.HELD.value, _R.expires_at < now)
    if sku is not None and location is not None:
        q = q.where(_R.sku == sku, _R.location == location)
    return q.order_by(_R.expires_at).limit(limit)


class StockTx:
    """Availability writes inside one open write transaction."""

    def __init__(self, tx: WriteTx) -> None:
        self.tx = tx
        self.conn = tx.conn
        self.is_postgres = tx.is_postgres
        self._cursor: Any = None

    def _sql(self, sql: str) -> str:
        return sql.replace("?", "%s") if self.is_postgres else sql

    def _raw(self, sql: str, params: Any, *, many: bool = False) -> Any:
        """Run ``sql`` on the transaction's own DBAPI cursor; the cursor.

        The hot statements (a few per reservation or event) skip SQLAlchemy's
        statement and result machinery, which cost four times SQLite's own work
        per statement. A driver error is raised as SQLAlchemy raises it
        (``IntegrityError``, ``DBAPIError`` with the SQLSTATE), so savepoint
        reruns and race retries see what they always saw.
        """
        if self._cursor is None:
            self._cursor = self.conn.connection.cursor()
        sql = self._sql(sql)
        try:
            if many:
                self._cursor.executemany(sql, params)
            else:
                self._cursor.execute(sql, params)
        except self.conn.dialect.loaded_dbapi.Error as exc:
            raise DBAPIError.instance(
                sql, params, exc, self.conn.dialect.loaded_dbapi.Error, dialect=self.conn.dialect
            ) from exc
        return self._cursor

    def _one(self, sql: str, params: tuple[Any, ...] | dict[str, Any]) -> Any:
        return self._raw(sql, params).fetchone()

    def _all(self, sql: str, params: tuple[Any, ...]) -> list[Any]:
        return list(self._raw(sql, params).fetchall())

    # -- positions ----------------------------------------------------------------------
    def position(self, sku: str, location: str, *, lock: bool = True) -> PositionRow | None:
        """The row, locked for this transaction on PostgreSQL (SQLite: the tx already is)."""
        lock_sql = " FOR UPDATE" if lock and self.is_postgres else ""
        r = self._one(
            f"SELECT {_POS_SQL} FROM stock_positions WHERE sku = ? AND location = ?{lock_sql}",
            (sku, location),
        )
        return _position(r) if r is not None else None

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
        lock_sql = " FOR UPDATE" if lock and self.is_postgres else ""
        for i in range(0, len(ordered), 400):
            part = ordered[i : i + 400]
            pairs = ", ".join(["(?, ?)"] * len(part))
            # The sub-select: SQLite plans a bare ``IN (VALUES ...)`` of row values as a scan.
            rows = self._all(
                f"SELECT {_POS_SQL} FROM stock_positions WHERE (sku, location) IN "
                f"(SELECT column1, column2 FROM (VALUES {pairs}) AS v) "
                f"ORDER BY sku, location{lock_sql}",
                tuple(v for k in part for v in k),
            )
            for r in rows:
                out[(r[0], r[1])] = _position(r)
        return out

    def refusal(self, sku: str, location: str, now: datetime) -> tuple[PositionRow, bool] | None:
        """The locked row of a refused reserve, and whether it has overdue holds; one statement."""
        lock_sql = " FOR UPDATE" if self.is_postgres else ""
        r = self._one(
            f"SELECT {_POS_SQL}, EXISTS (SELECT 1 FROM reservations r WHERE r.sku = ? AND "
            "r.location = ? AND r.status = 'held' AND r.expires_at < ?) "
            f"FROM stock_positions WHERE sku = ? AND location = ?{lock_sql}",
            (sku, location, self.tx._ts(now), sku, location),
        )
        return None if r is None else (_position(r), bool(r[10]))

    def ensure_position(self, sku: str, location: str, now: datetime) -> PositionRow:
        """The row, created empty first if it does not exist (racing creators both succeed)."""
        found = self.position(sku, location)
        if found is not None:
            return found
        values = {"sku": sku, "location": location, "version": 1, "updated_at": now}
        for col in _BUCKETS:
            values[col] = 0
        stmt = (pg_insert if self.is_postgres else sqlite_insert)(t.stock_positions)
        self.conn.execute(stmt.values(**values).on_conflict_do_nothing())
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
        cols = [c for c in _BUCKETS if deltas.get(c)]
        sets = [f"{c} = {c} + ?" for c in cols] + ["version = version + 1", "updated_at = ?"]
        params: list[Any] = [deltas[c] for c in cols] + [self.tx._ts(now)]
        if event_at is not None:
            sets.append("last_event_at = ?")
            params.append(self.tx._ts(event_at))
        r = self._one(
            f"UPDATE stock_positions SET {', '.join(sets)} WHERE sku = ? AND location = ? "
            f"RETURNING {_POS_SQL}",
            (*params, sku, location),
        )
        if r is None:
            raise LookupError(f"no stock position {sku}@{location}")
        return _position(r)

    def add_many(self, rows: Sequence[tuple[PositionRow, int, int, int]], now: datetime) -> None:
        """Apply (row, on_hand delta, allocated delta, versions) to locked rows; one executemany.

        The caller computed each row's new state from the row it locked; the
        statement adds the same deltas, so the stored row and the computed one agree.
        """
        ts = self.tx._ts(now)
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
            f"RETURNING {_POS_SQL}",
            (quantity, self.tx._ts(now), sku, location, quantity),
        )
        return _position(r) if r is not None else None

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
        if not self.is_postgres:
            raise NotImplementedError("reserve_new is one statement on PostgreSQL only")
        ts = self.tx._ts(now)
        r = self._one(
            _RESERVE_NEW_SQL,
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
                "expires": self.tx._ts(row.expires_at),
            },
        )
        n = len(_POSITION_COLS)
        if r[0] is not None:
            return _position(r[:n]), None
        if r[n] is not None:
            return None, _reservation(r[n:])
        return None, None

    def set_values(self, sku: str, location: str, now: datetime, **values: int) -> PositionRow:
        """Set bucket columns to absolute values (millionths)."""
        r = self.conn.execute(
            update(t.stock_positions)
            .where(_P.sku == sku, _P.location == location)
            .values(version=_P.version + 1, updated_at=now, **values)
            .returning(*_POSITION_COLS)
        ).first()
        if r is None:
            raise LookupError(f"no stock position {sku}@{location}")
        return _position(r)

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
            [(sku, loc, self.tx._ts(now)) for sku, loc, _ in marks],
            many=True,
        )

    def take_publish(self, limit: int) -> list[PositionRow]:
        """Take up to ``limit`` queued positions (skipping those another drain holds)."""
        lock_sql = " FOR UPDATE SKIP LOCKED" if self.is_postgres else ""
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
        ts = self.tx._ts(now)
        self._raw(
            "INSERT INTO inventory_event_keys (key, sku, location, kind, delta, occurred_at, "
            "applied_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [(k, s, loc, kind, d, self.tx._ts(at), ts) for k, s, loc, kind, d, at in events],
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
        r = self._one(f"SELECT {_RES_SQL} FROM reservations WHERE idempotency_key = ?", (key,))
        return _reservation(r) if r is not None else None

    def reservation(self, rid: str) -> ReservationRow | None:
        lock_sql = " FOR UPDATE" if self.is_postgres else ""
        r = self._one(f"SELECT {_RES_SQL} FROM reservations WHERE id = ?{lock_sql}", (rid,))
        return _reservation(r) if r is not None else None

    def insert_reservation(self, row: ReservationRow, now: datetime) -> None:
        ts = self.tx._ts(now)
        self._raw(
            f"INSERT INTO reservations ({_RES_SQL}, updated_at) "
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
                self.tx._ts(row.expires_at),
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
        params: tuple[Any, ...] = (to_status.value, self.tx._ts(now))
        if order_ref is not None:
            params += (order_ref,)
        cur = self._raw(
            f"UPDATE reservations SET status = ?, updated_at = ?{ref_sql} "
            "WHERE id = ? AND status = ?",
            (*params, rid, from_status.value),
        )
        return bool(cur.rowcount)

    def expired(
        self, now: datetime, limit: int, *, sku: str | None = None, location: str | None = None
    ) -> list[ReservationRow]:
        """Held reservations whose time ran out (optionally of one position)."""
        rows = self.conn.execute(_expired_query(now, limit, sku, location)).all()
        return [_reservation(r) for r in rows]


class StockStore:
    """The availability repository: reads here, writes through :meth:`write`."""

    def __init__(self, store: Store) -> None:
        self.store = store

    @contextmanager
    def write(self) -> Iterator[StockTx]:
        with self.store.write() as tx:
            yield StockTx(tx)

    def positions(
        self, skus: Sequence[str], locations: Sequence[str] | None = None
    ) -> list[PositionRow]:
        return self.positions_and_inbound(skus, locations, inbound=False)[0]

    def position(self, sku: str, location: str) -> PositionRow | None:
        found = self.positions([sku], [location])
        return found[0] if found else None

    def inbound(self, skus: Sequence[str]) -> list[InboundRow]:
        return self.positions_and_inbound(skus, None, positions=False)[1]

    def positions_and_inbound(
        self,
        skus: Sequence[str],
        locations: Sequence[str] | None = None,
        *,
        positions: bool = True,
        inbound: bool = True,
    ) -> tuple[list[PositionRow], list[InboundRow]]:
        """Positions of ``skus`` (at ``locations``) and their inbound, read on one connection."""
        c = t.stock_inbound.c
        pos: list[PositionRow] = []
        inb: list[InboundRow] = []
        with self.store.engine.connect() as conn:
            if positions:
                q = select(*_POSITION_COLS).where(_P.sku.in_(list(skus)))
                if locations:
                    q = q.where(_P.location.in_(list(locations)))
                pos = [_position(r) for r in conn.execute(q.order_by(_P.sku, _P.location))]
            if inbound:
                rows = conn.execute(
                    select(t.stock_inbound)
                    .where(c.sku.in_(list(skus)))
                    .order_by(c.sku, c.location, c.eta, c.reference)
                ).all()
                inb = [
                    InboundRow(r.sku, r.location, r.reference, r.kind, int(r.quantity), r.eta)
                    for r in rows
                ]
        return pos, inb

    def locations(self) -> list[str]:
        with self.store.engine.connect() as conn:
            rows = conn.execute(select(_P.location).distinct().order_by(_P.location)).all()
        return [r[0] for r in rows]

    def freshness(self) -> dict[str, datetime | None]:
        """Per location: the time of the last WMS event applied there."""
        with self.store.engine.connect() as conn:
            rows = conn.execute(
                select(_P.location, func.max(_P.last_event_at))
                .group_by(_P.location)
                .order_by(_P.location)
            ).all()
        return {r[0]: utc(r[1]) for r in rows}

    def reservation(self, rid: str) -> ReservationRow | None:
        with self.store.engine.connect() as conn:
            r = conn.execute(select(*_RES_COLS).where(_R.id == rid)).first()
        return _reservation(r) if r is not None else None

    def expired(self, now: datetime, limit: int) -> list[ReservationRow]:
        """Held reservations whose time ran out, read outside a write (none are locked)."""
        with self.store.engine.connect() as conn:
            rows = conn.execute(_expired_query(now, limit)).all()
        return [_reservation(r) for r in rows]

    def reservations(
        self, *, status: str | None = None, sku: str | None = None, limit: int = 100
    ) -> list[ReservationRow]:
        q = select(*_RES_COLS)
        if status is not None:
            q = q.where(_R.status == status)
        if sku is not None:
            q = q.where(_R.sku == sku)
        with self.store.engine.connect() as conn:
            rows = conn.execute(q.order_by(_R.created_at, _R.id).limit(limit)).all()
        return [_reservation(r) for r in rows]

    def drift(
        self, *, sku: str | None = None, location: str | None = None, limit: int = 100
    ) -> list[DriftRow]:
        c = t.stock_drift.c
        q = select(t.stock_drift)
        if sku is not None:
            q = q.where(c.sku == sku)
        if location is not None:
            q = q.where(c.location == location)
        with self.store.engine.connect() as conn:
            rows = conn.execute(q.order_by(c.id.desc()).limit(limit)).all()
        return [
            DriftRow(
                int(r.id),
                r.sku,
                r.location,
                utc(r.snapshot_as_of) or r.snapshot_as_of,
                int(r.snapshot_on_hand),
                int(r.event_on_hand),
                int(r.in_flight),
                int(r.drift),
                r.resolution,
                utc(r.created_at) or r.created_at,
            )
            for r in rows
        ]


__all__ = [
    "ATP_SQL",
    "DriftRow",
    "InboundRow",
    "PositionRow",
    "ReservationRow",
    "ReservationStatus",
    "StockStore",
    "StockTx",
]
