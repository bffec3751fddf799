"""The hub's own event stream: every committed canonical event on a JetStream stream.

One hub-file setting::

    event_stream:
      url: nats://127.0.0.1:4222
      stream: CROSSDOCK_EVENTS                       # created when missing
      subject: "crossdock.events.{entity_type}.{entity_id}"

is expanded, when the hub file is read, into a ``kind: broker`` system and a
route named ``crossdock-events`` to it: every entity type, every version
(``every_version``), every field the masking lets leave. So the stream is fed
by the same cursor over the outbox as any route: nothing committed is skipped
or reordered across restarts (the cursor moves only past confirmed
publishes), a broker outage is retried and opens the circuit like any
destination, and a repeat after a crash is dropped by the stream
(``Nats-Msg-Id`` = delivery id, within the stream's duplicate window).
Subscribers replay from any sequence or time with their own consumers, never
touching the hub's database.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from crossdock.model.base import EntityType

#: The name of the system and of the route the setting adds.
EVENT_STREAM = "crossdock-events"


class EventStreamConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    url: str = Field(pattern=r"^(nats|tls)://", description="the NATS server (JetStream enabled)")
    stream: str = Field(default="CROSSDOCK_EVENTS", pattern=r"^[A-Za-z0-9_-]+$")
    subject: str = Field(default="crossdock.events.{entity_type}.{entity_id}")
    content_mode: Literal["structured", "binary"] = "structured"
    password_env: str | None = None
    batch_size: int = Field(default=500, ge=1, le=10_000)


def _name(system: Any) -> Any:
    return system.get("name") if isinstance(system, dict) else getattr(system, "name", None)


def expand(data: Any) -> Any:
    """The raw hub file with ``event_stream`` turned into its system and route."""
    if not isinstance(data, dict) or data.get("event_stream") is None:
        return data
    raw = data["event_stream"]
    cfg = raw if isinstance(raw, EventStreamConfig) else EventStreamConfig.model_validate(raw)
    settings: dict[str, Any] = {
        "url": cfg.url,
        "stream": cfg.stream,
        "subject": cfg.subject,
        "content_mode": cfg.content_mode,
    }
    if cfg.password_env:
        settings["password_env"] = cfg.password_env
    out = dict(data)
    out["event_stream"] = cfg
    if any(_name(s) == EVENT_STREAM for s in data.get("systems", [])):
        return out  # a dumped and re-read config has them already
    out["systems"] = [
        *data.get("systems", []),
        {"name": EVENT_STREAM, "kind": "broker", "settings": settings},
    ]
    out["routes"] = [
        *data.get("routes", []),
        {
            "name": EVENT_STREAM,
            "entities": [e.value for e in EntityType],
            "destination": EVENT_STREAM,
            "every_version": True,
            "batch_size": cfg.batch_size,
        },
    ]
    return out


__all__ = ["EVENT_STREAM", "EventStreamConfig", "expand"]
