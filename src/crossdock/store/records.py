"""Row shapes the store hands out: plain frozen dataclasses, no ORM objects."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, NamedTuple

from crossdock.model.base import EntityType
from crossdock.model.change import ChangeOp

KeyLookup = tuple[EntityType, str, Sequence[str]]
"""Records of one type named by a natural key: (entity type, key kind, values)."""


class Keyed(NamedTuple):
    """A live record found by a natural key: its id and its data (no provenance)."""

    id: str
    data: dict[str, Any]


@dataclass(slots=True)
class StoredRecord:
    """A canonical record as stored: JSON-form data plus per-field provenance.

    ``provenance`` maps a field path to ``[system, source_ts_iso, version]``:
    which system last set it, when that system says it did, and the record
    version that set it (the event of that version is the lineage).
    """

    entity_type: EntityType
    id: str
    version: int
    data: dict[str, Any]
    provenance: dict[str, list[Any]]
    deleted: bool = False
    created_at: datetime | None = None
    updated_at: datetime | None = None
    data_json: str | None = field(default=None, repr=False, compare=False)
    """``data`` already serialised (ingest has it from the event), saving a second encode."""


@dataclass(frozen=True, slots=True)
class EventRow:
    seq: int
    event_id: str
    entity_type: EntityType
    entity_id: str
    version: int
    op: ChangeOp
    source_system: str | None
    changed: list[str]
    data: dict[str, Any]
    time: datetime
    traceparent: str | None = None
    """W3C trace context of the change that made this version."""


class ExceptionStatus(StrEnum):
    OPEN = "open"
    RETRIED = "retried"
    RESOLVED = "resolved"
    DISMISSED = "dismissed"


@dataclass(frozen=True, slots=True)
class ExceptionRow:
    id: int
    system: str
    entity_type: str | None
    native_id: str | None
    ref: str | None
    field: str | None
    code: str
    reason: str
    payload: dict[str, Any] | None
    status: ExceptionStatus
    created_at: datetime
    updated_at: datetime
    note: str | None = None


@dataclass(frozen=True, slots=True)
class NewException:
    system: str
    code: str
    reason: str
    entity_type: str | None = None
    native_id: str | None = None
    ref: str | None = None
    field: str | None = None
    payload: dict[str, Any] | None = None


class ParkedStatus(StrEnum):
    PARKED = "parked"
    RETRYING = "retrying"
    SKIPPED = "skipped"
    DELIVERED = "delivered"


@dataclass(frozen=True, slots=True)
class ParkedRow:
    id: int
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
    status: ParkedStatus
    parked_at: datetime


@dataclass(frozen=True, slots=True)
class RouteCursor:
    route: str
    position: int
    updated_at: datetime | None = None
    last_success_at: datetime | None = None
    last_error: str | None = None
    delivered: int = 0
    partition: int = 0


class ProposalStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


@dataclass(frozen=True, slots=True)
class ProposalRow:
    id: int
    entity_type: EntityType
    entity_id: str
    system: str
    field: str
    value: Any
    source_ts: datetime
    status: ProposalStatus
    created_at: datetime
    requested_by: str | None = None
    """The person who asked for the change (four eyes: they may not approve it)."""


@dataclass(frozen=True, slots=True)
class ApiKeyRow:
    id: int
    name: str
    prefix: str
    key_hash: str
    scopes: frozenset[str] = field(default_factory=frozenset)
    revoked: bool = False
    system: str | None = None
    """The system the key belongs to (it sends as that system and no other)."""
    role: str | None = None
    """A person's key: the role (in the hub file's ``access.roles``) it carries."""
    expires_at: datetime | None = None
    last_used_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class AuditEntry:
    id: int
    at: datetime
    actor: str
    action: str
    target: str
    detail: dict[str, Any]
    origin: str | None


@dataclass(frozen=True, slots=True)
class KeyListing:
    """What `keys list` shows of a key: never its hash."""

    prefix: str
    name: str
    scopes: tuple[str, ...]
    created_at: datetime
    revoked_at: datetime | None
    system: str | None = None
    role: str | None = None
    expires_at: datetime | None = None
    last_used_at: datetime | None = None


__all__ = [
    "ApiKeyRow",
    "AuditEntry",
    "EventRow",
    "ExceptionRow",
    "ExceptionStatus",
    "KeyListing",
    "KeyLookup",
    "Keyed",
    "NewException",
    "ParkedRow",
    "ParkedStatus",
    "ProposalRow",
    "ProposalStatus",
    "RouteCursor",
    "StoredRecord",
]
