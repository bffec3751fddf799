"""The write side of the store: one transaction of bulk reads and writes for ingest and delivery.

Everything ingest does for a batch happens in one :class:`WriteTx`: either
the records, their provenance, crosswalk rows, natural keys, idempotency
keys, events and exceptions of the batch all commit, or none do.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select, update

from crossdock.errors import ConflictError, ErrorCode
from crossdock.model.base import EntityType
from crossdock.store import raw_input
from crossdock.store import schema as t
from crossdock.store.bulk import BUCKETS, EVENT_COLUMNS, chunks, utc
from crossdock.store.digests import DigestTx
from crossdock.store.jsoncodec import dumps, loads
from crossdock.store.records import NewException, ProposalStatus, StoredRecord

AUDIT_ORIGIN: ContextVar[str | None] = ContextVar("crossdock_audit_origin", default=None)
"""Where the action being done came from (the API sets the client's address per request)."""


class WriteTx(DigestTx):
    """Bulk operations inside one open write transaction."""

    # -- idempotency ------------------------------------------------------------------
    def seen_keys(self, pairs: Sequence[tuple[str, str]]) -> set[tuple[str, str]]:
        by_system: dict[str, list[str]] = {}
        for system, key in pairs:
            by_system.setdefault(system, []).append(key)
        seen: set[tuple[str, str]] = set()
        for system, keys in by_system.items():
            rows = self._select_in(
                "SELECT key FROM inbound_keys WHERE system = {m} AND key IN ({inlist})",
                (system,),
                keys,
            )
            seen.update((system, r[0]) for r in rows)
        return seen

    def add_keys(self, pairs: Sequence[tuple[str, str]], now: datetime) -> None:
        ts = self._ts(now)
        self._insert_many(
            "inbound_keys", ("system", "key", "seen_at"), [(s, k, ts) for s, k in pairs]
        )

    # -- identity -----------------------------------------------------------------------
    def crosswalk_lookup(
        self, entity_type: EntityType, pairs: Sequence[tuple[str, str]]
    ) -> dict[tuple[str, str], str]:
        by_system: dict[str, list[str]] = {}
        for system, native in pairs:
            by_system.setdefault(system, []).append(native)
        found: dict[tuple[str, str], str] = {}
        for system, natives in by_system.items():
            rows = self._select_in(
                "SELECT native_id, canonical_id FROM crosswalk WHERE entity_type = {m} "
                "AND system = {m} AND native_id IN ({inlist})",
                (entity_type.value, system),
                natives,
            )
            found.update({(system, r[0]): r[1] for r in rows})
        return found

    def natural_lookup(
        self, entity_type: EntityType, keys: Sequence[tuple[str, str]]
    ) -> dict[tuple[str, str], str]:
        by_kind: dict[str, list[str]] = {}
        for kind, value in keys:
            by_kind.setdefault(kind, []).append(value)
        found: dict[tuple[str, str], str] = {}
        for kind, values in by_kind.items():
            rows = self._select_in(
                "SELECT value, record_id FROM record_keys WHERE entity_type = {m} "
                "AND kind = {m} AND value IN ({inlist})",
                (entity_type.value, kind),
                values,
            )
            found.update({(kind, r[0]): r[1] for r in rows})
        return found

    def add_crosswalk(
        self, entity_type: EntityType, rows: Sequence[tuple[str, str, str]], now: datetime
    ) -> None:
        """Rows of (system, native_id, canonical_id)."""
        ts = self._ts(now)
        et = entity_type.value
        self._insert_many(
            "crosswalk",
            ("system", "entity_type", "native_id", "canonical_id", "created_at"),
            [(s, et, n, cid, ts) for s, n, cid in rows],
        )

    def merge_tombstone(self, entity_type: EntityType, tombstone_id: str, into_id: str) -> None:
        """Move a bare tombstone's native ids to ``into_id`` and remove the tombstone.

        Its outbox events stay: they are history, and a delete of an id nobody
        was sent is harmless to a receiver.
        """
        et = entity_type.value
        self.conn.execute(
            update(t.crosswalk)
            .where(t.crosswalk.c.entity_type == et, t.crosswalk.c.canonical_id == tombstone_id)
            .values(canonical_id=into_id)
        )
        self.conn.execute(
            t.records.delete().where(
                t.records.c.entity_type == et,
                t.records.c.id == tombstone_id,
                t.records.c.deleted.is_(True),
            )
        )

    def set_record_keys(
        self,
        entity_type: EntityType,
        add: Sequence[tuple[str, str, str]],
        remove: Sequence[tuple[str, str]] = (),
    ) -> None:
        """Add (kind, value, record_id) keys; remove (kind, value) keys that moved away."""
        c = t.record_keys.c
        et = entity_type.value
        for kind, value in remove:
            self.conn.execute(
                t.record_keys.delete().where(c.entity_type == et, c.kind == kind, c.value == value)
            )
        self._insert_many(
            "record_keys",
            ("entity_type", "kind", "value", "record_id"),
            [(et, k, v, rid) for k, v, rid in add],
        )

    # -- records ------------------------------------------------------------------------
    def load_records(self, entity_type: EntityType, ids: Sequence[str]) -> dict[str, StoredRecord]:
        out: dict[str, StoredRecord] = {}
        rows = self._select_in(
            "SELECT id, version, data, provenance, deleted FROM records "
            "WHERE entity_type = {m} AND id IN ({inlist})",
            (entity_type.value,),
            ids,
        )
        for r in rows:
            out[r[0]] = StoredRecord(
                entity_type, r[0], int(r[1]), loads(r[2]), loads(r[3]), bool(r[4])
            )
        return out

    def insert_records(self, records: Sequence[StoredRecord], now: datetime) -> None:
        ts = self._ts(now)
        self._insert_many(
            "records",
            (
                "entity_type",
                "id",
                "version",
                "data",
                "provenance",
                "deleted",
                "created_at",
                "updated_at",
            ),
            [
                (
                    r.entity_type._value_,
                    r.id,
                    r.version,
                    r.data_json or dumps(r.data),
                    dumps(r.provenance),
                    r.deleted,
                    ts,
                    ts,
                )
                for r in records
            ],
        )

    def update_records(self, records: Sequence[tuple[StoredRecord, int]], now: datetime) -> None:
        """Update (record, expected_stored_version) pairs; a moved version is a conflict.

        One ``executemany`` for the batch: a statement built per record cost more
        than the rest of a re-import of unchanged rows together.
        """
        if not records:
            return
        ts, m = self._ts(now), self._mark
        res = self.conn.exec_driver_sql(
            f"UPDATE records SET version = {m}, data = {m}, provenance = {m}, deleted = {m}, "
            f"updated_at = {m} WHERE entity_type = {m} AND id = {m} AND version = {m}",
            [
                (
                    rec.version,
                    rec.data_json or dumps(rec.data),
                    dumps(rec.provenance),
                    rec.deleted,
                    ts,
                    rec.entity_type._value_,
                    rec.id,
                    expected,
                )
                for rec, expected in records
            ],
        )
        if res.rowcount != len(records):
            self._conflict(records)

    def _conflict(self, records: Sequence[tuple[StoredRecord, int]]) -> None:
        """Raise the version conflict of the first record whose stored version moved."""
        moved = records[0]
        for et in {r.entity_type for r, _ in records}:
            now_at = {
                row[0]: int(row[1])
                for row in self._select_in(
                    "SELECT id, version FROM records WHERE entity_type = {m} AND id IN ({inlist})",
                    (et.value,),
                    [r.id for r, _ in records if r.entity_type is et],
                )
            }
            stale = (
                r for r in records if r[0].entity_type is et and now_at.get(r[0].id) != r[0].version
            )
            moved = next(stale, moved)
        rec, expected = moved
        raise ConflictError(
            f"{rec.entity_type.value} {rec.id} changed under us (expected v{expected})",
            code=ErrorCode.VERSION_CONFLICT,
        )

    # -- events, exceptions, proposals -----------------------------------------------
    def add_events(self, rows: Sequence[dict[str, Any]]) -> None:
        """Append outbox rows (dicts keyed by ``EVENT_COLUMNS``) under the outbox lock."""
        if rows:
            self.lock_outbox()
            cols = EVENT_COLUMNS
            self._insert_many(
                "events",
                cols,
                # (a row may leave out its traceparent: a change that came without one)
                [tuple(self._ts(r[c]) if c == "time" else r.get(c) for c in cols) for r in rows],
            )

    def add_exceptions(self, items: Sequence[NewException], now: datetime) -> None:
        if items:
            self.conn.execute(
                t.exceptions.insert(),
                [
                    {
                        "system": e.system,
                        "entity_type": e.entity_type,
                        "native_id": e.native_id,
                        "ref": (e.ref or "")[:512] or None,
                        "field": (e.field or "")[:255] or None,
                        "code": e.code,
                        "reason": e.reason,
                        "payload": raw_input.keep(e.payload),
                        "status": "open",
                        "created_at": now,
                        "updated_at": now,
                        "note": None,
                    }
                    for e in items
                ],
            )

    def add_proposals(self, rows: Sequence[dict[str, Any]]) -> None:
        if rows:
            self.conn.execute(t.proposals.insert(), list(rows))

    def standing_proposals(
        self, entity_type: EntityType, entity_ids: Sequence[str]
    ) -> set[tuple[str, str, str, str, str]]:
        """(entity id, system, field, value JSON, status) of the pending and rejected proposals.

        Four eyes asks once: a system that re-sends a value already waiting, or
        one a person rejected, does not file it again.
        """
        p = t.proposals.c
        found = self.conn.execute(
            select(p.entity_id, p.system, p.field, p.value, p.status).where(
                p.entity_type == entity_type.value,
                p.entity_id.in_(list(entity_ids)),
                p.status.in_([ProposalStatus.PENDING.value, ProposalStatus.REJECTED.value]),
            )
        ).all()
        return {(r[0], r[1], r[2], r[3], r[4]) for r in found}

    def audit(self, actor: str, action: str, target: str, detail: dict[str, Any]) -> None:
        """Append to the audit log (rows are never updated; a trigger refuses it)."""
        self.conn.execute(
            t.audit_log.insert().values(
                at=datetime.now(UTC),
                actor=actor,
                action=action,
                target=target,
                detail=dumps(detail),
                origin=AUDIT_ORIGIN.get(),
            )
        )

    def max_seq(self) -> int:
        return int(
            self.conn.execute(select(func.coalesce(func.max(t.events.c.seq), 0))).scalar_one()
        )


__all__ = ["BUCKETS", "EVENT_COLUMNS", "WriteTx", "chunks", "utc"]
