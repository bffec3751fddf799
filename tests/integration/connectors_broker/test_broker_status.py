"""Each broker system's link in `crossdock status`, `GET /v1/systems` and the hub.

Against the real JetStream and RabbitMQ: a source's lag is the broker's own
count of waiting messages, falling to 0 once pulled and acked; a destination's
is its unconfirmed publishes. A broker that refuses connections or accepts
them and never speaks answers ``unreachable: <reason>`` instead of holding
the caller (the test would hang, and hit pytest's timeout, if it did not).
"""

from __future__ import annotations

import gc
import json
import socket
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from brokers import (
    AMQP_URL,
    NATS_URL,
    delete_stream,
    nats_publish,
    rabbit_publish,
    reachable,
    run,
    unique,
)
from typer.testing import CliRunner

from crossdock.api import create_api_key, create_app
from crossdock.app import Application
from crossdock.cli import app as cli
from crossdock.config.hub import HubConfig, RouteConfig, SystemConfig
from crossdock.connectors.broker import BrokerConnector
from crossdock.connectors.registry import build_connector
from crossdock.model.base import EntityType
from crossdock.store import Store
from crossdock.sync.runtime import Hub

with warnings.catch_warnings():
    # Starlette warns that it prefers httpx2 over httpx; the client works the same.
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

pytestmark = pytest.mark.integration
MAP = {"entity": "product", "id": ["sku"]}


def _bodies(n: int) -> list[tuple[str, bytes]]:
    return [(unique("m-"), json.dumps({"sku": f"S-{i}"}).encode()) for i in range(n)]


class _Nats:
    def __init__(self) -> None:
        self.stream = unique("T_STAT_")
        self.subject = self.stream.lower() + ".in"
        run(nats_publish(self.stream, self.subject, []))
        self.settings: dict[str, Any] = {
            "url": NATS_URL,
            "consume": {"stream": self.stream, "durable": "hub", "map": MAP},
        }

    def publish(self, n: int) -> None:
        run(nats_publish(self.stream, self.subject, _bodies(n)))

    def close(self) -> None:
        run(delete_stream(self.stream))


class _Rabbit:
    def __init__(self) -> None:
        self.queue = unique("t.stat.")
        run(rabbit_publish(self.queue, []))
        self.settings: dict[str, Any] = {
            "url": AMQP_URL,
            "consume": {"queue": self.queue, "map": MAP},
        }

    def publish(self, n: int) -> None:
        run(rabbit_publish(self.queue, _bodies(n)))

    def close(self) -> None:
        import aio_pika

        async def drop() -> None:
            conn = await aio_pika.connect(AMQP_URL)
            async with conn:
                await (await conn.channel()).queue_delete(self.queue)

        run(drop())


@pytest.fixture(params=["nats", "rabbitmq"])
def bus(request: pytest.FixtureRequest) -> Iterator[Any]:
    reachable(NATS_URL if request.param == "nats" else AMQP_URL)
    b = _Nats() if request.param == "nats" else _Rabbit()
    yield b
    b.close()


def _config(settings: dict[str, Any]) -> HubConfig:
    return HubConfig(
        systems=[
            SystemConfig(name="erp", kind="files"),  # a kind with no link to report: left out
            SystemConfig(name="wms", kind="broker", settings=settings),
        ],
        ownership={EntityType.PRODUCT: {"owner": "wms"}},  # type: ignore[dict-item]
    )


def test_a_sources_lag_is_the_brokers_count_until_pulled_and_acked(
    store_url: str, bus: Any
) -> None:
    bus.publish(7)
    hub = Hub(_config(bus.settings), Store.open(store_url))
    try:
        (before,) = hub.system_links(timeout=10)
        assert (before.system, before.kind) == ("wms", "broker")
        assert (before.link.connected, before.link.detail) == (True, "connected")
        assert (before.link.pending, before.link.unconfirmed) == (7, None)
        assert "@" not in before.link.where  # no credentials in what is shown
        assert hub.pull().units >= 1
        (after,) = hub.system_links(timeout=10)
        assert (after.link.connected, after.link.pending) == (True, 0)
    finally:
        hub.close()


def _refusing_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = int(s.getsockname()[1])
    s.close()  # nothing listens there now
    return port


@pytest.fixture
def silent() -> Iterator[int]:
    """A port whose listener takes connections (the kernel's backlog) and never speaks."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(16)
    yield int(s.getsockname()[1])
    s.close()


def _both_sides(scheme: str, port: int) -> dict[str, Any]:
    if scheme == "nats":
        return {
            "url": f"nats://127.0.0.1:{port}",
            "stream": "T_NEVER",
            "consume": {"stream": "T_NEVER", "durable": "hub", "map": MAP},
        }
    return {
        "url": f"amqp://guest:guest@127.0.0.1:{port}/",
        "exchange": "t.never",
        "consume": {"queue": "t.never", "map": MAP},
    }


# nats-py and aiormq, their connect cancelled mid-handshake by the status timeout,
# may leave closing the half-open socket to the garbage collector (a ResourceWarning;
# the fd is closed all the same): collected inside the test that caused it
_GC_CLOSES = pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")


@pytest.mark.parametrize(
    ("scheme", "case"),
    [
        ("nats", "refused"),
        pytest.param("nats", "silent", marks=_GC_CLOSES),
        ("amqp", "refused"),
        pytest.param("amqp", "silent", marks=_GC_CLOSES),
    ],
)
def test_a_refusing_or_silent_broker_is_unreachable_with_its_reason(
    scheme: str, case: str, silent: int
) -> None:
    port, reason = (_refusing_port(), "refused") if case == "refused" else (silent, "no answer")
    system = SystemConfig(name="bus", kind="broker", settings=_both_sides(scheme, port))
    route = RouteConfig(name="out", entities=[EntityType.PRODUCT], destination="bus")
    c = build_connector(system, HubConfig(systems=[system], routes=[route]))
    assert isinstance(c, BrokerConnector)
    try:
        link = c.link_status(1)
    finally:
        c.close()
        gc.collect()
    assert link.connected is False
    assert link.detail.startswith("unreachable: "), link.detail
    assert reason in link.detail.lower(), link.detail
    assert (link.pending, link.unconfirmed) == (None, 0)
    assert f"127.0.0.1:{port}" in link.where


def test_status_and_the_api_show_each_broker_link(tmp_path: Path) -> None:
    reachable(NATS_URL)
    live = _Nats()
    try:
        live.publish(3)
        doc = {
            "store": {"url": f"sqlite:///{tmp_path}/h.sqlite"},
            "systems": [
                {"name": "wms", "kind": "broker", "settings": live.settings},
                {
                    "name": "down",
                    "kind": "broker",
                    "settings": {"url": f"nats://127.0.0.1:{_refusing_port()}"},
                },
            ],
            "ownership": {"product": {"owner": "wms"}},
        }
        cfg = tmp_path / "crossdock.json"
        cfg.write_text(json.dumps(doc))
        hub = Hub(HubConfig.model_validate(doc), Store.open(doc["store"]["url"]))
        key = create_api_key(hub.store, "reader", ["read"])
        try:
            with TestClient(create_app(Application(hub))) as client:
                assert client.get("/v1/systems").status_code == 401
                r = client.get("/v1/systems", headers={"authorization": f"Bearer {key}"})
                assert r.status_code == 200, r.text
                items = {i["system"]: i for i in r.json()["items"]}
        finally:
            hub.close()
        assert items["wms"]["connected"] is True and items["wms"]["pending"] == 3
        assert items["down"]["connected"] is False
        assert items["down"]["detail"].startswith("unreachable: ")
        assert items["down"]["unconfirmed"] == 0 and items["down"]["pending"] is None

        runner = CliRunner()
        out = runner.invoke(cli, ["status", "--config", str(cfg), "--json"])
        assert out.exit_code == 0, out.output
        systems = {s["system"]: s for s in json.loads(out.stdout)["systems"]}  # logs go to stderr
        assert systems["wms"] == {**items["wms"], "kind": "broker"}
        assert systems["down"]["detail"].startswith("unreachable: ")
        text = runner.invoke(cli, ["status", "--config", str(cfg)])
        assert text.exit_code == 0, text.output
        assert "unreachable:" in text.output and "systems" in text.output
    finally:
        live.close()
