"""Webhook JSON <-> canonical: inbound bodies to changes, deliveries to outbound bodies.

Inbound body: one change object, or ``{"changes": [change, ...]}``. A change
object is::

    {"entity_type": "product", "native_id": "P-17", "op": "upsert",
     "data": {"sku": "P-17", "units": [...]},
     "source_ts": "2024-05-01T12:00:00Z", "idempotency_key": "..."}

``op`` defaults to ``upsert``, ``data`` to ``{}``, ``source_ts`` to the
request's ``webhook-timestamp`` (a naive time is taken as UTC) and
``idempotency_key`` to ``"<webhook-id>:<index>"``, so a redelivered request is
dropped by ingest. JSON numbers with a fraction or exponent are kept as their
exact decimal text (``12.50`` -> ``"12.50"``): the canonical model holds money
and quantities as ``Decimal`` and never accepts a float. A change that cannot
be mapped becomes a :class:`~crossdock.connectors.base.SourceError` naming its
field (``changes[3].entity_type``); the others still map.

Outbound: each delivery is ``{"id", "route", "entity_type", "entity_id",
"version", "op", "native_id", "time", "data"}``; a batch is
``{"type": "crossdock.deliveries", "deliveries": [...]}``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, NoReturn

from crossdock.connectors.base import Delivery, SourceError, SourceItem
from crossdock.connectors.kit.limits import check_document
from crossdock.connectors.webhook.errors import malformed_body
from crossdock.errors import ErrorCode
from crossdock.model.base import EntityType
from crossdock.model.change import Change, ChangeOp

BATCH_TYPE = "crossdock.deliveries"
CHANGE_KEYS = frozenset({"entity_type", "native_id", "op", "data", "source_ts", "idempotency_key"})
_ENTITY_TYPES = ", ".join(e.value for e in EntityType)


# -- inbound --------------------------------------------------------------------------------
def _no_constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not valid JSON")


def _valid_unicode(payload: Any) -> bool:
    try:
        json.dumps(payload, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return False
    except RecursionError:
        return True
    return True


def parse_body(text: str) -> dict[str, Any]:
    """The body as a JSON object, or ``InvalidInput`` (``VALIDATION_FAILED``)."""
    try:
        payload = json.loads(text, parse_float=str, parse_constant=_no_constant)
    except (ValueError, RecursionError) as exc:
        raise malformed_body("body", f"not valid JSON: {exc}") from exc
    if "\\u" in text and not _valid_unicode(payload):
        raise malformed_body(
            "body",
            "holds text that is not valid Unicode: an unpaired surrogate escape such as \\ud800",
        )
    check_document(payload, "body")  # depth and values, before anything is kept
    if not isinstance(payload, dict):
        raise malformed_body(
            "body",
            f'expected a JSON object (a change or {{"changes": [...]}}), '
            f"got {type(payload).__name__}",
        )
    return payload


def changes_of(payload: dict[str, Any]) -> tuple[list[Any], str]:
    """The raw change objects of a body and the field prefix that locates them."""
    if "changes" not in payload:
        return [payload], ""
    changes = payload["changes"]
    if not isinstance(changes, list):
        raise malformed_body("changes", f"expected a list of changes, got {type(changes).__name__}")
    return changes, "changes"


class _BadChange(Exception):
    def __init__(self, key: str, reason: str) -> None:
        super().__init__(reason)
        self.key = key
        self.reason = reason


def _parse_ts(value: Any) -> datetime:
    if not isinstance(value, str):
        raise _BadChange("source_ts", f"expected an ISO 8601 string, got {type(value).__name__}")
    try:
        ts = datetime.fromisoformat(value)
        return ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts.astimezone(UTC)
    except (ValueError, OverflowError) as exc:
        raise _BadChange("source_ts", f"{value!r} is not an ISO 8601 timestamp") from exc


def _entity_type_or_none(value: Any) -> EntityType | None:
    try:
        return EntityType(value)
    except ValueError:
        return None


def _one(
    raw: Any, *, system: str, index: int, msg_id: str, default_ts: datetime, ref: str
) -> Change:
    if not isinstance(raw, dict):
        raise _BadChange("", f"expected a change object, got {type(raw).__name__}")
    et_raw = raw.get("entity_type")
    entity_type = _entity_type_or_none(et_raw)
    if entity_type is None:
        raise _BadChange("entity_type", f"{et_raw!r} is not an entity type; known: {_ENTITY_TYPES}")
    native = raw.get("native_id")
    if isinstance(native, int) and not isinstance(native, bool):
        native = str(native)
    if not isinstance(native, str) or not native.strip():
        raise _BadChange("native_id", "required: the record's id in the sending system (a string)")
    op_raw = raw.get("op", ChangeOp.UPSERT.value)
    try:
        op = ChangeOp(op_raw)
    except ValueError:
        raise _BadChange("op", f"{op_raw!r} is not an op; use upsert or delete") from None
    data = raw.get("data", {})
    if not isinstance(data, dict):
        raise _BadChange("data", f"expected an object (partial record), got {type(data).__name__}")
    source_ts = _parse_ts(raw["source_ts"]) if raw.get("source_ts") is not None else default_ts
    key = raw.get("idempotency_key")
    if key is None:
        key = f"{msg_id}:{index}"
    elif not isinstance(key, str) or not key:
        raise _BadChange("idempotency_key", "expected a non-empty string")
    unknown = sorted(set(raw) - CHANGE_KEYS)
    if unknown:
        raise _BadChange(unknown[0], f"unknown key; a change has {', '.join(sorted(CHANGE_KEYS))}")
    return Change(
        system=system,
        entity_type=entity_type,
        native_id=native,
        data=data,
        op=op,
        source_ts=source_ts,
        idempotency_key=key,
        ref=ref,
    )


def map_inbound(
    payload: dict[str, Any], *, system: str, msg_id: str, timestamp: datetime
) -> list[SourceItem]:
    """Changes (or source errors, one per unmappable change) from a parsed body."""
    raws, prefix = changes_of(payload)
    items: list[SourceItem] = []
    for index, raw in enumerate(raws):
        ref = f"webhook:{msg_id}#{index}"
        try:
            items.append(
                _one(raw, system=system, index=index, msg_id=msg_id, default_ts=timestamp, ref=ref)
            )
        except _BadChange as bad:
            where = f"{prefix}[{index}]" if prefix else ""
            field = ".".join(p for p in (where, bad.key) if p) or "body"
            entity_type: EntityType | None = None
            native_id: str | None = None
            if isinstance(raw, dict):
                entity_type = _entity_type_or_none(raw.get("entity_type"))
                nid = raw.get("native_id")
                native_id = str(nid) if isinstance(nid, str | int) and nid != "" else None
            items.append(
                SourceError(
                    system=system,
                    reason=f"{field}: {bad.reason}",
                    code=ErrorCode.VALIDATION_FAILED,
                    ref=ref,
                    field=field,
                    entity_type=entity_type,
                    native_id=native_id,
                    raw=raw if isinstance(raw, dict) else json.dumps(raw),
                )
            )
    return items


# -- outbound -------------------------------------------------------------------------------
def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    raise TypeError(f"{type(value).__name__} is not JSON-serializable")


def dumps(obj: Any) -> bytes:
    """Compact, ASCII-only JSON (Decimals as strings; NaN and infinity refused)."""
    return json.dumps(
        obj, default=_json_default, allow_nan=False, separators=(",", ":"), ensure_ascii=True
    ).encode("ascii")


def _iso(ts: datetime) -> str:
    return (ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts.astimezone(UTC)).isoformat()


def delivery_json(d: Delivery) -> dict[str, Any]:
    """The outbound object for one delivery (``data`` copied as JSON-form values)."""
    return {
        "id": d.delivery_id,
        "route": d.route,
        "entity_type": d.entity_type.value,
        "entity_id": d.entity_id,
        "version": d.version,
        "op": d.op.value,
        "native_id": d.native_id,
        "time": _iso(d.event_time),
        "data": dict(d.data),
        **({"traceparent": d.traceparent} if d.traceparent else {}),
    }


def batch_id(delivery_ids: Iterable[str]) -> str:
    """A stable message id for a set of deliveries, whatever their order."""
    joined = "\n".join(sorted(set(delivery_ids)))
    return "batch_" + hashlib.sha256(joined.encode("utf-8")).hexdigest()[:32]


def batch_body(objects: Sequence[Mapping[str, Any]]) -> bytes:
    """The outbound body of one batch POST."""
    return dumps({"type": BATCH_TYPE, "deliveries": list(objects)})


__all__ = [
    "BATCH_TYPE",
    "CHANGE_KEYS",
    "batch_body",
    "batch_id",
    "changes_of",
    "delivery_json",
    "dumps",
    "map_inbound",
    "parse_body",
]
