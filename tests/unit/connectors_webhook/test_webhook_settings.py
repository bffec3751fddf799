"""Webhook settings: shape, defaults, and what is checked when the connector is built."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

import crossdock.connectors.webhook as webhook_pkg
from crossdock.config.hub import HubConfig, SystemConfig
from crossdock.connectors.registry import build_connector, connector_class
from crossdock.connectors.webhook import WebhookConnector, WebhookSettings
from crossdock.connectors.webhook.connector import WebhookConnector as Impl
from crossdock.errors import ErrorCode, InvalidInput

BuildConnector = Callable[..., WebhookConnector]


def _build(**settings: Any) -> WebhookConnector:
    system = SystemConfig(name="portal", kind="webhook", settings=settings)
    connector = build_connector(system, HubConfig(systems=[system]))
    assert isinstance(connector, WebhookConnector)
    return connector


def test_public_face() -> None:
    assert sorted(webhook_pkg.__all__) == ["WebhookConnector", "WebhookSettings", "sign_request"]
    assert connector_class("webhook") is Impl
    assert WebhookConnector.Settings is WebhookSettings


def test_defaults() -> None:
    s = WebhookSettings.model_validate({"secret_env": "X"})
    assert s.inbound is True
    assert s.url is None
    assert s.tolerance_seconds == 300
    assert s.timeout_seconds == 10
    assert s.batch is True
    assert s.headers == {}


def test_inbound_only_and_outbound_only(build: BuildConnector) -> None:
    inbound = build()
    assert inbound.webhook_receiver() is not None
    assert inbound.destination() is None
    assert inbound.source() is None
    outbound = build(url="https://portal.example.com/hooks", inbound=False)
    assert outbound.webhook_receiver() is None
    assert outbound.destination() is not None


def test_missing_secret_variable_names_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_SUCH_SECRET", raising=False)
    with pytest.raises(InvalidInput) as info:
        _build(secret_env="NO_SUCH_SECRET")
    assert info.value.code is ErrorCode.CONFIG_INVALID
    assert info.value.field == "settings.secret_env"
    assert "NO_SUCH_SECRET" in str(info.value)


def test_undecodable_secret_is_a_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BAD_SECRET", "whsec_%%%")
    with pytest.raises(InvalidInput) as info:
        _build(secret_env="BAD_SECRET")
    assert info.value.code is ErrorCode.CONFIG_INVALID
    assert "%%%" not in str(info.value)


@pytest.mark.parametrize(
    ("settings", "field"),
    [
        ({}, "settings.secret_env"),
        ({"url": "https://x.example"}, "settings.secret_env"),
        ({"secret_env": "S", "inbound": False}, "settings.secret_env"),
        ({"secret_env": "S", "url": "ftp://x.example"}, "settings.url"),
        ({"secret_env": "S", "tolerance_seconds": 0}, "settings.tolerance_seconds"),
        ({"secret_env": "S", "headers": {"Webhook-Signature": "x"}}, "settings.headers"),
        ({"secret_env": "S", "sekret": "x"}, "settings.sekret"),
    ],
)
def test_invalid_settings(
    monkeypatch: pytest.MonkeyPatch, settings: dict[str, Any], field: str
) -> None:
    monkeypatch.setenv("S", "whsec_" + "A" * 32)
    with pytest.raises(InvalidInput) as info:
        _build(**settings)
    assert info.value.code is ErrorCode.CONFIG_INVALID
    assert info.value.field == field


def test_missing_header_variable_names_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("S", "whsec_" + "A" * 32)
    monkeypatch.delenv("PORTAL_TOKEN", raising=False)
    with pytest.raises(InvalidInput) as info:
        _build(
            secret_env="S",
            url="https://portal.example.com/hooks",
            headers={"Authorization": "Bearer ${PORTAL_TOKEN}"},
        )
    assert info.value.code is ErrorCode.CONFIG_INVALID
    assert info.value.field == "settings.headers.Authorization"
    assert "PORTAL_TOKEN" in str(info.value)
