"""The ``broker`` connector kind: NATS JetStream and RabbitMQ as destinations.

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
from crossdock.connectors.base import Connector, Destination, secret_from_env
from crossdock.connectors.broker.client import LoopThread, publisher
from crossdock.connectors.broker.config import BrokerSettings
from crossdock.connectors.broker.destination import BrokerDestination


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
        self._publisher = publisher(self.settings, password)
        self._loop = LoopThread(f"crossdock-broker-{system.name}")
        self._destination = BrokerDestination(self.settings, self._publisher, self._loop)

    def destination(self) -> Destination | None:
        return self._destination

    def status(self) -> dict[str, object]:
        """Connected, and publishes sent but not yet confirmed (the destination's lag)."""
        return {
            "broker": self.settings.broker,
            "connected": self._publisher.connected,
            "unconfirmed": self._publisher.unconfirmed,
        }

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self._loop.run(self._publisher.close(), 5)
        self._loop.stop()


__all__ = ["BrokerConnector", "BrokerSettings"]
