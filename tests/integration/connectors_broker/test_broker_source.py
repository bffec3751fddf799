"""The broker connector as a source, against the real JetStream and RabbitMQ.

The shared source contract (a unit not acked is read again; an acked one is
not applied again), then through the hub's ingest: messages mapped by the
field map, acked only after the commit, a poison message filed once as a
business exception and acked, a redelivered message applied once.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
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

from crossdock.config.hub import HubConfig, SystemConfig
from crossdock.connectors.broker import BrokerConnector
from crossdock.connectors.kit.testing import SourceContract
from crossdock.connectors.registry import build_connector
from crossdock.model.base import EntityType
from crossdock.observability.metrics import render
from crossdock.store import Store
from crossdock.sync.runtime import Hub

pytestmark = pytest.mark.integration
MAP = {"entity": "product", "id": ["sku"], "timestamp": "changed_at"}


def _body(sku: str, **extra: Any) -> bytes:
    return json.dumps({"sku": sku, "description": f"item {sku}", **extra}).encode()


class _Nats:
    def __init__(self) -> None:
        self.stream = unique("T_SRC_")
        self.subject = self.stream.lower() + ".in"
        run(nats_publish(self.stream, self.subject, []))
        self.settings = {
            "url": NATS_URL,
            "consume": {"stream": self.stream, "durable": "hub", "map": MAP, "batch": 50},
        }

    def publish(self, items: list[tuple[str, bytes]]) -> None:
        run(nats_publish(self.stream, self.subject, items))

    def close(self) -> None:
        run(delete_stream(self.stream))


class _Rabbit:
    def __init__(self) -> None:
        self.queue = unique("t.src.")
        run(rabbit_publish(self.queue, []))
        self.settings = {
            "url": AMQP_URL.replace("guest:guest@", "guest@"),
            "password_env": "T_RABBIT_PASSWORD",
            "consume": {"queue": self.queue, "map": MAP, "batch": 50},
        }

    def publish(self, items: list[tuple[str, bytes]]) -> None:
        run(rabbit_publish(self.queue, items))

    def close(self) -> None:
        import aio_pika

        async def drop() -> None:
            conn = await aio_pika.connect(AMQP_URL)
            async with conn:
                await (await conn.channel()).queue_delete(self.queue)

        run(drop())


@pytest.fixture(params=["nats", "rabbitmq"])
def bus(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setenv("T_RABBIT_PASSWORD", "guest")
    reachable(NATS_URL if request.param == "nats" else AMQP_URL)
    b = _Nats() if request.param == "nats" else _Rabbit()
    yield b
    b.close()


def _system(bus: Any) -> SystemConfig:
    return SystemConfig(name="wms", kind="broker", settings=bus.settings)


class _Harness:
    def __init__(self, bus: Any) -> None:
        self.bus = bus
        system = _system(bus)
        connector = build_connector(system, HubConfig(systems=[system]))
        assert isinstance(connector, BrokerConnector)
        self.connector = connector
        source = connector.source()
        assert source is not None
        self.source = source

    def offer(self, names: list[str]) -> list[str]:
        self.bus.publish([(unique("m-"), _body(n)) for n in names])
        return names


class TestBrokerSourceContract(SourceContract):
    @pytest.fixture
    def harness(self, bus: Any) -> Iterator[_Harness]:
        h = _Harness(bus)
        yield h
        h.connector.close()


def _hub(store_url: str, bus: Any) -> Hub:
    cfg = HubConfig(
        systems=[_system(bus)],
        ownership={EntityType.PRODUCT: {"owner": "wms"}},  # type: ignore[dict-item]
    )
    return Hub(cfg, Store.open(store_url))


def test_messages_ingest_once_and_a_poison_message_is_filed_and_acked(
    store_url: str, bus: Any
) -> None:
    bus.publish(
        [
            ("a-1", _body("A", changed_at="2026-01-01T00:00:00Z")),
            ("bad-1", b"{not json"),
            ("a-2", _body("A", description="newer", changed_at="2026-01-01T00:01:00Z")),
            ("b-1", _body("B")),
            ("a-2-again", _body("A", description="newer", changed_at="2026-01-01T00:01:00Z")),
        ]
    )
    hub = _hub(store_url, bus)
    try:
        summary = hub.pull()
        assert summary.units == 1
        records = {r.data["sku"]: r for r in hub.store.records.page(EntityType.PRODUCT)}
        assert set(records) == {"A", "B"}
        assert records["A"].data["description"] == "newer" and records["A"].version == 2
        exceptions = hub.store.exceptions.page()
        assert len(exceptions) == 1 and "not JSON" in exceptions[0].reason
        # everything was acked: nothing comes back, nothing pending
        assert hub.pull().units == 0
        (link,) = hub.system_links(timeout=10)
        assert (link.system, link.link.connected, link.link.pending) == ("wms", True, 0)
        assert 'crossdock_broker_pending_messages{system="wms"} 0.0' in render().decode()
    finally:
        hub.close()


def test_a_unit_whose_ingest_failed_is_not_acked_and_applies_once_later(
    store_url: str, bus: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    bus.publish([(f"m-{i}", _body(f"S-{i}")) for i in range(10)])
    hub = _hub(store_url, bus)
    try:
        real = hub.ingestor.ingest
        calls = {"n": 0}

        def failing(*args: Any, **kwargs: Any) -> Any:
            calls["n"] += 1
            if calls["n"] == 1:
                raise RuntimeError("the store went away mid-ingest")
            return real(*args, **kwargs)

        monkeypatch.setattr(hub.ingestor, "ingest", failing)
        with pytest.raises(RuntimeError):
            hub.pull()
        assert hub.store.records.page(EntityType.PRODUCT) == []
        summary = hub.pull()  # the lot is released and read again
        assert summary.units >= 1
        records = hub.store.records.page(EntityType.PRODUCT)
        assert sorted(r.data["sku"] for r in records) == [f"S-{i}" for i in range(10)]
        assert all(r.version == 1 for r in records)
        assert hub.pull().units == 0
    finally:
        hub.close()


def test_one_stream_carrying_two_entity_types_maps_each_by_its_type_field(
    store_url: str, bus: Any
) -> None:
    consume = {k: v for k, v in bus.settings["consume"].items() if k != "map"}
    bus.settings = {
        **bus.settings,
        "consume": {
            **consume,
            "by": {"field": "kind"},
            "maps": {
                "item": {
                    "entity": "product",
                    "id": ["sku"],
                    "columns": {"sku": "sku", "description": "description"},
                },
                "account": {
                    "entity": "customer",
                    "id": ["account_number"],
                    "columns": {"account_number": "account_number", "name": "name"},
                },
            },
        },
    }
    bus.publish(
        [
            ("i-1", json.dumps({"kind": "item", "sku": "A", "description": "a"}).encode()),
            (
                "c-1",
                json.dumps({"kind": "account", "account_number": "C1", "name": "Acme"}).encode(),
            ),
            ("x-1", json.dumps({"kind": "vendor", "code": "V1"}).encode()),
        ]
    )
    cfg = HubConfig(
        systems=[_system(bus)],
        ownership={
            EntityType.PRODUCT: {"owner": "wms"},  # type: ignore[dict-item]
            EntityType.CUSTOMER: {"owner": "wms"},  # type: ignore[dict-item]
        },
    )
    hub = Hub(cfg, Store.open(store_url))
    try:
        hub.pull()
        (product,) = hub.store.records.page(EntityType.PRODUCT)
        assert product.data["description"] == "a"
        (customer,) = hub.store.records.page(EntityType.CUSTOMER)
        assert customer.data["name"] == "Acme"
        (exc,) = hub.store.exceptions.page()
        assert "'kind' is 'vendor'" in exc.reason and "account, item" in exc.reason
        assert hub.pull().units == 0  # the unknown type was filed and acked, not redelivered
    finally:
        hub.close()
