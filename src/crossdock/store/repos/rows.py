"""Rows as the drivers hand them back, decoded into the store's row types."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Row

from crossdock.model.base import EntityType
from crossdock.model.change import ChangeOp
from crossdock.store import raw_input
from crossdock.store.jsoncodec import loads
from crossdock.store.records import (
    EventRow,
    ExceptionRow,
    ExceptionStatus,
    ParkedRow,
    ParkedStatus,
    RouteCursor,
    StoredRecord,
)
from crossdock.store.write import utc

CHUNK = 400
"""Ids per ``IN`` list of a read."""


def now() -> datetime:
    return datetime.now(UTC)


def record(entity_type: EntityType, r: Sequence[Any]) -> StoredRecord:
    """A row of (id, version, data, provenance, deleted, created_at, updated_at)."""
    return StoredRecord(
        entity_type, r[0], r[1], loads(r[2]), loads(r[3]), bool(r[4]), utc(r[5]), utc(r[6])
    )


def cursor(r: Row[Any]) -> RouteCursor:
    return RouteCursor(
        r.route,
        int(r.position),
        utc(r.updated_at),
        utc(r.last_success_at),
        r.last_error,
        int(r.delivered),
        int(r.partition),
    )


_ENTITY_TYPES = {e.value: e for e in EntityType}
_OPS = {o.value: o for o in ChangeOp}


def event(r: Row[Any]) -> EventRow:
    # Delivery decodes every event it reads: dictionary lookups, not Enum() calls.
    return EventRow(
        seq=int(r.seq),
        event_id=r.event_id,
        entity_type=_ENTITY_TYPES[r.entity_type],
        entity_id=r.entity_id,
        version=int(r.version),
        op=_OPS[r.op],
        source_system=r.source_system,
        changed=loads(r.changed),
        data=loads(r.data),
        time=utc(r.time) or now(),
    )


def exception(r: Row[Any]) -> ExceptionRow:
    return ExceptionRow(
        id=int(r.id),
        system=r.system,
        entity_type=r.entity_type,
        native_id=r.native_id,
        ref=r.ref,
        field=r.field,
        code=r.code,
        reason=r.reason,
        payload=raw_input.show(r.payload),
        status=ExceptionStatus(r.status),
        created_at=utc(r.created_at) or now(),
        updated_at=utc(r.updated_at) or now(),
        note=r.note,
    )


def parked(r: Row[Any]) -> ParkedRow:
    return ParkedRow(
        id=int(r.id),
        route=r.route,
        entity_type=EntityType(r.entity_type),
        entity_id=r.entity_id,
        version=int(r.version),
        seq=int(r.seq),
        delivery_id=r.delivery_id,
        code=r.code,
        error=r.error,
        attempts=int(r.attempts),
        payload=loads(r.payload),
        status=ParkedStatus(r.status),
        parked_at=utc(r.parked_at) or now(),
    )
