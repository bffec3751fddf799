"""A hub route publishing to JetStream through the real delivery engine, and its faults.

Changes go in through ingest, delivery runs as in production (cursor, batches,
retry, circuit, parking), and the stream is read back with the raw client:
every version of every entity exactly once, each entity's versions in order,
nothing parked; with the broker's connection dropped mid-way, or the broker
unreachable for a while (a TCP relay in front of the real NATS), delivery
resumes and still nothing is lost or doubled.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import pytest
from brokers import (
    AMQP_URL,
    NATS_URL,
    bind_queue,
    delete_stream,
    drop_rabbit,
    queue_messages,
    reachable,
    run,
    stream_messages,
    unique,
)
from tcp_proxy import Proxy

from crossdock.config.hub import CircuitPolicy, HubConfig, RetryPolicy, RouteConfig, SystemConfig
from crossdock.model.base import EntityType
from crossdock.model.change import Change
from crossdock.observability.metrics import render
from crossdock.store import Store
from crossdock.sync.runtime import Hub

pytestmark = pytest.mark.integration
ROUTE = "to-bus"


def _hub(store_url: str, url: str, stream: str) -> Hub:
    cfg = HubConfig(
        systems=[
            SystemConfig(name="erp", kind="files"),
            SystemConfig(
                name="bus",
                kind="broker",
                settings={
                    "url": url,
                    "stream": stream,
                    "subject": stream.lower() + ".{entity_type}.{sku}",
                    "timeout_seconds": 5,  # a loaded CI machine: a slow connect is not an outage
                },
                circuit=CircuitPolicy(failures=3, open_seconds=0.3),
            ),
        ],
        routes=[
            RouteConfig(
                name=ROUTE,
                entities=[EntityType.PRODUCT],
                destination="bus",
                fields=["sku", "description"],
                batch_size=25,
                every_version=True,
                retry=RetryPolicy(attempts=100, base_seconds=0.01, cap_seconds=0.5),
            )
        ],
    )
    return Hub(cfg, Store.open(store_url))


def _ingest(hub: Hub, rounds: int, n: int = 40, first: int = 0) -> None:
    for r in range(first, first + rounds):
        hub.ingest(
            [
                Change(
                    system="erp",
                    entity_type=EntityType.PRODUCT,
                    native_id=str(i),
                    data={"sku": f"S-{i}", "description": f"item {i} round {r}"},
                )
                for i in range(n)
            ]
        )


def _catch_up(hub: Hub, seconds: float = 60, fault: object = None) -> None:
    deadline = time.monotonic() + seconds
    while hub.store.cursors.get(ROUTE).position < hub.store.outbox.last_seq():
        assert time.monotonic() < deadline, hub.route_status()
        hub.deliver()
        time.sleep(0.02)


def _assert_exactly_once_in_order(hub: Hub, stream: str, rounds: int, n: int = 40) -> None:
    assert hub.store.parked.page(ROUTE) == []
    events = [json.loads(m.data) for m in run(stream_messages(stream))]
    ids = [e["id"] for e in events]
    assert len(ids) == len(set(ids)), "the stream holds a delivery twice"
    per_entity: dict[str, list[int]] = {}
    for e in events:
        per_entity.setdefault(e["subject"], []).append(e["entityversion"])
    assert len(per_entity) == n
    for versions in per_entity.values():
        assert versions == list(range(1, rounds + 1)), "an entity's versions out of order or lost"
    stored = {r.id: r.data["description"] for r in hub.store.records.page(EntityType.PRODUCT)}
    last = {e["subject"]: e["data"]["description"] for e in events}
    assert last == stored


@pytest.fixture
def stream() -> Iterator[str]:
    reachable(NATS_URL)
    name = unique("T_ROUTE_")
    yield name
    run(delete_stream(name))


def test_every_version_reaches_the_stream_once_and_in_order(store_url: str, stream: str) -> None:
    hub = _hub(store_url, NATS_URL, stream)
    try:
        _ingest(hub, 3)
        _catch_up(hub)
        _assert_exactly_once_in_order(hub, stream, 3)
        (link,) = hub.system_links(timeout=10)
        assert (link.system, link.link.connected, link.link.unconfirmed) == ("bus", True, 0)
        scrape = render().decode()
        assert 'crossdock_broker_connected{system="bus"} 1.0' in scrape
        assert 'crossdock_broker_unconfirmed_publishes{system="bus"} 0.0' in scrape
    finally:
        hub.close()


def test_a_dropped_connection_and_an_outage_lose_nothing(store_url: str, stream: str) -> None:
    proxy = Proxy(("127.0.0.1", 4222))
    hub = _hub(store_url, f"nats://127.0.0.1:{proxy.port}", stream)
    try:
        _ingest(hub, 1)
        hub.deliver()
        proxy.drop()  # the client's socket dies under it
        _ingest(hub, 1, first=1)
        hub.deliver()
        proxy.stop()  # the broker unreachable for a while: retries, the circuit opens
        _ingest(hub, 1, first=2)
        report = hub.deliver()[ROUTE]
        assert report.delivered == 0, report
        assert hub.store.parked.page(ROUTE) == []
        proxy.start()
        _catch_up(hub)
        _assert_exactly_once_in_order(hub, stream, 3)
    finally:
        hub.close()
        proxy.close()


def test_rabbitmq_a_dropped_connection_and_an_outage_lose_nothing(store_url: str) -> None:
    reachable(AMQP_URL)
    exchange, queue = unique("t.route."), unique("t.route.q.")
    run(bind_queue(exchange, queue))
    proxy = Proxy(("127.0.0.1", 5672))
    cfg = HubConfig(
        systems=[
            SystemConfig(name="erp", kind="files"),
            SystemConfig(
                name="bus",
                kind="broker",
                settings={
                    "url": f"amqp://guest:guest@127.0.0.1:{proxy.port}/",
                    "exchange": exchange,
                    "subject": "crossdock.{entity_type}.{sku}",
                    "timeout_seconds": 5,  # a loaded CI machine: a slow connect is not an outage
                },
                circuit=CircuitPolicy(failures=3, open_seconds=0.3),
            ),
        ],
        routes=[
            RouteConfig(
                name=ROUTE,
                entities=[EntityType.PRODUCT],
                destination="bus",
                batch_size=25,
                every_version=True,
                retry=RetryPolicy(attempts=100, base_seconds=0.01, cap_seconds=0.5),
            )
        ],
    )
    hub = Hub(cfg, Store.open(store_url))
    try:
        _ingest(hub, 1)
        hub.deliver()
        proxy.drop()
        _ingest(hub, 1, first=1)
        hub.deliver()
        proxy.stop()
        _ingest(hub, 1, first=2)
        assert hub.deliver()[ROUTE].delivered == 0
        proxy.start()
        _catch_up(hub)
        assert hub.store.parked.page(ROUTE) == []
        # RabbitMQ keeps repeats; a subscriber drops them by message_id
        seen: set[str] = set()
        per_entity: dict[str, list[int]] = {}
        for m in run(queue_messages(queue)):
            if m.message_id in seen:
                continue
            seen.add(m.message_id)
            event = json.loads(m.body)
            per_entity.setdefault(event["subject"], []).append(event["entityversion"])
        assert len(per_entity) == 40
        assert all(v == [1, 2, 3] for v in per_entity.values()), per_entity
    finally:
        hub.close()
        proxy.close()
        run(drop_rabbit(exchange, queue))
