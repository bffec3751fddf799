"""The ``tryton`` connector kind: a Tryton ERP over JSON-RPC, as source and destination.

The password is read from the environment variable ``password_env`` names
when the connector is built (a missing one is a ``config_invalid`` error
naming it); nothing talks to Tryton until the first pull or push. The hub
hands its store to :meth:`bind_store` for the source's bookmarks.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

import httpx
from pydantic import BaseModel

from crossdock.config.hub import HubConfig, SystemConfig
from crossdock.connectors.base import (
    Connector,
    Destination,
    ErpOrders,
    Source,
    secret_from_env,
)
from crossdock.connectors.tryton.client import TrytonClient
from crossdock.connectors.tryton.config import TrytonSettings
from crossdock.connectors.tryton.destination import TrytonDestination
from crossdock.connectors.tryton.source import TrytonSource
from crossdock.store.connector_state import ConnectorState
from crossdock.store.facade import Store


class TrytonConnector(Connector[TrytonSettings]):
    """A Tryton database reached through its JSON-RPC API."""

    kind = "tryton"
    Settings = TrytonSettings

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
        password = secret_from_env(
            system.name, "password_env", settings.password_env, env, "the Tryton user's password"
        )
        self.client = TrytonClient(
            settings.url,
            settings.database,
            settings.user,
            password,
            timeout_seconds=settings.timeout_seconds,
            read_batch=settings.read_batch,
            transport=transport,
        )
        self.state: ConnectorState | None = None
        self._source = TrytonSource(self.client, settings, system.name, lambda: self.state)
        self._destination = TrytonDestination(self.client, settings, system.name, hub)

    def bind_store(self, store: Store) -> None:
        self.state = ConnectorState(store, self.system.name)

    def source(self) -> Source | None:
        return self._source if self.settings.pull else None

    def destination(self) -> Destination | None:
        return self._destination

    def erp_orders(self) -> ErpOrders | None:
        return self._destination

    @property
    def tryton_source(self) -> TrytonSource:
        """The source with its :meth:`~TrytonSource.snapshot` (for reconciliation)."""
        return self._source

    def close(self) -> None:
        self.client.close()


__all__ = ["TrytonConnector"]
