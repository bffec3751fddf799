"""Alerts: rules measured by the workers, each change of state sent once to a real webhook
receiver on loopback (signed, same id on retries), shown in status and metrics."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from pydantic import BaseModel
from standardwebhooks import Webhook

from crossdock.config.alerts import AlertKind, AlertRule, AlertsConfig
from crossdock.config.hub import HubConfig, RouteConfig, SystemConfig
from crossdock.connectors.base import Connector, Destination
from crossdock.connectors.kit.testing import MemoryDestination
from crossdock.connectors.registry import register
from crossdock.model.base import EntityType
from crossdock.model.change import Change
from crossdock.store import Store, alert_state
from crossdock.sync.alerts import AlertKeeper
from crossdock.sync.runtime import Hub

KIND = "alerts-test"
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
SHOP = MemoryDestination()


class _NoSettings(BaseModel):
    pass


class _Shop(Connector):
    kind = KIND
    Settings = _NoSettings

    def destination(self) -> Destination | None:
        return SHOP


class Pager:
    """A loopback webhook receiver: verifies signatures, records ids; can fail on demand."""

    def __init__(self) -> None:
        self.received: list[tuple[str, dict[str, Any]]] = []
        self.fail_next = 0
        verifier, pager = Webhook(SECRET), self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                return

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                verifier.verify(body, dict(self.headers.items()))
                if pager.fail_next:
                    pager.fail_next -= 1
                    self.send_response(503)
                    self.end_headers()
                    return
                pager.received.append((self.headers["webhook-id"], json.loads(body)))
                self.send_response(204)
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/alerts"


@pytest.fixture
def pager() -> Iterator[Pager]:
    p = Pager()
    yield p
    p.server.shutdown()
    p.server.server_close()


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def hub(store_url: str, pager: Pager, monkeypatch: pytest.MonkeyPatch) -> Iterator[Hub]:
    monkeypatch.setenv("PAGER_SECRET", SECRET)
    register(KIND, _Shop)
    SHOP.held.clear()
    SHOP.applied.clear()
    SHOP.failing = None
    config = HubConfig(
        systems=[
            SystemConfig(name="erp", kind=KIND, settings={}),
            SystemConfig(name="shop", kind=KIND, settings={}),
            SystemConfig(
                name="pager",
                kind="webhook",
                settings={"url": pager.url, "secret_env": "PAGER_SECRET"},
            ),
        ],
        routes=[RouteConfig(name="to-shop", entities=[EntityType.PRODUCT], destination="shop")],
        alerts=AlertsConfig(
            send_to=["pager"],
            rules=[
                AlertRule(name="parked", kind=AlertKind.PARKED, route="to-shop"),
                AlertRule(name="erp-quiet", kind=AlertKind.FRESHNESS, system="erp", over=30),
                AlertRule(name="exceptions", kind=AlertKind.EXCEPTIONS, over=1),
            ],
        ),
    )
    h = Hub(config, Store.open(store_url))
    yield h
    h.close()


def _put(hub: Hub, native: str, data: dict[str, Any]) -> None:
    hub.ingestor.ingest([Change("erp", EntityType.PRODUCT, native, data)])


def test_each_change_of_state_is_sent_once(hub: Hub, pager: Pager) -> None:
    clock = Clock()
    keeper = AlertKeeper(hub, clock)
    _put(hub, "P1", {"sku": "P1"})
    keeper.run_once()
    assert pager.received == []  # nothing fires: fresh, nothing parked, no exceptions

    SHOP.failing = "permanent"
    hub.deliver()
    SHOP.failing = None
    keeper.run_once()
    keeper.run_once()  # still firing: not sent again
    assert [(d["alert"], d["state"]) for _, d in pager.received] == [("parked", "firing")]
    assert "1 deliveries parked" in pager.received[0][1]["message"]

    hub.worker("to-shop").skip_parked(
        hub.store.crosswalk.resolve("erp", EntityType.PRODUCT, "P1") or "", actor="t"
    )
    keeper.run_once()
    assert [(d["alert"], d["state"]) for _, d in pager.received][-1] == ("parked", "resolved")
    ids = [i for i, _ in pager.received]
    assert len(ids) == len(set(ids)) == 2


def test_a_notice_that_failed_goes_again_with_the_same_id(hub: Hub, pager: Pager) -> None:
    clock = Clock()
    keeper = AlertKeeper(hub, clock)
    _put(hub, "P1", {"sku": "P1"})
    clock.now += timedelta(minutes=31)  # the ERP has been quiet for longer than 30 minutes
    pager.fail_next = 1
    states = {s.name: s for s in keeper.run_once()}
    assert states["erp-quiet"].firing and pager.received == []
    assert alert_state.states(hub.store)["erp-quiet"].pending_notice == "firing"
    keeper.run_once()
    assert [(d["alert"], d["state"]) for _, d in pager.received] == [("erp-quiet", "firing")]
    assert pager.received[0][0] == states["erp-quiet"].notice_id
    assert alert_state.states(hub.store)["erp-quiet"].pending_notice is None


def test_two_workers_send_one_notice(hub: Hub, pager: Pager) -> None:
    _put(hub, "P0", {"sku": "P0"})  # the ERP is heard from
    for n in range(3):
        hub.ingestor.ingest([Change("erp", EntityType.PRODUCT, f"BAD{n}", {"description": "x"})])
    a, b = AlertKeeper(hub), AlertKeeper(hub)
    a.run_once()
    b.run_once()
    assert [(d["alert"], d["state"]) for _, d in pager.received] == [("exceptions", "firing")]
    assert "3 open exceptions" in pager.received[0][1]["message"]


def test_firing_alerts_show_in_metrics(hub: Hub) -> None:
    import warnings

    from crossdock.api import create_api_key, create_app
    from crossdock.app import Application

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient

    _put(hub, "P0", {"sku": "P0"})
    for n in range(2):
        hub.ingestor.ingest([Change("erp", EntityType.PRODUCT, f"BAD{n}", {"description": "x"})])
    AlertKeeper(hub).run_once()
    key = create_api_key(hub.store, "prom", ["read"])
    with TestClient(create_app(Application(hub))) as client:
        text = client.get("/v1/metrics", headers={"Authorization": f"Bearer {key}"}).text
    assert 'crossdock_alert_firing{alert="exceptions"} 1.0' in text
    assert 'crossdock_alert_firing{alert="parked"} 0.0' in text
