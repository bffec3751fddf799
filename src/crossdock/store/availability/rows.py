"""Availability rows as the store hands them out, and the SQL fragments they are read with.

Quantities are integers in millionths of a unit (the service converts).
:data:`ATP_SQL` is built from :data:`crossdock.model.inventory.ATP_CLAIMS`,
the one statement of which claims ATP subtracts from on hand.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Select, select

from crossdock.model.inventory import ATP_CLAIMS
from crossdock.store import schema as t
from crossdock.store.bulk import driver_utc

P = t.stock_positions.c
R = t.reservations.c
POSITION_COLS = (
    P.sku,
    P.location,
    P.on_hand,
    P.allocated,
    P.reserved,
    P.safety_stock,
    P.on_hold,
    P.version,
    P.published_atp,
    P.last_event_at,
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
    """Where a reservation stands: held -> confirmed, released or expired; confirmed -> shipped.

    A confirmed reservation is shipped once every unit it allocated has shipped.
    """

    HELD = "held"
    CONFIRMED = "confirmed"
    RELEASED = "released"
    EXPIRED = "expired"
    SHIPPED = "shipped"


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


def position_of(r: Any) -> PositionRow:
    """A position from a row in ``POSITION_COLS`` order."""
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
        driver_utc(r[9]),
    )


def reservation_of(r: Any) -> ReservationRow:
    """A reservation from a row in ``RES_COLS`` order."""
    return ReservationRow(
        r[0],
        r[1],
        r[2],
        r[3],
        r[4],
        int(r[5]),
        r[6],
        r[7],
        driver_utc(r[8]) or r[8],
        driver_utc(r[9]) or r[9],
    )


POS_SQL = (
    "sku, location, on_hand, allocated, reserved, safety_stock, on_hold, version, "
    "published_atp, last_event_at"
)
RES_SQL = (
    "id, idempotency_key, sku, location, channel, quantity, status, order_ref, "
    "expires_at, created_at"
)
RES_COLS = tuple(getattr(R, c.strip()) for c in RES_SQL.split(","))
RESERVE_NEW_SQL = (
    f"WITH seen AS (SELECT {RES_SQL} FROM reservations WHERE idempotency_key = %(key)s), "
    "upd AS (UPDATE stock_positions SET reserved = reserved + %(qty)s, "
    "version = version + 1, updated_at = %(now)s "
    "WHERE sku = %(sku)s AND location = %(loc)s AND "
    f"{ATP_SQL} >= %(qty)s "
    f"AND NOT EXISTS (SELECT 1 FROM seen) RETURNING {POS_SQL}), "
    f"ins AS (INSERT INTO reservations ({RES_SQL}, updated_at) "
    "SELECT %(id)s, %(key)s, sku, location, %(channel)s, %(qty)s, %(status)s, "
    "%(ref)s, %(expires)s, %(now)s, %(now)s FROM upd) "
    "SELECT "
    + ", ".join(f"u.{c.strip()}" for c in POS_SQL.split(","))
    + ", "
    + ", ".join(f"s.{c.strip()}" for c in RES_SQL.split(","))
    + " FROM (SELECT 1) AS one LEFT JOIN upd u ON TRUE LEFT JOIN seen s ON TRUE"
)
"""PostgreSQL's one-statement reserve (:meth:`StockTx.reserve_new`): the position after,
then the reservation already holding the key, each all NULL when there is none."""
RESERVE_NEW_MANY_SQL = (
    "WITH req AS (SELECT * FROM unnest(%(keys)s::text[], %(skus)s::text[], %(locs)s::text[], "
    "%(qtys)s::bigint[], %(ids)s::text[], %(channels)s::text[], %(expires)s::timestamptz[]) "
    "WITH ORDINALITY AS r(rkey, rsku, rloc, rqty, rid, rchannel, rexpires, rn)), "
    f"seen AS (SELECT {RES_SQL} FROM reservations WHERE idempotency_key = ANY(%(keys)s::text[])), "
    "upd AS (UPDATE stock_positions SET reserved = reserved + req.rqty, "
    "version = version + 1, updated_at = %(now)s FROM req "
    "WHERE sku = req.rsku AND location = req.rloc AND "
    f"{ATP_SQL} >= req.rqty "
    "AND NOT EXISTS (SELECT 1 FROM seen WHERE seen.idempotency_key = req.rkey) "
    "RETURNING req.rn, req.rkey, req.rid, req.rqty, req.rchannel, req.rexpires, "
    + ", ".join(f"stock_positions.{c.strip()}" for c in POS_SQL.split(","))
    + "), "
    f"ins AS (INSERT INTO reservations ({RES_SQL}, updated_at) "
    "SELECT rid, rkey, sku, location, rchannel, rqty, %(status)s, NULL, rexpires, "
    "%(now)s, %(now)s FROM upd) "
    "SELECT "
    + ", ".join(f"u.{c.strip()}" for c in POS_SQL.split(","))
    + ", "
    + ", ".join(f"s.{c.strip()}" for c in RES_SQL.split(","))
    + " FROM req LEFT JOIN upd u ON u.rn = req.rn "
    "LEFT JOIN seen s ON s.idempotency_key = req.rkey ORDER BY req.rn"
)
"""PostgreSQL: :data:`RESERVE_NEW_SQL` for several reservations of distinct positions at
once (:meth:`StockTx.reserve_new_many`): per request, in order, the position after, then the
reservation already holding its key."""
BUCKETS = ("on_hand", "allocated", "reserved", "safety_stock", "on_hold")


def expired_query(
    now: datetime, limit: int, sku: str | None = None, location: str | None = None
) -> Select[Any]:
    """Held reservations whose time ran out, oldest first (optionally of one position)."""
    q = select(*RES_COLS).where(R.status == ReservationStatus.HELD.value, R.expires_at < now)
    if sku is not None and location is not None:
        q = q.where(R.sku == sku, R.location == location)
    return q.order_by(R.expires_at).limit(limit)
