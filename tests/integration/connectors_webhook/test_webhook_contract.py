"""The webhook connector keeps the destination contract, against a receiver on loopback.

The receiver verifies each request's signature with the standardwebhooks library
(as a real receiver would), applies each delivery id once, and can be told to
answer 503 (unavailable) or 422 (refusing the records).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from crossdock.config.hub import HubConfig, SystemConfig
from crossdock.connectors.kit.testing import DestinationContract
from crossdock.connectors.registry import build_connector
from crossdock.connectors.webhook import WebhookConnector
from crossdock.model.base import EntityType
from loopback import LoopbackReceiver

pytestmark = pytest.mark.integration
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


class _Receiver(LoopbackReceiver):
    """The loopback receiver, applying each delivery id once (a retry sends the same id)."""

    def __init__(self) -> None:
        super().__init__(SECRET)
        self.status = 200

    @property
    def held(self) -> dict[str, Any]:
        applied: set[str] = set()
        held: dict[str, Any] = {}
        for d in list(self.received):
            if d["id"] not in applied:
                applied.add(d["id"])
                held[d["entity_id"]] = d["data"]
        return held


class _Harness:
    entity_type = EntityType.PRODUCT

    def __init__(self, receiver: _Receiver, batch: bool) -> None:
        self.receiver = receiver
        system = SystemConfig(
            name="portal",
            kind="webhook",
            settings={"url": receiver.url, "secret_env": "PORTAL_S", "batch": batch},
        )
        connector = build_connector(system, HubConfig(systems=[system]))
        assert isinstance(connector, WebhookConnector)
        self.connector = connector
        self.destination = connector.destination()

    def data(self, n: int) -> dict[str, Any]:
        return {"sku": f"S-{n}"}

    def held(self) -> dict[str, Any]:
        return dict(self.receiver.held)

    def break_(self, how: str) -> bool:
        self.receiver.status = 503 if how == "retryable" else 422
        return True


@pytest.fixture
def receiver(monkeypatch: pytest.MonkeyPatch) -> Iterator[_Receiver]:
    monkeypatch.setenv("PORTAL_S", SECRET)
    r = _Receiver()
    yield r
    r.close()


class TestWebhookDestinationBatched(DestinationContract):
    @pytest.fixture
    def harness(self, receiver: _Receiver) -> Iterator[_Harness]:
        h = _Harness(receiver, batch=True)
        yield h
        h.connector.close()


class TestWebhookDestinationOnePerDelivery(DestinationContract):
    @pytest.fixture
    def harness(self, receiver: _Receiver) -> Iterator[_Harness]:
        h = _Harness(receiver, batch=False)
        yield h
        h.connector.close()
