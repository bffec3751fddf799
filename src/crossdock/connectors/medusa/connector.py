"""The ``medusa`` connector kind: a Medusa v2 store's Admin API, as destination and source.

The secret API key is read from the environment variable ``api_key_env``
names when the connector is built (a missing one is a ``config_invalid``
error naming it); nothing talks to Medusa until the first push or pull. The hub
hands its store to :meth:`bind_store` for the source's bookmarks and the
destination's leases.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

import httpx
from pydantic import BaseModel

from crossdock.config.hub import HubConfig, SystemConfig
from crossdock.connectors.base import Connector, Destination, OrderFeed, Source, secret_from_env
from crossdock.connectors.medusa.client import MedusaClient
from crossdock.connectors.medusa.config import MedusaPull, MedusaSettings
from crossdock.connectors.medusa.destination import MedusaDestination
from crossdock.connectors.medusa.source import MedusaSource
from crossdock.store.connector_state import ConnectorState
from crossdock.store.facade import Store


class MedusaConnector(Connector[MedusaSettings]):
    """A Medusa v2 server reached through its Admin API."""

    kind = "medusa"
    Settings = MedusaSettings

    def __init__(
        self,
        system: SystemConfig,
        settings: BaseModel,
        hub: HubConfig,
        *,
        environ: Mapping[str, str] | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        super().__init__(system, settings, hub)
        settings = self.settings
        env = os.environ if environ is None else environ
        key = secret_from_env(
            system.name, "api_key_env", settings.api_key_env, env, "a Medusa secret API key (sk_…)"
        )
        self.client = MedusaClient(
            settings.url,
            key,
            key_env=settings.api_key_env,
            timeout_seconds=settings.timeout_seconds,
            transport=transport,
        )
        self._destination = MedusaDestination(self.client, settings, system.name)
        self.state: ConnectorState | None = None
        self._source = MedusaSource(self.client, settings, system.name, lambda: self.state)

    def bind_store(self, store: Store) -> None:
        self.state = ConnectorState(store, self.system.name)
        self._destination.claims.bind(store)

    def source(self) -> Source | None:
        return self._source if MedusaPull.CUSTOMERS in self.settings.pull else None

    def order_feed(self) -> OrderFeed | None:
        return self._source if MedusaPull.ORDERS in self.settings.pull else None

    @property
    def medusa_source(self) -> MedusaSource:
        """The source with its snapshots (for reconciliation and tests)."""
        return self._source

    def destination(self) -> Destination | None:
        return self._destination

    @property
    def medusa_destination(self) -> MedusaDestination:
        """The destination with its lookups (for tests and reconciliation)."""
        return self._destination

    def close(self) -> None:
        self.client.close()


__all__ = ["MedusaConnector"]
