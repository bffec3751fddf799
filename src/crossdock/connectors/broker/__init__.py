"""The ``broker`` connector kind: NATS JetStream and RabbitMQ as destinations and sources.

Built on nats-py and aio-pika directly (see docs/connectors/broker.md for why
not FastStream). The asyncio clients run on the connector's own loop thread
(:class:`~crossdock.connectors.broker.client.LoopThread`), so the engine stays
synchronous.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Mapping

from pydantic import BaseModel

from crossdock.config.hub import HubConfig, SystemConfig
from crossdock.connectors.base import Connector, Destination, Source, secret_from_env
from crossdock.connectors.broker.client import LoopThread, Publisher, publisher, where
from crossdock.connectors.broker.config import BrokerSettings
from crossdock.connectors.broker.consumer import Consumer, consumer
from crossdock.connectors.broker.destination import BrokerDestination
from crossdock.connectors.broker.source import BrokerSource
from crossdock.errors import RetryableError
from crossdock.observability import metrics


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

    def status(self) -> dict[str, object]:
        """Connected; unconfirmed publishes (destination lag), pending messages (source lag).

        ``pending`` asks the broker (consumer info, queue depth): ``None`` and not
        connected when it cannot be reached. Never raises.
        """
        out: dict[str, object] = {"broker": self.settings.broker}
        if self._publisher is not None:
            out["unconfirmed"] = self._publisher.unconfirmed
            metrics.BROKER_UNCONFIRMED.labels(self.name).set(self._publisher.unconfirmed)
        if self._source is not None:
            try:
                pending: int | None = self._source.pending()
                metrics.BROKER_PENDING.labels(self.name).set(pending or 0)
            except RetryableError:
                pending = None
            out["pending"] = pending
        # a side never used (a source system no route publishes to) has no connection to count
        parts = [p for p in (self._publisher, self._consumer) if p is not None]
        opened = [p for p in parts if p.started]
        connected = bool(opened) and all(p.connected for p in opened)
        out["connected"] = connected
        metrics.BROKER_CONNECTED.labels(self.name).set(int(connected))
        return out

    def close(self) -> None:
        for part in (self._publisher, self._consumer):
            if part is not None:
                # closing a dead connection must not fail shutdown
                with contextlib.suppress(Exception):
                    self._loop.run(part.close(), 5)
        self._loop.stop()


__all__ = ["BrokerConnector", "BrokerSettings"]
