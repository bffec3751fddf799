"""Canonical records: by id, by page, as of a time, and which changed after an outbox position."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, select

from crossdock.model.base import EntityType
from crossdock.model.change import ChangeOp
from crossdock.store import schema as t
from crossdock.store.engine import read_connection
from crossdock.store.jsoncodec import loads
from crossdock.store.records import Keyed, KeyLookup, StoredRecord
from crossdock.store.repos import rows
from crossdock.store.repos.base import SqlRepo

_C = t.records.c
_COLS = (_C.id, _C.version, _C.data, _C.provenance, _C.deleted, _C.created_at, _C.updated_at)

_K = t.record_keys.c
_BY_KEYS = (
    select(_K.value, _C.id, _C.data)
    .join_from(
        t.record_keys, t.records, (_C.entity_type == _K.entity_type) & (_C.id == _K.record_id)
    )
    .where(
        _K.entity_type == bindparam("et"),
        _K.kind == bindparam("kind"),
        _K.value.in_(bindparam("values", expanding=True)),
        _C.deleted.is_(False),
    )
)
"""Live records by natural key (built once: intake asks it for every order)."""


class SqlRecords(SqlRepo):
    """The ``records`` table (and, for history, the outbox it writes to)."""

    def get(self, entity_type: EntityType, record_id: str) -> StoredRecord | None:
        with self._engine.connect() as conn:
            r = conn.execute(
                select(*_COLS).where(_C.entity_type == entity_type.value, _C.id == record_id)
            ).first()
        return None if r is None else rows.record(entity_type, r)

    def get_many(
        self, entity_type: EntityType, record_ids: Sequence[str]
    ) -> dict[str, StoredRecord]:
        """Many records by id (tombstones included); one query per 400 ids."""
        out: dict[str, StoredRecord] = {}
        with self._engine.connect() as conn:
            for i in range(0, len(record_ids), rows.CHUNK):
                part = record_ids[i : i + rows.CHUNK]
                found = conn.execute(
                    select(*_COLS).where(_C.entity_type == entity_type.value, _C.id.in_(part))
                ).all()
                for r in found:
                    out[r[0]] = rows.record(entity_type, r)
        return out

    def data_by_keys(self, lookups: Sequence[KeyLookup]) -> list[dict[str, Keyed]]:
        """The data of live records named by natural keys, every lookup on one connection.

        Per lookup (entity type, key kind, values): value -> (record id, data), for
        values that name a record not deleted. One read transaction and one joined
        query per lookup (per 400 values), where asking the crosswalk then the
        records would take two of each: intake resolves an order's customer and its
        SKUs with this.
        """
        out: list[dict[str, Keyed]] = []
        with read_connection(self._engine) as conn:
            for entity_type, kind, values in lookups:
                found: dict[str, Keyed] = {}
                for i in range(0, len(values), rows.CHUNK):
                    params = {
                        "et": entity_type.value,
                        "kind": kind,
                        "values": list(values[i : i + rows.CHUNK]),
                    }
                    found.update(
                        {r[0]: Keyed(r[1], loads(r[2])) for r in conn.execute(_BY_KEYS, params)}
                    )
                out.append(found)
        return out

    def page(
        self,
        entity_type: EntityType,
        *,
        after_id: str | None = None,
        limit: int = 100,
        include_deleted: bool = False,
    ) -> list[StoredRecord]:
        """Up to ``limit`` records after ``after_id``, in id order."""
        q = select(*_COLS).where(_C.entity_type == entity_type.value)
        if after_id is not None:
            q = q.where(_C.id > after_id)
        if not include_deleted:
            q = q.where(_C.deleted.is_(False))
        with self._engine.connect() as conn:
            found = conn.execute(q.order_by(_C.id).limit(limit)).all()
        return [rows.record(entity_type, r) for r in found]

    def iter(self, entity_type: EntityType, *, page: int = 2000) -> Iterator[StoredRecord]:
        """Every current (not deleted) record of one type, in id order, read a page at a time."""
        after: str | None = None
        while True:
            found = self.page(entity_type, after_id=after, limit=page)
            yield from found
            if len(found) < page:
                return
            after = found[-1].id

    def changed_after(
        self, after: int, entity_types: Sequence[EntityType], *, limit: int = 5000
    ) -> list[tuple[int, EntityType, str]]:
        """(seq, entity type, entity id) of later events of these types, without payloads."""
        c = t.events.c
        q = (
            select(c.seq, c.entity_type, c.entity_id)
            .where(c.seq > after, c.entity_type.in_([e.value for e in entity_types]))
            .order_by(c.seq)
            .limit(limit)
        )
        with self._engine.connect() as conn:
            found = conn.execute(q).all()
        return [(int(r[0]), EntityType(r[1]), r[2]) for r in found]

    def as_of(self, entity_type: EntityType, record_id: str, at: datetime) -> dict[str, Any] | None:
        """A record's data as the hub held it at ``at`` (from its outbox events); None if absent."""
        c = t.events.c
        with self._engine.connect() as conn:
            r = conn.execute(
                select(c.op, c.data)
                .where(c.entity_type == entity_type.value, c.entity_id == record_id, c.time <= at)
                .order_by(c.seq.desc())
                .limit(1)
            ).first()
        if r is None or r[0] == ChangeOp.DELETE.value:
            return None
        data = loads(r[1])
        return data if isinstance(data, dict) else None

    def count(self) -> dict[str, int]:
        """Current (not deleted) records per entity type."""
        with self._engine.connect() as conn:
            found = conn.execute(
                select(_C.entity_type, func.count())
                .where(_C.deleted.is_(False))
                .group_by(_C.entity_type)
            ).all()
        return {r[0]: int(r[1]) for r in found}
