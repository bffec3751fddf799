"""The in-memory twin's tables and its write transaction.

The twin keeps the rows the SQL store would keep, as Python objects, for unit
tests that need a store without a database. A :class:`MemoryTx` applies each
write at once: it has no rollback, so a test that needs atomicity uses SQLite.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from crossdock.errors import ConflictError, ErrorCode
from crossdock.model.base import EntityType
from crossdock.model.change import ChangeOp
from crossdock.store import raw_input
from crossdock.store.jsoncodec import dumps, loads
from crossdock.store.records import (
    EventRow,
    ExceptionRow,
    ExceptionStatus,
    NewException,
    ParkedRow,
    RouteCursor,
    StoredRecord,
)


def now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class CrosswalkRow:
    system: str
    entity_type: EntityType
    native_id: str
    canonical_id: str
    created_at: datetime


@dataclass(slots=True)
class Tables:
    """Every table the twin keeps, keyed as the SQL schema keys them."""

    records: dict[tuple[EntityType, str], StoredRecord] = field(default_factory=dict)
    crosswalk: list[CrosswalkRow] = field(default_factory=list)
    record_keys: dict[tuple[EntityType, str, str], str] = field(default_factory=dict)
    events: list[EventRow] = field(default_factory=list)
    buckets: dict[int, int] = field(default_factory=dict)
    """seq -> bucket of each event."""
    cursors: dict[tuple[str, int], RouteCursor] = field(default_factory=dict)
    parked: list[ParkedRow] = field(default_factory=list)
    exceptions: list[ExceptionRow] = field(default_factory=list)
    audit_log: list[dict[str, Any]] = field(default_factory=list)


class MemoryTx:
    """The write operations of :class:`~crossdock.store.WriteTx` the twin supports."""

    def __init__(self, tables: Tables) -> None:
        self.tables = tables

    def insert_records(self, records: Sequence[StoredRecord], now: datetime) -> None:
        for r in records:
            self.tables.records[(r.entity_type, r.id)] = replace(
                r, created_at=now, updated_at=now, data_json=None
            )

    def update_records(self, records: Sequence[tuple[StoredRecord, int]], now: datetime) -> None:
        """Update (record, expected_stored_version) pairs; a moved version is a conflict."""
        for rec, expected in records:
            old = self.tables.records.get((rec.entity_type, rec.id))
            if old is None or old.version != expected:
                raise ConflictError(
                    f"{rec.entity_type.value} {rec.id} changed under us (expected v{expected})",
                    code=ErrorCode.VERSION_CONFLICT,
                )
            self.tables.records[(rec.entity_type, rec.id)] = replace(
                rec, created_at=old.created_at, updated_at=now, data_json=None
            )

    def add_crosswalk(
        self, entity_type: EntityType, rows: Sequence[tuple[str, str, str]], now: datetime
    ) -> None:
        """Rows of (system, native_id, canonical_id)."""
        self.tables.crosswalk += [CrosswalkRow(s, entity_type, n, c, now) for s, n, c in rows]

    def set_record_keys(
        self,
        entity_type: EntityType,
        add: Sequence[tuple[str, str, str]],
        remove: Sequence[tuple[str, str]] = (),
    ) -> None:
        for kind, value in remove:
            self.tables.record_keys.pop((entity_type, kind, value), None)
        for kind, value, rid in add:
            self.tables.record_keys[(entity_type, kind, value)] = rid

    def add_events(self, rows: Sequence[dict[str, Any]]) -> None:
        """Append outbox rows (dicts keyed by ``EVENT_COLUMNS``); seq counts from 1."""
        for r in rows:
            seq = self.max_seq() + 1
            self.tables.buckets[seq] = int(r["bucket"])
            self.tables.events.append(
                EventRow(
                    seq=seq,
                    event_id=r["event_id"],
                    entity_type=EntityType(r["entity_type"]),
                    entity_id=r["entity_id"],
                    version=int(r["version"]),
                    op=ChangeOp(r["op"]),
                    source_system=r["source_system"],
                    changed=loads(r["changed"]),
                    data=loads(r["data"]),
                    time=r["time"],
                )
            )

    def add_exceptions(self, items: Sequence[NewException], now: datetime) -> None:
        for e in items:
            self.tables.exceptions.append(
                ExceptionRow(
                    id=len(self.tables.exceptions) + 1,
                    system=e.system,
                    entity_type=e.entity_type,
                    native_id=e.native_id,
                    ref=(e.ref or "")[:512] or None,
                    field=(e.field or "")[:255] or None,
                    code=e.code,
                    reason=e.reason,
                    payload=raw_input.show(raw_input.keep(e.payload)),
                    status=ExceptionStatus.OPEN,
                    created_at=now,
                    updated_at=now,
                )
            )

    def audit(self, actor: str, action: str, target: str, detail: dict[str, Any]) -> None:
        self.tables.audit_log.append(
            {
                "id": len(self.tables.audit_log) + 1,
                "at": now(),
                "actor": actor,
                "action": action,
                "target": target,
                "detail": loads(dumps(detail)),
            }
        )

    def max_seq(self) -> int:
        return self.tables.events[-1].seq if self.tables.events else 0
