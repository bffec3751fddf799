"""The twin's records and crosswalk, answering as the SQL repositories answer."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from crossdock.model.base import EntityType
from crossdock.model.change import ChangeOp
from crossdock.store.memory.state import Tables
from crossdock.store.records import Keyed, KeyLookup, StoredRecord


class MemoryRecords:
    """:class:`~crossdock.store.protocols.Records` over :class:`Tables`."""

    def __init__(self, tables: Tables) -> None:
        self._t = tables

    def get(self, entity_type: EntityType, record_id: str) -> StoredRecord | None:
        return self._t.records.get((entity_type, record_id))

    def get_many(
        self, entity_type: EntityType, record_ids: Sequence[str]
    ) -> dict[str, StoredRecord]:
        found = (self._t.records.get((entity_type, i)) for i in record_ids)
        return {r.id: r for r in found if r is not None}

    def data_by_keys(self, lookups: Sequence[KeyLookup]) -> list[dict[str, Keyed]]:
        out: list[dict[str, Keyed]] = []
        for entity_type, kind, values in lookups:
            found: dict[str, Keyed] = {}
            for v in values:
                rid = self._t.record_keys.get((entity_type, kind, v))
                rec = None if rid is None else self._t.records.get((entity_type, rid))
                if rec is not None and not rec.deleted:
                    found[v] = Keyed(rec.id, rec.data)
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
        rows = sorted(
            (r for (et, _), r in self._t.records.items() if et is entity_type),
            key=lambda r: r.id,
        )
        rows = [
            r
            for r in rows
            if (after_id is None or r.id > after_id) and (include_deleted or not r.deleted)
        ]
        return rows[:limit]

    def iter(self, entity_type: EntityType, *, page: int = 2000) -> Iterator[StoredRecord]:
        yield from self.page(entity_type, limit=len(self._t.records))

    def changed_after(
        self, after: int, entity_types: Sequence[EntityType], *, limit: int = 5000
    ) -> list[tuple[int, EntityType, str]]:
        types = set(entity_types)
        found = [
            (e.seq, e.entity_type, e.entity_id)
            for e in self._t.events
            if e.seq > after and e.entity_type in types
        ]
        return found[:limit]

    def as_of(self, entity_type: EntityType, record_id: str, at: datetime) -> dict[str, Any] | None:
        found = [
            e
            for e in self._t.events
            if e.entity_type is entity_type and e.entity_id == record_id and e.time <= at
        ]
        if not found or found[-1].op is ChangeOp.DELETE:
            return None
        data = found[-1].data
        return data if isinstance(data, dict) else None

    def count(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for (et, _), r in self._t.records.items():
            if not r.deleted:
                out[et.value] = out.get(et.value, 0) + 1
        return out


class MemoryCrosswalk:
    """:class:`~crossdock.store.protocols.Crosswalk` over :class:`Tables`."""

    def __init__(self, tables: Tables) -> None:
        self._t = tables

    def resolve(self, system: str, entity_type: EntityType, native_id: str) -> str | None:
        for c in self._t.crosswalk:
            if (c.system, c.entity_type, c.native_id) == (system, entity_type, native_id):
                return c.canonical_id
        return None

    def native_ids(self, entity_type: EntityType, canonical_id: str) -> list[tuple[str, str]]:
        return self.native_ids_of(entity_type, [canonical_id])[canonical_id]

    def native_ids_of(
        self, entity_type: EntityType, canonical_ids: Sequence[str]
    ) -> dict[str, list[tuple[str, str]]]:
        out: dict[str, list[tuple[str, str]]] = {cid: [] for cid in canonical_ids}
        oldest_first = sorted(self._t.crosswalk, key=lambda c: (c.created_at, c.native_id))
        for c in oldest_first:
            if c.entity_type is entity_type and c.canonical_id in out:
                out[c.canonical_id].append((c.system, c.native_id))
        return out

    def native_ids_for(
        self, entity_type: EntityType, system: str, canonical_ids: Sequence[str]
    ) -> dict[str, str]:
        out: dict[str, str] = {}
        wanted = set(canonical_ids)
        for c in sorted(self._t.crosswalk, key=lambda c: c.created_at, reverse=True):
            if c.entity_type is entity_type and c.system == system and c.canonical_id in wanted:
                out[c.canonical_id] = c.native_id  # the oldest is written last and wins
        return out

    def of_system(self, system: str, entity_type: EntityType) -> dict[str, str]:
        return {
            c.native_id: c.canonical_id
            for c in self._t.crosswalk
            if c.system == system and c.entity_type is entity_type
        }

    def find_by_key(self, entity_type: EntityType, kind: str, value: str) -> str | None:
        return self._t.record_keys.get((entity_type, kind, value))

    def find_by_keys(
        self, entity_type: EntityType, kind: str, values: Sequence[str]
    ) -> dict[str, str]:
        keys = self._t.record_keys
        return {v: rid for v in values if (rid := keys.get((entity_type, kind, v))) is not None}
