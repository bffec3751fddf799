"""The broker connector's settings: which broker, where, and how a route publishes.

One ``kind: broker`` system talks to one broker: NATS JetStream
(``nats://…``) or RabbitMQ (``amqp://…``), chosen by the URL's scheme. A
password, when the broker needs one, comes from the environment variable
``password_env`` names, never from the hub file.

Example (``crossdock.yaml``)::

    - name: bus
      kind: broker
      settings:
        url: nats://127.0.0.1:4222
        stream: CROSSDOCK                 # created when missing, subjects crossdock.>
        subject: "crossdock.{entity_type}.{entity_id}"
        content_mode: structured          # or binary (CloudEvents attributes as headers)
        route_content_modes: {products_to_bus: binary}

    - name: rabbit
      kind: broker
      settings:
        url: amqp://guest@127.0.0.1:5672/
        password_env: RABBIT_PASSWORD
        exchange: crossdock               # declared (topic, durable) when missing
        subject: "crossdock.product.{sku}"  # the routing key
"""

from __future__ import annotations

import string
from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from crossdock.connectors.kit.fieldmap import FieldMap

ContentMode = Literal["structured", "binary"]
BrokerName = Literal["nats", "rabbitmq"]

_SCHEMES: dict[str, BrokerName] = {
    "nats": "nats",
    "tls": "nats",
    "amqp": "rabbitmq",
    "amqps": "rabbitmq",
}


class MapSelector(BaseModel):
    """Several entity types on one stream or queue: a header or a body field picks the map.

    Example: ``by: {header: ce-type}`` with ``maps: {dev.acme.item: {entity: product,
    ...}, dev.acme.account: {entity: customer, ...}}``; a value not listed takes the
    source's ``map`` if it has one, else the message is filed as a business exception.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    header: str | None = Field(default=None, description="the message header naming the type")
    field: str | None = Field(
        default=None,
        description="the top-level body field naming the type (of a CloudEvent's data)",
    )

    @model_validator(mode="after")
    def _one(self) -> MapSelector:
        if (self.header is None) == (self.field is None):
            raise ValueError("give exactly one of header or field")
        return self


class ConsumeSettings(BaseModel):
    """The system as a source: a JetStream durable consumer or a RabbitMQ queue."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    map: FieldMap | None = Field(
        default=None,
        description="how a message body becomes a change (the field map); with maps: the "
        "map of a message whose type maps does not list",
    )
    by: MapSelector | None = Field(
        default=None, description="with maps: where a message says its type"
    )
    maps: dict[str, FieldMap] = Field(
        default_factory=dict, description="field map per message type (the value by names)"
    )
    stream: str | None = Field(default=None, description="NATS: the stream to consume")
    durable: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z0-9_-]+$",
        description="NATS: the durable pull consumer's name (created when missing)",
    )
    filter_subject: str | None = Field(default=None, description="NATS: only these subjects")
    queue: str | None = Field(default=None, description="RabbitMQ: the queue to read")
    batch: int = Field(default=100, ge=1, le=10_000, description="messages per acked unit")
    wait_seconds: float = Field(
        default=0.2, gt=0, le=30, description="how long a pull waits for the first message"
    )
    ack_wait_seconds: float = Field(
        default=30, gt=0, description="NATS: redelivery after this long without an ack"
    )

    @model_validator(mode="after")
    def _maps(self) -> ConsumeSettings:
        if (self.by is None) != (not self.maps):
            raise ValueError("by and maps go together (one stream carrying several types)")
        if self.map is None and not self.maps:
            raise ValueError("map (or by and maps) is required")
        return self


class BrokerSettings(BaseModel):
    """Typed settings of a ``kind: broker`` system."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    url: str = Field(description="nats://host:4222 (JetStream) or amqp://user@host:5672/vhost")
    password_env: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z_][A-Za-z0-9_]*$",
        description="environment variable holding the broker password (RabbitMQ) or token (NATS)",
    )
    subject: str = Field(
        default="crossdock.{entity_type}.{entity_id}",
        description="subject (NATS) or routing key (RabbitMQ) template; placeholders: "
        "entity_type, entity_id, native_id, route and any top-level field of the record",
    )
    content_mode: ContentMode = Field(
        default="structured", description="CloudEvents content mode of published messages"
    )
    route_content_modes: dict[str, ContentMode] = Field(
        default_factory=dict, description="content mode per route name, over content_mode"
    )
    stream: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z0-9_-]+$",
        description="NATS: the JetStream stream to publish into (created when missing)",
    )
    stream_subjects: list[str] | None = Field(
        default=None,
        description="NATS: subjects of a created stream; default: the template's "
        "first token followed by '>'",
    )
    exchange: str | None = Field(default=None, description="RabbitMQ: exchange to publish to")
    exchange_type: Literal["topic", "direct", "fanout", "headers"] = "topic"
    consume: ConsumeSettings | None = Field(
        default=None, description="read changes from the broker (the system becomes a source)"
    )
    declare: bool = Field(default=True, description="create the stream/exchange when missing")
    timeout_seconds: float = Field(default=10.0, gt=0, le=600)
    max_in_flight: int = Field(
        default=256, ge=1, le=10_000, description="publishes awaiting a confirm at once"
    )

    @property
    def broker(self) -> BrokerName:
        return _SCHEMES[urlsplit(self.url).scheme]

    @field_validator("url")
    @classmethod
    def _known_scheme(cls, value: str) -> str:
        scheme = urlsplit(value).scheme
        if scheme not in _SCHEMES:
            raise ValueError(f"scheme {scheme!r} is not one of nats, tls, amqp, amqps")
        return value

    @field_validator("subject")
    @classmethod
    def _template(cls, value: str) -> str:
        try:
            parts = [(f, s, c) for _, f, s, c in string.Formatter().parse(value) if f is not None]
        except ValueError as exc:
            raise ValueError(f"not a valid template: {exc}") from None
        for name, spec, conversion in parts:
            if not name.isidentifier() or spec or conversion:
                raise ValueError(f"placeholder {{{name}}} must be a plain field name")
        return value

    @model_validator(mode="after")
    def _per_broker(self) -> BrokerSettings:
        if self.broker == "nats" and self.exchange is not None:
            raise ValueError("exchange is a RabbitMQ setting; NATS publishes to stream subjects")
        if self.broker == "rabbitmq" and (self.stream or self.stream_subjects):
            raise ValueError("stream is a NATS setting; RabbitMQ publishes to an exchange")
        if self.broker == "rabbitmq" and self.exchange is None and self.consume is None:
            raise ValueError("exchange (to publish) or consume (to read) is required")
        c = self.consume
        if c is not None and self.broker == "nats" and (c.stream is None or c.durable is None):
            raise ValueError("consume: a NATS source needs stream and durable")
        if c is not None and self.broker == "rabbitmq" and c.queue is None:
            raise ValueError("consume: a RabbitMQ source needs queue")
        return self

    def content_mode_for(self, route: str) -> ContentMode:
        return self.route_content_modes.get(route, self.content_mode)

    def subjects_of_stream(self) -> list[str]:
        if self.stream_subjects:
            return list(self.stream_subjects)
        head = self.subject.split(".", 1)[0]
        return [f"{head}.>"]


__all__ = ["BrokerName", "BrokerSettings", "ConsumeSettings", "ContentMode", "MapSelector"]
