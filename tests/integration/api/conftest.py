"""API integration fixtures: a hub on a SQLite file with a test connector that receives
signed webhooks and delivers (or refuses) pushes, keys of each scope, and a client."""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

import pytest
from pydantic import BaseModel
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from crossdock.app import Application
from crossdock.config.hub import (
    EntityOwnership,
    HubConfig,
    NonOwnerPolicy,
    RouteConfig,
    SystemConfig,
)
from crossdock.connectors.base import (
    Connector,
    Delivery,
    DeliveryResult,
    DeliveryStatus,
    Destination,
    SourceItem,
    WebhookReceiver,
)
from crossdock.connectors.registry import register
from crossdock.errors import BadSignature, ErrorCode, InvalidInput
from crossdock.model.base import EntityType
from crossdock.model.change import Change
from crossdock.store import Store
from crossdock.sync.runtime import Hub

with warnings.catch_warnings():
    # Starlette warns that it prefers httpx2 over httpx; the client works the same.
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from crossdock.api import create_api_key, create_app

KIND = "apitest-integration"
SECRET = "whsec_" + "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0"


class _Settings(BaseModel):
    webhook_secret: str | None = None
    destination: bool = False


class RecordingDestination:
    """Delivers everything except SKUs listed in ``refuse`` (a permanent failure)."""

    refuse: ClassVar[set[str]] = set()  # cleared by the hub fixture

    def push(self, batch: Sequence[Delivery]) -> list[DeliveryResult]:
        out = []
        for d in batch:
            if d.data.get("sku") in self.refuse:
                out.append(
                    DeliveryResult(
                        d.delivery_id,
                        DeliveryStatus.FAILED,
                        error="refused by the test",
                        code=ErrorCode.REJECTED_BY_DESTINATION,
                    )
                )
            else:
                out.append(DeliveryResult(d.delivery_id, DeliveryStatus.DELIVERED))
        return out


class SignedReceiver:
    """Standard Webhooks verification, then ``{"changes": [{entity_type, native_id, data}]}``."""

    def __init__(self, system: str, secret: str) -> None:
        self.system = system
        self.hook = Webhook(secret)

    def receive(self, headers: Mapping[str, str], body: bytes) -> list[SourceItem]:
        try:
            doc = self.hook.verify(body, dict(headers))
        except (WebhookVerificationError, ValueError) as exc:
            raise BadSignature(f"bad webhook signature: {exc}") from exc
        if not isinstance(doc, dict) or not isinstance(doc.get("changes"), list):
            raise InvalidInput("body must be {'changes': [...]}", field="changes")
        return [
            Change(
                system=self.system,
                entity_type=EntityType(c["entity_type"]),
                native_id=str(c["native_id"]),
                data=c.get("data", {}),
                idempotency_key=headers.get("webhook-id"),
            )
            for c in doc["changes"]
        ]


class ApiTestConnector(Connector):
    kind = KIND
    Settings = _Settings

    def webhook_receiver(self) -> WebhookReceiver | None:
        secret = self.settings.webhook_secret  # type: ignore[attr-defined]
        return SignedReceiver(self.name, secret) if secret else None

    def destination(self) -> Destination | None:
        return RecordingDestination() if self.settings.destination else None  # type: ignore[attr-defined]


def signed(payload: Any, msg_id: str = "msg_1") -> tuple[bytes, dict[str, str]]:
    """A webhook body and its Standard Webhooks headers."""
    body = json.dumps(payload)
    now = datetime.now(UTC)
    sig = Webhook(SECRET).sign(msg_id, now, body)
    headers = {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": sig,
        "content-type": "application/json",
    }
    return body.encode(), headers


@dataclass(frozen=True)
class Keys:
    read: str
    write: str
    """The ERP's system key."""
    admin: str
    wms: str = ""
    """The WMS's system key."""
    operate: str = ""
    """A person's key with the operator role (exceptions, parked, replays)."""


def hub_config() -> HubConfig:
    return HubConfig(
        systems=[
            SystemConfig(name="erp", kind=KIND, settings={"webhook_secret": SECRET}),
            SystemConfig(name="wms", kind=KIND, settings={"destination": True}),
        ],
        ownership={
            EntityType.PRODUCT: EntityOwnership(owner="erp", non_owner=NonOwnerPolicy.PROPOSE)
        },
        routes=[RouteConfig(name="to-wms", entities=[EntityType.PRODUCT], destination="wms")],
    )


def open_hub(path: Path) -> Hub:
    register(KIND, ApiTestConnector)
    return Hub(hub_config(), Store.open(f"sqlite:///{path / 'hub.sqlite'}"))


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[Hub]:
    h = open_hub(tmp_path)
    RecordingDestination.refuse.clear()
    yield h
    h.close()


@pytest.fixture
def keys(hub: Hub) -> Keys:
    return Keys(
        read=create_api_key(hub.store, "reader", ["read"]),
        write=create_api_key(hub.store, "erp", system="erp"),
        admin=create_api_key(hub.store, "boss", ["admin"]),
        wms=create_api_key(hub.store, "wms", system="wms"),
        operate=create_api_key(hub.store, "ops", role="operator"),
    )


@pytest.fixture
def client(hub: Hub) -> Iterator[TestClient]:
    with TestClient(create_app(Application(hub))) as c:
        yield c


@pytest.fixture(scope="session")
def sign() -> Any:
    """:func:`signed`, for test modules (which cannot import this conftest by name)."""
    return signed


@pytest.fixture(scope="session")
def hub_opener() -> Any:
    """:func:`open_hub`, for module-scoped fixtures."""
    return open_hub


@pytest.fixture
def refuse() -> set[str]:
    """SKUs the test destination refuses, changeable during a test."""
    return RecordingDestination.refuse
