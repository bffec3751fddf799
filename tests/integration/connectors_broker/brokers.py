"""The real brokers on this machine, for the broker connector's tests.

``CROSSDOCK_TEST_NATS_URL`` (default nats://127.0.0.1:4222) and
``CROSSDOCK_TEST_AMQP_URL`` (default amqp://guest:guest@127.0.0.1:5672/). A broker
that is not listening skips its tests with that hint; with
``CROSSDOCK_REQUIRE_BROKERS=1`` (CI) it fails them instead. Every test makes its
own stream / exchange / queue names (a random suffix) and removes them.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import uuid
from collections.abc import Coroutine
from typing import Any, TypeVar
from urllib.parse import urlsplit

import pytest

NATS_URL = os.environ.get("CROSSDOCK_TEST_NATS_URL", "nats://127.0.0.1:4222")
AMQP_URL = os.environ.get("CROSSDOCK_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")
REQUIRE = os.environ.get("CROSSDOCK_REQUIRE_BROKERS") == "1"
T = TypeVar("T")


def reachable(url: str) -> None:
    """Skip (or, in CI, fail) unless the broker at ``url`` accepts a connection."""
    u = urlsplit(url)
    try:
        socket.create_connection((u.hostname, u.port), timeout=3).close()
    except OSError as exc:
        msg = f"broker tests skipped: nothing listens at {u.hostname}:{u.port} ({exc})"
        if REQUIRE:
            pytest.fail(f"CROSSDOCK_REQUIRE_BROKERS=1 but {msg}")
        pytest.skip(msg + "; start NATS with -js / RabbitMQ or set CROSSDOCK_TEST_*_URL")


def unique(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:10]}"


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


async def stream_messages(stream: str) -> list[Any]:
    """Every message a JetStream stream holds, oldest first (raw nats-py)."""
    import nats

    nc = await nats.connect(NATS_URL)
    try:
        js = nc.jetstream()
        info = await js.stream_info(stream)
        out = []
        for seq in range(info.state.first_seq, info.state.last_seq + 1):
            out.append(await js.get_msg(stream, seq))
        return out
    finally:
        await nc.close()


async def delete_stream(stream: str) -> None:
    import nats
    from nats.js.errors import NotFoundError

    nc = await nats.connect(NATS_URL)
    try:
        with contextlib.suppress(NotFoundError):
            await nc.jetstream().delete_stream(stream)
    finally:
        await nc.close()


async def bind_queue(exchange: str, queue: str, key: str = "#") -> None:
    import aio_pika

    conn = await aio_pika.connect(AMQP_URL)
    async with conn:
        ch = await conn.channel()
        ex = await ch.declare_exchange(exchange, "topic", durable=True)
        q = await ch.declare_queue(queue, durable=True)
        await q.bind(ex, key)


async def queue_messages(queue: str) -> list[Any]:
    """Every message waiting in a RabbitMQ queue, left there (read, then nacked back)."""
    import aio_pika

    conn = await aio_pika.connect(AMQP_URL)
    out: list[Any] = []
    async with conn:
        ch = await conn.channel()
        q = await ch.get_queue(queue)
        held = []
        while (m := await q.get(no_ack=False, fail=False)) is not None:
            held.append(m)
            out.append(m)
        for m in held:
            await m.nack(requeue=True)
    return out


async def drop_rabbit(exchange: str, queue: str) -> None:
    import aio_pika

    conn = await aio_pika.connect(AMQP_URL)
    async with conn:
        ch = await conn.channel()
        await ch.queue_delete(queue)
        await ch.exchange_delete(exchange)


async def nats_publish(stream: str, subject: str, bodies: list[tuple[str, bytes]]) -> None:
    """Publish (msg id, body) pairs into a stream, created when missing (raw nats-py)."""
    import nats
    from nats.js.errors import NotFoundError

    nc = await nats.connect(NATS_URL)
    try:
        js = nc.jetstream()
        try:
            await js.stream_info(stream)
        except NotFoundError:
            await js.add_stream(name=stream, subjects=[subject.split(".", 1)[0] + ".>"])
        for msg_id, body in bodies:
            await js.publish(subject, body, headers={"Nats-Msg-Id": msg_id})
    finally:
        await nc.close()


async def rabbit_publish(queue: str, bodies: list[tuple[str, bytes]]) -> None:
    """Publish (message id, body) pairs to a durable queue through the default exchange."""
    import aio_pika

    conn = await aio_pika.connect(AMQP_URL)
    async with conn:
        ch = await conn.channel(publisher_confirms=True)
        await ch.declare_queue(queue, durable=True)
        for msg_id, body in bodies:
            await ch.default_exchange.publish(
                aio_pika.Message(body, message_id=msg_id), routing_key=queue
            )
