"""A change as JSON and back: how exceptions keep a change for a person to fix and replay."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from crossdock.model.base import EntityType
from crossdock.model.change import Change, ChangeOp

TS_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


@lru_cache(maxsize=4096)
def ts_key(value: datetime) -> str:
    """Fixed-width UTC text: sorts as time sorts, which the merge relies on.

    Cached: a file's rows, or a batch's events, mostly share one timestamp.
    """
    return value.astimezone(UTC).strftime(TS_FORMAT)


def change_to_json(change: Change) -> dict[str, Any]:
    doc = {
        "system": change.system,
        "entity_type": change.entity_type.value,
        "native_id": change.native_id,
        "op": change.op.value,
        "data": change.data,
        "source_ts": ts_key(change.source_ts),
        "idempotency_key": change.idempotency_key,
        "ref": change.ref,
        "traceparent": change.traceparent,
    }
    if change.requested_by:  # a held change keeps who asked for it (four eyes)
        doc["requested_by"] = change.requested_by
    return doc


def change_from_json(doc: dict[str, Any]) -> Change:
    ts = datetime.fromisoformat(str(doc["source_ts"]).replace("Z", "+00:00"))
    return Change(
        system=str(doc["system"]),
        entity_type=EntityType(doc["entity_type"]),
        native_id=str(doc["native_id"]),
        op=ChangeOp(doc.get("op", "upsert")),
        data=dict(doc.get("data") or {}),
        source_ts=ts,
        idempotency_key=doc.get("idempotency_key"),
        ref=doc.get("ref"),
        traceparent=doc.get("traceparent"),
        requested_by=doc.get("requested_by"),
    )


__all__ = ["TS_FORMAT", "change_from_json", "change_to_json", "ts_key"]
