"""CloudEvents 1.0 (JSON format) from outbox events: one pure function and its model.

An outbox :class:`~crossdock.store.EventRow` becomes::

    {"specversion": "1.0", "id": <event id>, "source": "crossdock://<system>",
     "type": "dev.crossdock.<entity type>.<upserted|deleted>", "subject": <entity id>,
     "time": <RFC 3339 UTC>, "datacontenttype": "application/json", "data": <record>,
     "sequence": "<outbox seq>", "entityversion": <version>, "changed": "a,b.c"}

``sequence``, ``entityversion`` and ``changed`` are extension attributes;
their names are lowercase letters and digits only, as the spec requires.
"""

from __future__ import annotations

from datetime import UTC
from typing import Any, Literal

from pydantic import BaseModel, Field

from crossdock.model.change import ChangeOp
from crossdock.store import EventRow

SPEC_VERSION = "1.0"
TYPE_PREFIX = "dev.crossdock."
SOURCE_PREFIX = "crossdock://"
_VERBS = {ChangeOp.UPSERT: "upserted", ChangeOp.DELETE: "deleted"}


class CloudEvent(BaseModel):
    """One record version as a CloudEvents 1.0 JSON event."""

    specversion: Literal["1.0"] = "1.0"
    id: str = Field(description="the outbox event id (unique per event)")
    source: str = Field(description="crossdock://<system that sent the change>")
    type: str = Field(description="dev.crossdock.<entity_type>.<upserted|deleted>")
    subject: str = Field(description="the canonical entity id")
    time: str = Field(description="when the version was committed (RFC 3339, UTC)")
    datacontenttype: Literal["application/json"] = "application/json"
    data: dict[str, Any] = Field(description="the record as of this version")
    sequence: str = Field(description="outbox sequence number (extension attribute)")
    entityversion: int = Field(description="record version (extension attribute)")
    changed: str = Field(description="comma-joined changed field paths (extension attribute)")
    traceparent: str | None = Field(
        default=None,
        description="W3C trace context of the change (distributed tracing extension); absent "
        "when the change came without one",
    )


def event_type(ev: EventRow) -> str:
    return f"{TYPE_PREFIX}{ev.entity_type.value}.{_VERBS[ev.op]}"


def to_cloudevent(ev: EventRow) -> dict[str, Any]:
    """The CloudEvents 1.0 JSON form of an outbox event (a pure function)."""
    time = ev.time.astimezone(UTC) if ev.time.tzinfo else ev.time.replace(tzinfo=UTC)
    return {
        "specversion": SPEC_VERSION,
        "id": ev.event_id,
        "source": f"{SOURCE_PREFIX}{ev.source_system or 'crossdock'}",
        "type": event_type(ev),
        "subject": ev.entity_id,
        "time": time.isoformat().replace("+00:00", "Z"),
        "datacontenttype": "application/json",
        "data": ev.data,
        "sequence": str(ev.seq),
        "entityversion": ev.version,
        "changed": ",".join(ev.changed),
        **({"traceparent": ev.traceparent} if ev.traceparent else {}),
    }


__all__ = [
    "SOURCE_PREFIX",
    "SPEC_VERSION",
    "TYPE_PREFIX",
    "CloudEvent",
    "event_type",
    "to_cloudevent",
]
