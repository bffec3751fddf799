"""A change: what one system asserts about one record, at one moment.

Connectors turn native payloads into changes; ingest merges them. A change
carries only the fields the system asserts (a *partial* canonical record in
JSON form, nested as the model nests), never the fields it does not know.

``Change`` is a slotted dataclass rather than a pydantic model because bulk
ingest builds hundreds of thousands of them a second; the API validates its
own request bodies and builds changes from them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from crossdock.model.base import EntityType


class ChangeOp(StrEnum):
    UPSERT = "upsert"
    DELETE = "delete"


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class Change:
    """One system's statement about one record.

    ``native_id`` is the record's id in the sending system. ``idempotency_key``
    lets ingest drop a change it has already seen (per system); when absent,
    the change is applied on its merits (stale fields still drop by
    ``source_ts``). ``source_ts`` is when the sending system made the change
    (timezone-aware, UTC); it decides between updates of the same field from
    the same system. ``ref`` says where the change came from (file and line,
    request id), so a person can find it.
    """

    system: str
    entity_type: EntityType
    native_id: str
    data: dict[str, Any] = field(default_factory=dict)
    op: ChangeOp = ChangeOp.UPSERT
    source_ts: datetime = field(default_factory=_now)
    idempotency_key: str | None = None
    ref: str | None = None
    traceparent: str | None = None
    """W3C trace context of the request, webhook or message that brought the change."""
    requested_by: str | None = None
    """The person who asked for it (an API key's actor); four eyes keeps them from
    approving its sensitive fields. Absent: the sending system (``system:<name>``)."""
    approved: bool = False
    """A second person approved it: nothing of it waits again (set by the approval alone)."""

    def __post_init__(self) -> None:
        if not self.system:
            raise ValueError("change.system must not be empty")
        if not self.native_id:
            raise ValueError("change.native_id must not be empty")
        if self.source_ts.tzinfo is None:
            object.__setattr__(self, "source_ts", self.source_ts.replace(tzinfo=UTC))


__all__ = ["Change", "ChangeOp"]
