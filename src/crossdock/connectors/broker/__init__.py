"""The ``broker`` connector kind: NATS JetStream and RabbitMQ as destinations and sources.

Built on nats-py and aio-pika directly (see docs/connectors/broker.md for why
not FastStream). The asyncio clients run on the connector's own loop thread
(:class:`~crossdock.connectors.broker.client.LoopThread`), so the engine stays
synchronous.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Coroutine, Mapping
from typing import Any, TypeVar

from pydantic import BaseModel

from crossdock.config.hub import HubConfig, SystemConfig
from crossdock.connectors.base import (
    Connector,
    Destination,
    LinkStatus,
    Source,
    secret_from_env,
)
from crossdock.connectors.broker.client import (
    LoopThread,
    Publisher,
    publisher,
    where,
    why_unreachable,
)
from crossdock.connectors.broker.config import BrokerSettings
from crossdock.connectors.broker.consumer import Consumer, consumer
from crossdock.connectors.broker.destination import BrokerDestination
from crossdock.connectors.broker.source import BrokerSource
from crossdock.observability import metrics

T = TypeVar("T")


class BrokerConnector(Connector[BrokerSettings]):
    """A system reached through a message broker (NATS JetStream or RabbitMQ)."""

    kind = "broker"
    Settings = BrokerSettings

    def __init__(
        self,
        system: SystemConfig,
        settings: BaseModel,
        hub: HubConfig,
        *,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(system, settings, hub)
        env = os.environ if environ is None else environ
        password = None
        if self.settings.password_env is not None:
            password = secret_from_env(
                system.name,
                "password_env",
                self.settings.password_env,
                env,
                "the broker password or token",
            )
        s = self.settings
        self._loop = LoopThread(f"crossdock-broker-{system.name}")
        self._publisher: Publisher | None = None
        self._destination: BrokerDestination | None = None
        if s.broker == "nats" or s.exchange is not None:
            self._publisher = publisher(s, password)
            self._destination = BrokerDestination(s, self._publisher, self._loop, system.name)
        self._consumer: Consumer | None = None
        self._source: BrokerSource | None = None
        if s.consume is not None:
            self._consumer = consumer(s, password)
            self._source = BrokerSource(
                system.name,
                s.consume,
                self._consumer,
                self._loop,
                timeout=s.timeout_seconds,
                where=where(s),
            )

    def destination(self) -> Destination | None:
        return self._destination

    def source(self) -> Source | None:
        return self._source

    def link_status(self, timeout: float = 3.0) -> LinkStatus:
        """Connected; pending messages (source lag), unconfirmed publishes (destination lag).

        Both sides are asked at once (a round trip on the publisher's connection,
        the consumer's count from the broker), each within ``timeout`` seconds: a
        broker that is down or silent answers ``unreachable: <reason>`` instead of
        holding the caller. Never raises. Updates the broker gauges as it goes.
        """
        try:
            # the guard over the guard: the loop itself stuck would otherwise hold us
            pending, problems = self._loop.run(self._probe(timeout), timeout * 2 + 2)
        except Exception as exc:
            pending, problems = None, [f"no answer within {timeout:g}s ({type(exc).__name__})"]
        publishes = self._publishes()
        unconfirmed = publishes.unconfirmed if publishes is not None else None
        connected = not problems
        metrics.BROKER_CONNECTED.labels(self.name).set(int(connected))
        if unconfirmed is not None:
            metrics.BROKER_UNCONFIRMED.labels(self.name).set(unconfirmed)
        if pending is not None:
            metrics.BROKER_PENDING.labels(self.name).set(pending)
        return LinkStatus(
            connected=connected,
            detail="connected" if connected else "unreachable: " + "; ".join(problems),
            where=where(self.settings),
            pending=pending,
            unconfirmed=unconfirmed,
        )

    def _publishes(self) -> Publisher | None:
        """The publisher, if this system is a destination (a NATS source need not be one)."""
        p = self._publisher
        if p is None:
            return None
        routed = any(r.destination == self.name for r in self.hub.routes)
        return p if routed or p.started or self._consumer is None else None

    async def _probe(self, timeout: float) -> tuple[int | None, list[str]]:
        # the socket is asked only once a side failed (a healthy broker sees no extra
        # connection); both sides failing share the one look
        probe: list[asyncio.Future[tuple[bool, str]]] = []

        async def tcp() -> tuple[bool, str]:
            if not probe:
                probe.append(asyncio.ensure_future(why_unreachable(self.settings, timeout / 2)))
            return await probe[0]

        async def ask(coro: Coroutine[Any, Any, T]) -> tuple[T | None, str | None]:
            try:
                return await asyncio.wait_for(coro, timeout), None
            except TimeoutError:
                return None, (await tcp())[1]
            except Exception as exc:  # the vendor boundary: any client failure is a reason
                takes, why = await tcp()
                if not takes:  # refused, no route: the socket's words are the plainer
                    return None, why
                return None, f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__

        asks: list[Coroutine[Any, Any, tuple[Any, str | None]]] = []
        publisher = self._publishes()
        if publisher is not None:
            asks.append(ask(publisher.check()))
        if self._consumer is not None:
            asks.append(ask(self._consumer.pending()))
        answers = await asyncio.gather(*asks)
        problems = list(dict.fromkeys(why for _, why in answers if why is not None))
        pending = answers[-1][0] if self._consumer is not None else None
        return pending, problems

    def close(self) -> None:
        for part in (self._publisher, self._consumer):
            if part is not None:
                # closing a dead connection must not fail shutdown
                with contextlib.suppress(Exception):
                    self._loop.run(part.close(), 5)
        self._loop.stop()


__all__ = ["BrokerConnector", "BrokerSettings"]
