"""The write side of the store: one transaction of bulk reads and writes for ingest and delivery.

Everything ingest does for a batch happens in one :class:`WriteTx`: either
the records, their provenance, crosswalk rows, natural keys, idempotency
keys, events and exceptions of the batch all commit, or none do.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, and_, func, select, text, tuple_, update

from crossdock.errors import ConflictError, ErrorCode
from crossdock.model.base import EntityType
from crossdock.store import schema as t
from crossdock.store.jsoncodec import dumps, loads
from crossdock.store.records import NewException, StoredRecord

CHUNK = 400


def utc(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; every time in Crossdock is UTC."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def chunks(items: Sequence[Any], size: int = CHUNK) -> Iterator[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


class WriteTx:
    """Bulk operations inside one open write transaction."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.is_postgres = conn.dialect.name == "postgresql"

    def lock_keys(self, keys: Iterable[str]) -> None:
        """Serialise concurrent writers of the same identities (PostgreSQL advisory locks).

        SQLite needs nothing: ``BEGIN IMMEDIATE`` already makes writers take turns.
        Keys are locked in sorted order so two batches never deadlock.
        """
        if not self.is_postgres:
            return
        for key in sorted(set(keys)):
            self.conn.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:k, 0))"), {"k": key})

    def lock_outbox(self) -> None:
        """Make outbox sequence order equal commit order on PostgreSQL.

        A reader that moves its cursor past seq N must never later see a
        commit with a seq below N. Holding one advisory lock from the first
        event insert to commit serialises only that tail of each transaction.
        """
        if self.is_postgres:
            self.conn.execute(text("SELECT pg_advisory_xact_lock(7363019)"))

    # -- idempotency ------------------------------------------------------------------
    def seen_keys(self, pairs: Sequence[tuple[str, str]]) -> set[tuple[str, str]]:
        seen: set[tuple[str, str]] = set()
        for part in chunks(pairs):
            rows = self.conn.execute(
                select(t.inbound_keys.c.system, t.inbound_keys.c.key).where(
                    tuple_(t.inbound_keys.c.system, t.inbound_keys.c.key).in_(part)
                )
            )
            seen.update((r[0], r[1]) for r in rows)
        return seen

    def add_keys(self, pairs: Sequence[tuple[str, str]], now: datetime) -> None:
        if pairs:
            self.conn.execute(
                t.inbound_keys.insert(), [{"system": s, "key": k, "seen_at": now} for s, k in pairs]
            )

    # -- identity -----------------------------------------------------------------------
    def crosswalk_lookup(
        self, entity_type: EntityType, pairs: Sequence[tuple[str, str]]
    ) -> dict[tuple[str, str], str]:
        found: dict[tuple[str, str], str] = {}
        c = t.crosswalk.c
        for part in chunks(pairs):
            rows = self.conn.execute(
                select(c.system, c.native_id, c.canonical_id).where(
                    c.entity_type == entity_type.value, tuple_(c.system, c.native_id).in_(part)
                )
            )
            found.update({(r[0], r[1]): r[2] for r in rows})
        return found

    def natural_lookup(
        self, entity_type: EntityType, keys: Sequence[tuple[str, str]]
    ) -> dict[tuple[str, str], str]:
        found: dict[tuple[str, str], str] = {}
        c = t.record_keys.c
        for part in chunks(keys):
            rows = self.conn.execute(
                select(c.kind, c.value, c.record_id).where(
                    c.entity_type == entity_type.value, tuple_(c.kind, c.value).in_(part)
                )
            )
            found.update({(r[0], r[1]): r[2] for r in rows})
        return found

    def add_crosswalk(
        self, entity_type: EntityType, rows: Sequence[tuple[str, str, str]], now: datetime
    ) -> None:
        """Rows of (system, native_id, canonical_id)."""
        if rows:
            self.conn.execute(
                t.crosswalk.insert(),
                [
                    {
                        "system": s,
                        "entity_type": entity_type.value,
                        "native_id": n,
                        "canonical_id": cid,
                        "created_at": now,
                    }
                    for s, n, cid in rows
                ],
            )

    def set_record_keys(
        self,
        entity_type: EntityType,
        add: Sequence[tuple[str, str, str]],
        remove: Sequence[tuple[str, str]] = (),
    ) -> None:
        """Add (kind, value, record_id) keys; remove (kind, value) keys that moved away."""
        c = t.record_keys.c
        for kind, value in remove:
            self.conn.execute(
                t.record_keys.delete().where(
                    c.entity_type == entity_type.value, c.kind == kind, c.value == value
                )
            )
        if add:
            self.conn.execute(
                t.record_keys.insert(),
                [
                    {"entity_type": entity_type.value, "kind": k, "value": v, "record_id": rid}
                    for k, v, rid in add
                ],
            )

    # -- records ------------------------------------------------------------------------
    def load_records(self, entity_type: EntityType, ids: Sequence[str]) -> dict[str, StoredRecord]:
        out: dict[str, StoredRecord] = {}
        c = t.records.c
        for part in chunks(ids):
            rows = self.conn.execute(
                select(c.id, c.version, c.data, c.provenance, c.deleted, c.created_at).where(
                    c.entity_type == entity_type.value, c.id.in_(part)
                )
            )
            for r in rows:
                out[r[0]] = StoredRecord(
                    entity_type, r[0], r[1], loads(r[2]), loads(r[3]), bool(r[4]), utc(r[5])
                )
        return out

    def insert_records(self, records: Sequence[StoredRecord], now: datetime) -> None:
        if records:
            self.conn.execute(
                t.records.insert(),
                [
                    {
                        "entity_type": r.entity_type.value,
                        "id": r.id,
                        "version": r.version,
                        "data": dumps(r.data),
                        "provenance": dumps(r.provenance),
                        "deleted": r.deleted,
                        "created_at": now,
                        "updated_at": now,
                    }
                    for r in records
                ],
            )

    def update_records(
        self, records: Sequence[tuple[StoredRecord, int]], now: datetime
    ) -> None:
        """Update (record, expected_stored_version) pairs; a moved version is a conflict."""
        c = t.records.c
        for rec, expected in records:
            res = self.conn.execute(
                update(t.records)
                .where(
                    and_(
                        c.entity_type == rec.entity_type.value,
                        c.id == rec.id,
                        c.version == expected,
                    )
                )
                .values(
                    version=rec.version,
                    data=dumps(rec.data),
                    provenance=dumps(rec.provenance),
                    deleted=rec.deleted,
                    updated_at=now,
                )
            )
            if res.rowcount != 1:
                raise ConflictError(
                    f"{rec.entity_type.value} {rec.id} changed under us (expected v{expected})",
                    code=ErrorCode.VERSION_CONFLICT,
                )

    # -- events, exceptions, proposals -----------------------------------------------
    def add_events(self, rows: Sequence[dict[str, Any]]) -> None:
        """Rows with event_id, entity_type, entity_id, version, op, source_system, changed, data, time."""
        if rows:
            self.lock_outbox()
            self.conn.execute(t.events.insert(), list(rows))

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
                        "payload": dumps(e.payload) if e.payload is not None else None,
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

    def audit(self, actor: str, action: str, target: str, detail: dict[str, Any]) -> None:
        self.conn.execute(
            t.audit_log.insert().values(
                at=datetime.now(UTC), actor=actor, action=action, target=target, detail=dumps(detail)
            )
        )

    def max_seq(self) -> int:
        return int(self.conn.execute(select(func.coalesce(func.max(t.events.c.seq), 0))).scalar_one())


__all__ = ["WriteTx", "chunks", "utc"]
