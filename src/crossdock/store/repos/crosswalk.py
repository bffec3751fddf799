"""The crosswalk (native id in a system <-> canonical id) and the natural keys of records."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select

from crossdock.model.base import EntityType
from crossdock.store import schema as t
from crossdock.store.repos import rows
from crossdock.store.repos.base import SqlRepo

_C = t.crosswalk.c


class SqlCrosswalk(SqlRepo):
    """Who is who across systems."""

    def resolve(self, system: str, entity_type: EntityType, native_id: str) -> str | None:
        """The canonical id of ``system``'s ``native_id``."""
        with self._engine.connect() as conn:
            return conn.execute(
                select(_C.canonical_id).where(
                    _C.system == system,
                    _C.entity_type == entity_type.value,
                    _C.native_id == native_id,
                )
            ).scalar_one_or_none()

    def find_by_keys(
        self, entity_type: EntityType, kind: str, values: Sequence[str]
    ) -> dict[str, str]:
        """:meth:`find_by_key` for many values in one query: value -> record id (found only)."""
        if not values:
            return {}
        c = t.record_keys.c
        out: dict[str, str] = {}
        with self._engine.connect() as conn:
            for start in range(0, len(values), 500):
                found = conn.execute(
                    select(c.value, c.record_id).where(
                        c.entity_type == entity_type.value,
                        c.kind == kind,
                        c.value.in_(list(values[start : start + 500])),
                    )
                )
                out.update({r[0]: r[1] for r in found})
        return out

    def native_ids(self, entity_type: EntityType, canonical_id: str) -> list[tuple[str, str]]:
        """(system, native_id) pairs of one canonical record, oldest first."""
        with self._engine.connect() as conn:
            found = conn.execute(
                select(_C.system, _C.native_id)
                .where(_C.entity_type == entity_type.value, _C.canonical_id == canonical_id)
                .order_by(_C.created_at, _C.native_id)
            ).all()
        return [(r[0], r[1]) for r in found]

    def native_ids_of(
        self, entity_type: EntityType, canonical_ids: Sequence[str]
    ) -> dict[str, list[tuple[str, str]]]:
        """canonical_id -> its (system, native_id) pairs, oldest first; one query per 400 ids."""
        out: dict[str, list[tuple[str, str]]] = {cid: [] for cid in canonical_ids}
        with self._engine.connect() as conn:
            for i in range(0, len(canonical_ids), rows.CHUNK):
                found = conn.execute(
                    select(_C.canonical_id, _C.system, _C.native_id)
                    .where(
                        _C.entity_type == entity_type.value,
                        _C.canonical_id.in_(canonical_ids[i : i + rows.CHUNK]),
                    )
                    .order_by(_C.created_at, _C.native_id)
                ).all()
                for cid, system, native in found:
                    out[cid].append((system, native))
        return out

    def native_ids_for(
        self, entity_type: EntityType, system: str, canonical_ids: Sequence[str]
    ) -> dict[str, str]:
        """canonical_id -> the first native id ``system`` has for it."""
        out: dict[str, str] = {}
        with self._engine.connect() as conn:
            for i in range(0, len(canonical_ids), rows.CHUNK):
                found = conn.execute(
                    select(_C.canonical_id, _C.native_id)
                    .where(
                        _C.entity_type == entity_type.value,
                        _C.system == system,
                        _C.canonical_id.in_(canonical_ids[i : i + rows.CHUNK]),
                    )
                    .order_by(_C.created_at.desc())
                ).all()
                for cid, nid in found:
                    out[cid] = nid
        return out

    def of_system(self, system: str, entity_type: EntityType) -> dict[str, str]:
        """Every native id ``system`` has for records of this type -> its canonical id."""
        with self._engine.connect() as conn:
            found = conn.execute(
                select(_C.native_id, _C.canonical_id).where(
                    _C.system == system, _C.entity_type == entity_type.value
                )
            )
            return {r[0]: r[1] for r in found}

    def find_by_key(self, entity_type: EntityType, kind: str, value: str) -> str | None:
        """The record a natural key (``kind`` = ``value``, e.g. a SKU) names."""
        c = t.record_keys.c
        with self._engine.connect() as conn:
            return conn.execute(
                select(c.record_id).where(
                    c.entity_type == entity_type.value, c.kind == kind, c.value == value
                )
            ).scalar_one_or_none()
