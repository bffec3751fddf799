"""The broker as a source: messages → changes, acked only after ingest committed.

Each ``pull`` fetches up to ``consume.batch`` messages at a time and hands
each lot to the engine as one :class:`~crossdock.connectors.base.InboundUnit`;
its ``ack`` (called by the engine after the ingest transaction committed) acks
them on the broker. A lot the engine did not ack (ingest failed) is released
back to the broker on the next ``pull``; a killed hub's lots come back by
themselves (RabbitMQ on disconnect, JetStream after ``ack_wait``).

Exactly-once effect: every change's idempotency key is
``broker:<message id>``, stable across redeliveries, and ingest drops a key it
has seen. A message that cannot be mapped (not JSON, an unmapped value, no id)
is a :class:`~crossdock.connectors.base.SourceError`: ingest files it as a
business exception, and the unit's ack acks it, so it is not redelivered
forever.
"""

from __future__ import annotations

import contextlib
from collections.abc import Coroutine, Iterator
from datetime import UTC, datetime
from typing import Any, TypeVar

from crossdock.connectors.base import InboundUnit, SourceError, SourceItem
from crossdock.connectors.broker.client import LoopThread
from crossdock.connectors.broker.config import ConsumeSettings
from crossdock.connectors.broker.consumer import Consumer, Received
from crossdock.connectors.broker.errors import unavailable
from crossdock.connectors.broker.mapper import parse_body
from crossdock.connectors.kit.fieldmap import JsonColumnsPlan, ObjectPlan, RowProblem, plan_for_json
from crossdock.connectors.kit.fieldmap.rows import parse_timestamp
from crossdock.errors import ErrorCode, RetryableError
from crossdock.model.base import EntityType
from crossdock.model.change import Change
from crossdock.observability import metrics

RAW_CHARS = 4000
T = TypeVar("T")
JsonPlan = JsonColumnsPlan | ObjectPlan


class BrokerSource:
    """Implements :class:`~crossdock.connectors.base.Source` over a :class:`Consumer`."""

    def __init__(
        self,
        system: str,
        settings: ConsumeSettings,
        consumer: Consumer,
        loop: LoopThread,
        *,
        timeout: float,
        where: str,
    ) -> None:
        self.system = system
        self.settings = settings
        self.consumer = consumer
        self.loop = loop
        self.timeout = timeout
        self.where = where
        self._plan = plan_for_json(settings.map) if settings.map is not None else None
        self._plans = {kind: (m.entity, plan_for_json(m)) for kind, m in settings.maps.items()}
        self._outstanding: dict[int, list[Received]] = {}

    def pull(self) -> Iterator[InboundUnit]:
        """Lots of messages waiting now, each acked by the engine after its commit."""
        self._release_outstanding()
        n = 0
        while True:
            lot = self._call(self.consumer.fetch())
            if not lot:
                # caught up: the lag gauge from the broker's own count
                with contextlib.suppress(RetryableError):
                    metrics.BROKER_PENDING.labels(self.system).set(self.pending())
                metrics.BROKER_CONNECTED.labels(self.system).set(int(self.consumer.connected))
                return
            n += 1
            key = id(lot)
            self._outstanding[key] = lot

            def ack(key: int = key, lot: list[Received] = lot) -> None:
                self._call(self.consumer.ack(lot))
                self._outstanding.pop(key, None)

            yield InboundUnit(
                name=f"{self.system}:{lot[0].ref}..{lot[-1].ref}",
                items=[self.item(m) for m in lot],
                total=len(lot),
                ack=ack,
            )

    def pending(self) -> int:
        """Messages waiting or delivered but not yet acked (the source's lag)."""
        return self._call(self.consumer.pending())

    def _choose(self, m: Received, obj: dict[str, Any]) -> tuple[EntityType, JsonPlan]:
        """The field map for this message: by its type when the source carries several."""
        by = self.settings.by
        kind: object = None
        if by is not None:
            kind = m.headers.get(by.header) if by.header is not None else obj.get(by.field or "")
            if isinstance(kind, str) and kind in self._plans:
                return self._plans[kind]
        default = self.settings.map
        if default is not None and self._plan is not None:
            return default.entity, self._plan
        where = "type"
        if by is not None:
            where = f"field {by.field!r}" if by.field is not None else f"header {by.header!r}"
        listed = ", ".join(sorted(self._plans))
        raise ValueError(f"{where} is {kind!r}, not a type this source maps ({listed})")

    def item(self, m: Received) -> SourceItem:
        entity = self.settings.map.entity if self.settings.map is not None else None
        text = m.body[:RAW_CHARS].decode("utf-8", "replace")
        try:
            obj, when = parse_body(m.body)
            entity, plan = self._choose(m, obj)
            nid, op, data, ts = plan.map_object(obj)
        except ValueError as exc:
            return SourceError(
                self.system,
                str(exc),
                ErrorCode.MALFORMED_ROW,
                ref=m.ref,
                entity_type=entity,
                raw=text,
            )
        except RowProblem as p:
            return SourceError(
                self.system,
                p.reason,
                p.code,
                ref=m.ref,
                field=p.field,
                entity_type=entity,
                native_id=p.native_id,
                raw=text,
            )
        if ts is None and when is not None:
            try:
                ts = parse_timestamp(when, "time")
            except RowProblem:
                ts = None
        return Change(
            system=self.system,
            entity_type=entity,
            native_id=nid,
            data=data,
            op=op,
            source_ts=ts or m.sent_at or datetime.now(UTC),
            idempotency_key=f"broker:{m.msg_id}",
            ref=m.ref,
            traceparent=m.headers.get("traceparent") or m.headers.get("ce-traceparent"),
        )

    def _release_outstanding(self) -> None:
        lots, self._outstanding = list(self._outstanding.values()), {}
        for lot in lots:
            # a dead connection's messages come back by themselves
            with contextlib.suppress(RetryableError):
                self._call(self.consumer.release(lot))

    def _call(self, coro: Coroutine[Any, Any, T]) -> T:
        try:
            return self.loop.run(coro, self.timeout * 3)
        except Exception as exc:  # the vendor boundary: every client failure
            raise unavailable(self.where, exc) from None


__all__ = ["BrokerSource"]
