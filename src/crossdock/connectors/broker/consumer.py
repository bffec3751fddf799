"""Reading from the broker: a JetStream durable pull consumer or a RabbitMQ queue.

Both give :class:`Received` messages that stay unacknowledged until the source
says so (after ingest committed). A message neither acked nor released comes
back: JetStream redelivers after ``ack_wait``, RabbitMQ when the connection
closes (a killed hub) — and ``release`` hands them back at once (a failed
ingest in a living process). ``msg_id`` is stable across redeliveries (the
publisher's ``Nats-Msg-Id`` / AMQP ``message_id``, else the stream sequence or
the body's digest): the hub's idempotency key.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from crossdock.connectors.broker.client import close_amqp, open_amqp, open_nats
from crossdock.connectors.broker.config import BrokerSettings, ConsumeSettings


@dataclass(frozen=True, slots=True)
class Received:
    body: bytes
    headers: dict[str, str]
    msg_id: str
    ref: str
    sent_at: datetime | None
    deliveries: int
    handle: Any = field(repr=False, compare=False)


class Consumer(Protocol):
    @property
    def connected(self) -> bool: ...

    @property
    def started(self) -> bool: ...

    async def fetch(self) -> list[Received]: ...

    async def ack(self, messages: list[Received]) -> None: ...

    async def release(self, messages: list[Received]) -> None: ...

    async def pending(self) -> int: ...

    async def close(self) -> None: ...


def _digest(body: bytes) -> str:
    return "sha256:" + hashlib.sha256(body).hexdigest()


class NatsConsumer:
    def __init__(self, settings: BrokerSettings, password: str | None) -> None:
        assert settings.consume is not None
        self.settings = settings
        self.c: ConsumeSettings = settings.consume
        self.password = password
        self._nc: Any = None
        self._sub: Any = None
        self._opening = asyncio.Lock()  # a status check and a pull must not open two

    @property
    def connected(self) -> bool:
        return bool(self._nc is not None and self._nc.is_connected)

    @property
    def started(self) -> bool:
        return self._nc is not None

    async def _ensure(self) -> Any:
        async with self._opening:
            return await self._open()

    async def _open(self) -> Any:
        from nats.js.api import AckPolicy, ConsumerConfig

        if self._nc is None or self._nc.is_closed:
            self._nc = await open_nats(self.settings, self.password)
            self._sub = None
        if self._sub is None:
            js = self._nc.jetstream(timeout=self.settings.timeout_seconds)
            if self.settings.declare:
                await js.add_consumer(
                    self.c.stream,
                    ConsumerConfig(
                        durable_name=self.c.durable,
                        ack_policy=AckPolicy.EXPLICIT,
                        filter_subject=self.c.filter_subject,
                        ack_wait=self.c.ack_wait_seconds,
                        max_ack_pending=max(1000, self.c.batch * 4),
                    ),
                )
            self._sub = await js.pull_subscribe_bind(durable=self.c.durable, stream=self.c.stream)
        return self._sub

    async def fetch(self) -> list[Received]:
        import nats.errors

        sub = await self._ensure()
        try:
            msgs = await sub.fetch(self.c.batch, timeout=self.c.wait_seconds)
        except (nats.errors.TimeoutError, TimeoutError):
            return []
        out = []
        for m in msgs:
            meta = m.metadata
            headers = dict(m.headers or {})
            seq = meta.sequence.stream
            msg_id = headers.get("Nats-Msg-Id") or f"{self.c.stream}:{seq}"
            out.append(
                Received(
                    body=m.data,
                    headers=headers,
                    msg_id=msg_id,
                    ref=f"{self.c.stream}#{seq}",
                    sent_at=meta.timestamp,
                    deliveries=meta.num_delivered,
                    handle=m,
                )
            )
        return out

    async def ack(self, messages: list[Received]) -> None:
        # ack_sync: the server confirmed each ack, so a crash after this re-reads nothing
        await asyncio.gather(
            *(m.handle.ack_sync(timeout=self.settings.timeout_seconds) for m in messages)
        )

    async def release(self, messages: list[Received]) -> None:
        for m in messages:
            await m.handle.nak()
        if self._nc is not None and self._nc.is_connected:
            await self._nc.flush()

    async def pending(self) -> int:
        sub = await self._ensure()
        info = await sub.consumer_info()
        return int(info.num_pending) + int(info.num_ack_pending)

    async def close(self) -> None:
        if self._nc is not None and not self._nc.is_closed:
            await self._nc.close()


class RabbitConsumer:
    def __init__(self, settings: BrokerSettings, password: str | None) -> None:
        assert settings.consume is not None
        self.settings = settings
        self.c: ConsumeSettings = settings.consume
        self.password = password
        self._conn: Any = None
        self._channel: Any = None
        self._queue: Any = None
        self._opening = asyncio.Lock()  # a status check and a pull must not open two

    @property
    def connected(self) -> bool:
        return bool(self._conn is not None and not self._conn.is_closed)

    @property
    def started(self) -> bool:
        return self._conn is not None

    async def _ensure(self) -> Any:
        async with self._opening:
            return await self._open()

    async def _open(self) -> Any:
        if self._conn is None or self._conn.is_closed:
            self._conn = await open_amqp(self.settings, self.password)
            self._channel = None
        if self._channel is None or self._channel.is_closed:
            self._channel = await self._conn.channel()
            if self.settings.declare:
                self._queue = await self._channel.declare_queue(self.c.queue, durable=True)
            else:
                self._queue = await self._channel.get_queue(self.c.queue, ensure=True)
        return self._queue

    async def fetch(self) -> list[Received]:
        try:
            return await self._fetch()
        except BaseException:
            # a dead socket aio-pika's plain connection missed: start afresh next time (the
            # unacked messages of the old channel go back to the queue with it)
            await self._reset()
            raise

    async def _reset(self) -> None:
        conn, self._conn, self._channel = self._conn, None, None
        if conn is not None:
            await close_amqp(conn)

    async def _fetch(self) -> list[Received]:
        queue = await self._ensure()
        out: list[Received] = []
        deadline = time.monotonic() + self.c.wait_seconds
        while len(out) < self.c.batch:
            m = await queue.get(no_ack=False, fail=False, timeout=self.settings.timeout_seconds)
            if m is None:
                if out or time.monotonic() >= deadline:
                    break
                await asyncio.sleep(0.02)
                continue
            headers = {k: str(v) for k, v in (m.headers or {}).items()}
            sent = m.timestamp
            if sent is not None and sent.tzinfo is None:
                sent = sent.replace(tzinfo=UTC)
            out.append(
                Received(
                    body=m.body,
                    headers=headers,
                    msg_id=m.message_id or _digest(m.body),
                    ref=f"{self.c.queue}#{m.delivery_tag}",
                    sent_at=sent,
                    deliveries=2 if m.redelivered else 1,
                    handle=m,
                )
            )
        return out

    async def ack(self, messages: list[Received]) -> None:
        for m in messages:
            await m.handle.ack()

    async def release(self, messages: list[Received]) -> None:
        for m in messages:
            await m.handle.nack(requeue=True)

    async def pending(self) -> int:
        """Messages ready in the queue (RabbitMQ's count leaves out those delivered, unacked)."""
        try:
            await self._ensure()
            q = await self._channel.declare_queue(self.c.queue, passive=True)
        except Exception:
            await self._reset()  # a refused or dead connection: the next call opens afresh
            raise
        return int(q.declaration_result.message_count or 0)

    async def close(self) -> None:
        if self._conn is not None and not self._conn.is_closed:
            await close_amqp(self._conn)


def consumer(settings: BrokerSettings, password: str | None) -> Consumer:
    if settings.broker == "nats":
        return NatsConsumer(settings, password)
    return RabbitConsumer(settings, password)


__all__ = ["Consumer", "Received", "consumer"]
