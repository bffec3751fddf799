"""Parked deliveries: what a route could not deliver and a person must look at."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, update

from crossdock.model.base import EntityType
from crossdock.store import schema as t
from crossdock.store.jsoncodec import dumps
from crossdock.store.records import ParkedRow, ParkedStatus
from crossdock.store.repos import rows
from crossdock.store.repos.base import SqlRepo
from crossdock.store.write import WriteTx

_C = t.parked.c


@dataclass(frozen=True, slots=True)
class NewParked:
    """One delivery to park."""

    route: str
    entity_type: EntityType
    entity_id: str
    version: int
    seq: int
    delivery_id: str
    code: str
    error: str
    attempts: int
    payload: dict[str, Any]


class SqlParked(SqlRepo):
    """The ``parked`` table."""

    def page(
        self,
        route: str | None = None,
        status: ParkedStatus = ParkedStatus.PARKED,
        limit: int = 100,
        entity_id: str | None = None,
    ) -> list[ParkedRow]:
        """Parked rows (of one route, of one entity) in the order they were parked."""
        q = select(t.parked).where(_C.status == status.value)
        if route is not None:
            q = q.where(_C.route == route)
        if entity_id is not None:
            q = q.where(_C.entity_id == entity_id)
        with self._engine.connect() as conn:
            found = conn.execute(q.order_by(_C.id).limit(limit)).all()
        return [rows.parked(r) for r in found]

    def count_by_route(self) -> dict[str, int]:
        """Rows still parked, per route."""
        with self._engine.connect() as conn:
            found = conn.execute(
                select(_C.route, func.count())
                .where(_C.status == ParkedStatus.PARKED.value)
                .group_by(_C.route)
            ).all()
        return {r[0]: int(r[1]) for r in found}

    def entities_parked(self, route: str, entity_ids: Sequence[str]) -> set[str]:
        """Which of ``entity_ids`` have a version parked on ``route``."""
        found: set[str] = set()
        with self._engine.connect() as conn:
            for i in range(0, len(entity_ids), rows.CHUNK):
                found.update(
                    r[0]
                    for r in conn.execute(
                        select(_C.entity_id).where(
                            _C.route == route,
                            _C.status == ParkedStatus.PARKED.value,
                            _C.entity_id.in_(entity_ids[i : i + rows.CHUNK]),
                        )
                    )
                )
        return found

    def park(self, tx: WriteTx, p: NewParked) -> None:
        """Park one delivery inside the caller's transaction."""
        now = rows.now()
        tx.conn.execute(
            t.parked.insert().values(
                route=p.route,
                entity_type=p.entity_type.value,
                entity_id=p.entity_id,
                version=p.version,
                seq=p.seq,
                delivery_id=p.delivery_id,
                code=p.code,
                error=p.error[:4000],
                attempts=p.attempts,
                payload=dumps(p.payload),
                status=ParkedStatus.PARKED.value,
                parked_at=now,
                updated_at=now,
            )
        )

    def close(self, tx: WriteTx, route: str, entity_id: str, status: ParkedStatus) -> int:
        """Move an entity's parked rows on ``route`` to ``status``; how many moved."""
        res = tx.conn.execute(
            update(t.parked)
            .where(
                _C.route == route,
                _C.entity_id == entity_id,
                _C.status == ParkedStatus.PARKED.value,
            )
            .values(status=status.value, updated_at=rows.now())
        )
        return int(res.rowcount)
