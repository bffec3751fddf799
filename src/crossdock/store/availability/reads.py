"""The availability repository's read side, and where its write transactions open."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import bindparam, func, select

from crossdock.store import schema as t
from crossdock.store.availability.rows import (
    POSITION_COLS,
    RES_COLS,
    DriftRow,
    InboundRow,
    P,
    PositionRow,
    R,
    ReservationRow,
    expired_query,
    position_of,
    reservation_of,
)
from crossdock.store.availability.tx import StockTx, WriteSession
from crossdock.store.engine import read_connection
from crossdock.store.write import utc

if TYPE_CHECKING:
    from crossdock.store.facade import Store

_IN = t.stock_inbound.c
# built once: sourcing asks them for every order
_POSITIONS = (
    select(*POSITION_COLS)
    .where(P.sku.in_(bindparam("skus", expanding=True)))
    .order_by(P.sku, P.location)
)
_INBOUND = (
    select(t.stock_inbound)
    .where(_IN.sku.in_(bindparam("skus", expanding=True)))
    .order_by(_IN.sku, _IN.location, _IN.eta, _IN.reference)
)


class StockStore:
    """The availability repository: reads here, writes through :meth:`write`."""

    def __init__(self, store: Store) -> None:
        self.store = store

    @contextmanager
    def write(self) -> Iterator[StockTx]:
        with self.store.write() as tx:
            yield StockTx(tx)

    def session(self) -> WriteSession:
        """A write connection to keep across transactions (close or discard it)."""
        return WriteSession(self.store)

    @property
    def serial_writers(self) -> bool:
        """True when a write transaction excludes every other writer (SQLite)."""
        return self.store.dialect.serial_writers

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
        pos: list[PositionRow] = []
        inb: list[InboundRow] = []
        with read_connection(self.store.engine) as conn:
            if positions:
                if locations:
                    q = select(*POSITION_COLS).where(
                        P.sku.in_(list(skus)), P.location.in_(list(locations))
                    )
                    found = conn.execute(q.order_by(P.sku, P.location))
                else:
                    found = conn.execute(_POSITIONS, {"skus": list(skus)})
                pos = [position_of(r) for r in found]
            if inbound:
                rows = conn.execute(_INBOUND, {"skus": list(skus)}).all()
                inb = [
                    InboundRow(r.sku, r.location, r.reference, r.kind, int(r.quantity), r.eta)
                    for r in rows
                ]
        return pos, inb

    def locations(self) -> list[str]:
        with self.store.engine.connect() as conn:
            rows = conn.execute(select(P.location).distinct().order_by(P.location)).all()
        return [r[0] for r in rows]

    def freshness(self) -> dict[str, datetime | None]:
        """Per location: the time of the last WMS event applied there."""
        with self.store.engine.connect() as conn:
            rows = conn.execute(
                select(P.location, func.max(P.last_event_at))
                .group_by(P.location)
                .order_by(P.location)
            ).all()
        return {r[0]: utc(r[1]) for r in rows}

    def reservation(self, rid: str) -> ReservationRow | None:
        with self.store.engine.connect() as conn:
            r = conn.execute(select(*RES_COLS).where(R.id == rid)).first()
        return reservation_of(r) if r is not None else None

    def expired(self, now: datetime, limit: int) -> list[ReservationRow]:
        """Held reservations whose time ran out, read outside a write (none are locked)."""
        with self.store.engine.connect() as conn:
            rows = conn.execute(expired_query(now, limit)).all()
        return [reservation_of(r) for r in rows]

    def reservations(
        self, *, status: str | None = None, sku: str | None = None, limit: int = 100
    ) -> list[ReservationRow]:
        q = select(*RES_COLS)
        if status is not None:
            q = q.where(R.status == status)
        if sku is not None:
            q = q.where(R.sku == sku)
        with self.store.engine.connect() as conn:
            rows = conn.execute(q.order_by(R.created_at, R.id).limit(limit)).all()
        return [reservation_of(r) for r in rows]

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
