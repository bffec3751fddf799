"""The outbox read side: events after a position, an entity's history, counts and times."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, case, func, select

from crossdock.model.base import EntityType
from crossdock.store import schema as t
from crossdock.store.engine import read_connection
from crossdock.store.records import EventRow
from crossdock.store.repos import rows
from crossdock.store.repos.base import SqlRepo
from crossdock.store.write import utc

_C = t.events.c


def _narrowed(
    q: Select[Any],
    entity_types: Sequence[EntityType] | None,
    partition: tuple[int, int] | None,
) -> Select[Any]:
    if partition is not None and partition[1] > 1:
        q = q.where(_C.bucket % partition[1] == partition[0])
    if entity_types:
        q = q.where(_C.entity_type.in_([e.value for e in entity_types]))
    return q


_LAST_SEQ = select(func.coalesce(func.max(_C.seq), 0))


class SqlOutbox(SqlRepo):
    """The ``events`` table, in sequence order."""

    def after(
        self,
        after: int,
        *,
        limit: int = 500,
        entity_types: Sequence[EntityType] | None = None,
        entity_id: str | None = None,
        partition: tuple[int, int] | None = None,
    ) -> list[EventRow]:
        """Events after ``after``; ``partition=(p, n)`` keeps those whose bucket % n == p."""
        q = _narrowed(select(t.events).where(_C.seq > after), entity_types, partition)
        if entity_id is not None:
            q = q.where(_C.entity_id == entity_id)
        with self._engine.connect() as conn:
            found = conn.execute(q.order_by(_C.seq).limit(limit)).all()
        return [rows.event(r) for r in found]

    def history(self, entity_type: EntityType, entity_id: str, limit: int = 1000) -> list[EventRow]:
        """The entity's events, oldest version first (retention may have pruned early ones)."""
        q = (
            select(t.events)
            .where(_C.entity_type == entity_type.value, _C.entity_id == entity_id)
            .order_by(_C.version)
            .limit(limit)
        )
        with self._engine.connect() as conn:
            return [rows.event(r) for r in conn.execute(q).all()]

    def previous(
        self, entity_type: EntityType, entity_id: str, before_version: int
    ) -> EventRow | None:
        """The entity's newest event older than ``before_version``."""
        q = (
            select(t.events)
            .where(
                _C.entity_type == entity_type.value,
                _C.entity_id == entity_id,
                _C.version < before_version,
            )
            .order_by(_C.version.desc())
            .limit(1)
        )
        with self._engine.connect() as conn:
            row = conn.execute(q).first()
        return None if row is None else rows.event(row)

    def count_after(
        self,
        after: int,
        *,
        entity_types: Sequence[EntityType] | None = None,
        partition: tuple[int, int] | None = None,
    ) -> int:
        """How many events after ``after`` (of these types, in this partition) wait."""
        q = select(func.count()).select_from(t.events).where(_C.seq > after)
        with self._engine.connect() as conn:
            return int(conn.execute(_narrowed(q, entity_types, partition)).scalar_one())

    def last_seq(self) -> int:
        """The newest sequence number (0 for an empty outbox); asked by every price quote."""
        with read_connection(self._engine) as conn:
            return int(conn.execute(_LAST_SEQ).scalar_one())

    def event_time(self, seq: int) -> datetime | None:
        """When the event at ``seq`` happened."""
        with self._engine.connect() as conn:
            return utc(conn.execute(select(_C.time).where(_C.seq == seq)).scalar())

    def first_seq_since(self, since: datetime) -> int | None:
        """The first outbox sequence number at or after ``since``."""
        with self._engine.connect() as conn:
            found = conn.execute(select(func.min(_C.seq)).where(_C.time >= since)).scalar()
        return int(found) if found is not None else None

    def count_by_source(self, edges: Sequence[datetime]) -> dict[str | None, list[int]]:
        """Events per source system in each interval ``[edges[i], edges[i + 1])``, counted here.

        One grouped query over the time index; no event is read into Python.
        """
        if len(edges) < 2:
            return {}
        slot = case(*((_C.time < e, i) for i, e in enumerate(edges[1:])), else_=-1)
        q = (
            select(_C.source_system, slot.label("slot"), func.count())
            .where(_C.time >= edges[0], _C.time < edges[-1])
            .group_by(_C.source_system, slot)
        )
        out: dict[str | None, list[int]] = {}
        with self._engine.connect() as conn:
            for source, i, n in conn.execute(q):
                if i >= 0:
                    out.setdefault(source, [0] * (len(edges) - 1))[i] += int(n)
        return out

    def count(self) -> int:
        """Every event in the outbox."""
        with self._engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(t.events)).scalar_one())
