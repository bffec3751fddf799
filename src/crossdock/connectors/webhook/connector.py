"""The ``webhook`` connector kind: Standard Webhooks in (a source) and out (a destination).

Everything that can be wrong with the configuration is found when the
connector is built: the secret's environment variable is read and decoded,
``${ENV_NAME}`` references in static headers are resolved, and a missing
variable raises ``InvalidInput`` (``CONFIG_INVALID``) naming it. The one
``httpx.Client`` (keep-alive) lives as long as the connector; ``close()``
releases it.
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
    Notifier,
    WebhookReceiver,
    secret_from_env,
)
from crossdock.connectors.webhook.client import WebhookClient
from crossdock.connectors.webhook.config import WebhookSettings, resolve_headers
from crossdock.connectors.webhook.destination import WebhookDestination
from crossdock.connectors.webhook.errors import config_invalid
from crossdock.connectors.webhook.signing import Signer
from crossdock.connectors.webhook.source import WebhookSource


def _signer(system: str, var: str, environ: Mapping[str, str]) -> Signer:
    secret = secret_from_env(
        system, "secret_env", var, environ, "the system's Standard Webhooks secret (whsec_...)"
    )
    try:
        return Signer(secret)
    except ValueError as exc:
        raise config_invalid(system, "secret_env", f"environment variable {var}: {exc}") from None


class WebhookConnector(Connector[WebhookSettings]):
    """A system reached through signed webhooks."""

    kind = "webhook"
    Settings = WebhookSettings

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
        if settings.secret_env is None:  # the settings model refuses this; keep mypy honest
            raise config_invalid(system.name, "secret_env", "required")
        self._signer = _signer(system.name, settings.secret_env, env)
        self._receiver: WebhookSource | None = None
        if settings.inbound:
            self._receiver = WebhookSource(
                system.name, self._signer, tolerance_seconds=settings.tolerance_seconds
            )
        self._client: WebhookClient | None = None
        self._destination: WebhookDestination | None = None
        if settings.url is not None:
            headers = resolve_headers(system.name, settings.headers, env)
            self._client = WebhookClient(
                settings.url,
                timeout_seconds=settings.timeout_seconds,
                headers=headers,
                transport=transport,
            )
            self._destination = WebhookDestination(self._client, self._signer, batch=settings.batch)

    def webhook_receiver(self) -> WebhookReceiver | None:
        return self._receiver

    def destination(self) -> Destination | None:
        return self._destination

    def notifier(self) -> Notifier | None:
        return self._destination

    def close(self) -> None:
        if self._client is not None:
            self._client.close()


__all__ = ["WebhookConnector"]
