"""Talking to the broker from the hub's synchronous engine.

nats-py and aio-pika are asyncio clients; the engine is not. Each connector
owns one :class:`LoopThread` (a daemon thread running its own event loop) and
calls it with ``run(coroutine)``, which blocks the caller until the answer or
the timeout. No event loop reaches the engine, and the client's connection
(with its reconnect logic) lives as long as the connector.

:class:`Publisher` is the one publish surface of both brokers: ``publish``
sends a list of messages and answers, per message, ``None`` (the broker
confirmed it: JetStream's PubAck, RabbitMQ's publisher confirm) or the
exception that stopped it. ``unconfirmed`` counts publishes sent but not yet
confirmed (the destination's lag figure).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import threading
from collections.abc import Coroutine, Sequence
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any, Protocol, TypeVar
from urllib.parse import urlsplit

from crossdock.connectors.broker.config import BrokerSettings
from crossdock.connectors.broker.errors import unavailable
from crossdock.connectors.broker.mapper import Message
from crossdock.errors import ErrorCode, InvalidInput

_log = logging.getLogger(__name__)

T = TypeVar("T")


class LoopThread:
    """An asyncio loop in a daemon thread, driven from synchronous code."""

    def __init__(self, name: str) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name=name, daemon=True)
        self._thread.start()

    def run(self, coro: Coroutine[Any, Any, T], timeout: float) -> T:
        future = asyncio.run_coroutine_threadsafe(coro, self.loop)
        try:
            return future.result(timeout)
        except FutureTimeout:
            future.cancel()
            raise

    def stop(self) -> None:
        """Finish what the client left on the loop (cancelled), then stop and close it.

        A dropped connection leaves the client's own clean-up tasks behind (aiormq
        schedules a close when its reader dies); stopping the loop under them would
        drop them un-run, which Python reports as a coroutine never awaited.
        """
        if self.loop.is_closed():
            return
        if self._thread.is_alive():
            with contextlib.suppress(Exception):
                asyncio.run_coroutine_threadsafe(_drain(), self.loop).result(5)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(5)
        if not self._thread.is_alive():
            self.loop.close()


def _nats_callbacks(settings: BrokerSettings) -> dict[str, Any]:
    """nats-py's error and reconnect callbacks: one log line per new error, not a traceback.

    Left to its defaults, nats-py logs every failed reconnect (two a second while a
    broker is down) as an ERROR with its traceback; the broker's state is what
    `crossdock status`, `GET /v1/systems` and the metrics say, so the log needs the
    error once, and again only when it changes or the link came back in between.
    """
    at = where(settings)
    last: list[str] = []

    async def error(exc: Exception) -> None:
        text = f"{type(exc).__name__}: {exc}"
        if last != [text]:
            last[:] = [text]
            _log.warning("broker %s: %s (reconnecting)", at, text)

    async def reconnected() -> None:
        if last:
            last.clear()
            _log.warning("broker %s: reconnected", at)

    return {"error_cb": error, "reconnected_cb": reconnected}


async def open_nats(settings: BrokerSettings, password: str | None) -> Any:
    """A NATS connection that keeps reconnecting by itself (publisher and consumer alike)."""
    import nats

    return await nats.connect(
        settings.url,
        token=password,
        connect_timeout=min(settings.timeout_seconds, 5),
        max_reconnect_attempts=-1,
        reconnect_time_wait=0.5,
        **_nats_callbacks(settings),
    )


async def open_amqp(settings: BrokerSettings, password: str | None) -> Any:
    """An aio-pika connection; one that fails to open is closed before the error goes on.

    aio-pika's ``Connection.__del__`` schedules ``close()`` on the current loop when a
    connection was never marked closed; collected on a thread without a running loop
    (the engine's), that coroutine is dropped un-run. So every connection this client
    makes ends marked closed: a failed open here, a dead one in :func:`close_amqp`.
    """
    import aio_pika

    made: list[Any] = []

    class _Tracked(aio_pika.Connection):  # type: ignore[misc]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            made.append(self)

    try:
        return await aio_pika.connect(
            settings.url,
            password=password or "guest",
            timeout=settings.timeout_seconds,
            connection_class=_Tracked,
        )
    except BaseException:
        for conn in made:
            await close_amqp(conn)
        raise


async def close_amqp(conn: Any) -> None:
    """Close ``conn`` for good, even with its socket dead.

    A close cut short (a dead socket does not answer) has already dropped the
    transport but not marked the connection closed; a second close marks it.
    """
    for wait in (2.0, 1.0):
        with contextlib.suppress(Exception):
            await asyncio.wait_for(conn.close(), wait)
        if conn.is_closed:
            return


async def _drain() -> None:
    """Cancel every other task of the running loop and wait until each has ended."""
    me = asyncio.current_task()
    for _ in range(3):  # a task cancelled may schedule one more (a close): take those too
        tasks = [t for t in asyncio.all_tasks() if t is not me and not t.done()]
        if not tasks:
            break
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    await asyncio.get_running_loop().shutdown_asyncgens()


class Rejected(Exception):
    """The broker refused this message for good (no stream for the subject, unroutable)."""


class Publisher(Protocol):
    unconfirmed: int

    @property
    def connected(self) -> bool: ...

    @property
    def started(self) -> bool:
        """Whether a connection was ever opened (a destination never used has none)."""
        ...

    async def publish(self, messages: Sequence[Message]) -> list[BaseException | None]: ...

    async def check(self) -> None:
        """One round trip to the broker (opening the connection if need be); raises if none."""
        ...

    async def close(self) -> None: ...


def _missing(extra: str, exc: ImportError) -> InvalidInput:
    return InvalidInput(
        f"the broker connector needs {exc.name}: pip install 'crossdock[{extra}]'",
        field="kind",
        reason=f"{exc.name} is not installed",
        code=ErrorCode.MISSING_DEPENDENCY,
    )


class NotSent(Exception):
    """Not published: an earlier version of the same record was not confirmed."""


async def _gather(messages: Sequence[Message], limit: int, one: Any) -> list[BaseException | None]:
    # Different records are confirmed concurrently; one record's versions one after
    # another, and none after one that failed, so a retry can never land an older
    # version behind a newer one.
    gate = asyncio.Semaphore(limit)
    chains: dict[str, list[int]] = {}
    for i, m in enumerate(messages):
        chains.setdefault(m.order_key or m.msg_id, []).append(i)
    out: list[BaseException | None] = [None] * len(messages)

    async def chain(indexes: list[int]) -> None:
        for n, i in enumerate(indexes):
            try:
                async with gate:
                    await one(messages[i])
            except Exception as exc:  # the caller sorts confirmed, refused and transient
                out[i] = exc
                for j in indexes[n + 1 :]:
                    out[j] = NotSent(f"not sent after {type(exc).__name__}: {exc}")
                return

    await asyncio.gather(*(chain(ix) for ix in chains.values()))
    return out


class NatsPublisher:
    """JetStream publishes with ``Nats-Msg-Id`` = delivery id (the stream drops repeats)."""

    def __init__(self, settings: BrokerSettings, password: str | None) -> None:
        try:
            import nats  # noqa: F401
        except ImportError as exc:
            raise _missing("nats", exc) from None
        self.settings = settings
        self.password = password
        self.unconfirmed = 0
        self._nc: Any = None
        self._js: Any = None
        self._opening = asyncio.Lock()  # a status check and a publish must not open two

    @property
    def connected(self) -> bool:
        return bool(self._nc is not None and self._nc.is_connected)

    @property
    def started(self) -> bool:
        return self._nc is not None

    async def _connect(self) -> Any:
        async with self._opening:
            if self._nc is None or self._nc.is_closed:
                self._nc = await open_nats(self.settings, self.password)
                self._js = None
            return self._nc

    async def _ensure(self) -> Any:
        from nats.js.errors import NotFoundError

        nc = await self._connect()
        if self._js is None:
            js = nc.jetstream(timeout=self.settings.timeout_seconds)
            if self.settings.stream and self.settings.declare:
                try:
                    await js.stream_info(self.settings.stream)
                except NotFoundError:
                    await js.add_stream(
                        name=self.settings.stream, subjects=self.settings.subjects_of_stream()
                    )
            self._js = js
        return self._js

    async def check(self) -> None:
        nc = await self._connect()
        await nc.flush(timeout=self.settings.timeout_seconds)

    async def publish(self, messages: Sequence[Message]) -> list[BaseException | None]:
        from nats.js.errors import APIError, NoStreamResponseError

        js = await self._ensure()

        async def one(m: Message) -> None:
            headers = {**m.headers, "Nats-Msg-Id": m.msg_id}
            self.unconfirmed += 1
            try:
                await js.publish(
                    m.subject,
                    m.body,
                    timeout=self.settings.timeout_seconds,
                    stream=self.settings.stream,
                    headers=headers,
                )
            except NoStreamResponseError as exc:
                raise Rejected(f"no JetStream stream takes subject {m.subject!r}") from exc
            except APIError as exc:
                if exc.code == 503:
                    raise
                raise Rejected(f"JetStream refused {m.subject!r}: {exc.description}") from exc
            finally:
                self.unconfirmed -= 1

        return await _gather(messages, self.settings.max_in_flight, one)

    async def close(self) -> None:
        if self._nc is not None and not self._nc.is_closed:
            await self._nc.close()


class RabbitPublisher:
    """Persistent messages on a confirm channel, ``message_id`` = delivery id, mandatory."""

    def __init__(self, settings: BrokerSettings, password: str | None) -> None:
        try:
            import aio_pika  # noqa: F401
        except ImportError as exc:
            raise _missing("rabbitmq", exc) from None
        self.settings = settings
        self.password = password
        self.unconfirmed = 0
        self._conn: Any = None
        self._channel: Any = None
        self._exchange: Any = None
        self._opening = asyncio.Lock()  # a status check and a publish must not open two

    @property
    def connected(self) -> bool:
        return bool(self._conn is not None and not self._conn.is_closed)

    @property
    def started(self) -> bool:
        return self._conn is not None

    async def _connect(self) -> Any:
        async with self._opening:
            if self._conn is None or self._conn.is_closed:
                self._conn = await open_amqp(self.settings, self.password)
                self._channel = None
            return self._conn

    async def check(self) -> None:
        try:
            conn = await self._connect()
            channel = await conn.channel()  # a round trip: a dead socket shows here
            await channel.close()
        except BaseException:
            await self._reset()
            raise

    async def _ensure(self) -> Any:
        await self._connect()
        if self._channel is None or self._channel.is_closed:
            self._channel = await self._conn.channel(publisher_confirms=True, on_return_raises=True)
            name = self.settings.exchange or ""
            if self.settings.declare:
                self._exchange = await self._channel.declare_exchange(
                    name, self.settings.exchange_type, durable=True
                )
            else:
                self._exchange = await self._channel.get_exchange(name, ensure=True)
        return self._exchange

    async def publish(self, messages: Sequence[Message]) -> list[BaseException | None]:
        import aio_pika
        from aiormq.exceptions import PublishError

        try:
            exchange = await self._ensure()
        except BaseException:
            await self._reset()
            raise

        async def one(m: Message) -> None:
            ctype = m.headers.get("content-type", "application/json")
            headers: dict[str, Any] = {k: v for k, v in m.headers.items() if k != "content-type"}
            msg = aio_pika.Message(
                m.body,
                headers=headers,
                message_id=m.msg_id,
                content_type=ctype,
                delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            )
            self.unconfirmed += 1
            try:
                await exchange.publish(
                    msg,
                    routing_key=m.subject,
                    mandatory=True,
                    timeout=self.settings.timeout_seconds,
                )
            except PublishError as exc:
                raise Rejected(f"no queue is bound for routing key {m.subject!r}") from exc
            finally:
                self.unconfirmed -= 1

        answers = await _gather(messages, self.settings.max_in_flight, one)
        if any(a is not None and not isinstance(a, Rejected | NotSent) for a in answers):
            # aio-pika's plain connection does not always notice a dead socket: start afresh
            await self._reset()
        return answers

    async def _reset(self) -> None:
        conn, self._conn, self._channel, self._exchange = self._conn, None, None, None
        if conn is not None:
            await close_amqp(conn)

    async def close(self) -> None:
        if self._conn is not None and not self._conn.is_closed:
            await close_amqp(self._conn)


def publisher(settings: BrokerSettings, password: str | None) -> Publisher:
    if settings.broker == "nats":
        return NatsPublisher(settings, password)
    return RabbitPublisher(settings, password)


def where(settings: BrokerSettings) -> str:
    return f"{settings.broker} {settings.url.split('@')[-1]}"


async def why_unreachable(settings: BrokerSettings, timeout: float) -> tuple[bool, str]:
    """Whether the broker's port takes a TCP connection, and the reason worded for a person.

    nats-py keeps retrying a refused connect without saying so, and both clients
    word a refusal "Connect call failed"; the socket itself says which it was.
    """
    u = urlsplit(settings.url)
    host = u.hostname or "localhost"
    port = u.port or (4222 if settings.broker == "nats" else 5672)
    try:
        _, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout)
    except TimeoutError:
        return False, f"no TCP connection to {host}:{port} within {timeout:g}s"
    except OSError as exc:
        return False, f"{host}:{port}: {os.strerror(exc.errno) if exc.errno else exc}"
    writer.close()
    with contextlib.suppress(Exception):
        await writer.wait_closed()
    return True, f"{host}:{port} takes connections but the broker gave no answer in {timeout:g}s"


__all__ = [
    "LoopThread",
    "Publisher",
    "Rejected",
    "publisher",
    "unavailable",
    "where",
    "why_unreachable",
]
