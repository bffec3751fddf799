"""Deliveries as broker messages: CloudEvents 1.0 bodies/headers and templated subjects.

The same attributes as the hub's ``GET /v1/events`` (``dev.crossdock.<type>.<verb>``,
source ``crossdock://<system>``, subject = canonical id, ``entityversion``), but
``id`` is the delivery id (route, entity, version): the value a subscriber
drops repeats by, and the broker's de-duplication id.

* structured mode: the body is the whole event as JSON
  (``application/cloudevents+json``);
* binary mode: the body is the record's JSON, each attribute a ``ce-<name>``
  header (the CloudEvents Kafka/AMQP/NATS bindings' convention).

A subject/routing key is the setting's template filled from the delivery
(``entity_type``, ``entity_id``, ``native_id``, ``route``) and the record's top-level
fields; each value is made one safe token (dots, spaces, wildcards → ``_``) so
a SKU like ``A.1 x`` cannot split or widen a subject.
"""

from __future__ import annotations

import json
import re
import string
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from crossdock.connectors.base import Delivery
from crossdock.connectors.broker.config import ContentMode
from crossdock.model.change import ChangeOp

TYPE_PREFIX = "dev.crossdock."
_VERBS = {ChangeOp.UPSERT: "upserted", ChangeOp.DELETE: "deleted"}
_UNSAFE = re.compile(r"[\s.*>#+/\\\x00-\x1f]")


@dataclass(frozen=True, slots=True)
class Message:
    """One message ready for the broker."""

    subject: str
    body: bytes
    headers: dict[str, str]
    msg_id: str
    order_key: str = ""
    """Messages with one key are confirmed one after another, in the order given."""


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def dumps(value: Any) -> bytes:
    return json.dumps(value, default=_default, separators=(",", ":"), ensure_ascii=False).encode()


def _token(value: Any) -> str:
    text = "" if value is None else str(value)
    return _UNSAFE.sub("_", text) or "_"


def render_subject(template: str, d: Delivery) -> str:
    """The template filled from the delivery; a missing field raises ``KeyError`` naming it."""
    values: dict[str, Any] = {k: v for k, v in d.data.items() if not isinstance(v, dict | list)}
    values.update(
        entity_type=d.entity_type.value,
        entity_id=d.entity_id,
        native_id=d.native_id,
        route=d.route,
    )
    out: list[str] = []
    for literal, name, _spec, _conv in string.Formatter().parse(template):
        out.append(literal)
        if name is not None:
            if name not in values:
                raise KeyError(name)
            out.append(_token(values[name]))
    return "".join(out)


def attributes(d: Delivery) -> dict[str, str]:
    time = d.event_time.astimezone(UTC) if d.event_time.tzinfo else d.event_time.replace(tzinfo=UTC)
    attrs = {
        "specversion": "1.0",
        "id": d.delivery_id,
        "source": f"crossdock://{d.source_system or 'crossdock'}",
        "type": f"{TYPE_PREFIX}{d.entity_type.value}.{_VERBS[d.op]}",
        "subject": d.entity_id,
        "time": time.isoformat().replace("+00:00", "Z"),
        "entityversion": str(d.version),
        "route": d.route,
    }
    if d.traceparent:
        attrs["traceparent"] = d.traceparent
    return attrs


def to_message(d: Delivery, template: str, mode: ContentMode) -> Message:
    """A delivery as a message; raises ``KeyError``/``TypeError``/``ValueError`` if it cannot be."""
    subject = render_subject(template, d)
    attrs = attributes(d)
    data = dict(d.data)
    if mode == "structured":
        event: dict[str, Any] = {**attrs, "datacontenttype": "application/json", "data": data}
        event["entityversion"] = d.version
        if d.native_id:
            event["nativeid"] = d.native_id
        headers = {"content-type": "application/cloudevents+json"}
        return Message(subject, dumps(event), headers, d.delivery_id, _key(d))
    headers = {f"ce-{k}": v for k, v in attrs.items()}
    headers["content-type"] = "application/json"
    if d.native_id:
        headers["ce-nativeid"] = d.native_id
    return Message(subject, dumps(data), headers, d.delivery_id, _key(d))


def _key(d: Delivery) -> str:
    return f"{d.entity_type.value}:{d.entity_id}"


__all__ = ["TYPE_PREFIX", "Message", "attributes", "dumps", "render_subject", "to_message"]


# -- inbound --------------------------------------------------------------------------------
def _exact_number(text: str) -> str:
    return text  # the canonical model takes Decimal text, never a float


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def parse_body(body: bytes) -> tuple[dict[str, Any], str | None]:
    """A message body as the record object, and the CloudEvents ``time`` if it is one.

    A structured CloudEvent (``specversion`` and ``data``) gives its ``data``;
    anything else must be a JSON object. Raises ``ValueError`` saying why not.
    """
    try:
        doc = json.loads(
            body.decode("utf-8"), parse_float=_exact_number, parse_constant=_no_constant
        )
    except UnicodeDecodeError as exc:
        raise ValueError(f"body is not UTF-8: {exc}") from None
    except json.JSONDecodeError as exc:
        raise ValueError(f"body is not JSON: {exc}") from None
    if isinstance(doc, dict) and "specversion" in doc and "data" in doc:
        when = doc.get("time")
        doc = doc["data"]
        if not isinstance(doc, dict):
            raise ValueError("the CloudEvent's data is not a JSON object")
        return doc, when if isinstance(when, str) else None
    if not isinstance(doc, dict):
        raise ValueError("body is not a JSON object")
    return doc, None


__all__ = [
    "TYPE_PREFIX",
    "Message",
    "attributes",
    "dumps",
    "parse_body",
    "render_subject",
    "to_message",
]
