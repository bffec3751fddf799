"""Fixtures for the webhook unit tests: a secret in the environment, a built connector."""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from crossdock.config.hub import HubConfig, SystemConfig
from crossdock.connectors.registry import build_connector
from crossdock.connectors.webhook import WebhookConnector

SECRET = "whsec_" + base64.b64encode(b"crossdock-unit-test-secret-32by").decode()


@pytest.fixture
def secret(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("PORTAL_WEBHOOK_SECRET", SECRET)
    return SECRET


@pytest.fixture
def build(secret: str) -> Iterator[Callable[..., WebhookConnector]]:
    """Build ``portal`` (kind webhook) through the registry; closed after the test."""
    made: list[WebhookConnector] = []

    def make(**settings: Any) -> WebhookConnector:
        system = SystemConfig(
            name="portal",
            kind="webhook",
            settings={"secret_env": "PORTAL_WEBHOOK_SECRET", **settings},
        )
        connector = build_connector(system, HubConfig(systems=[system]))
        assert isinstance(connector, WebhookConnector)
        made.append(connector)
        return connector

    yield make
    for c in made:
        c.close()
