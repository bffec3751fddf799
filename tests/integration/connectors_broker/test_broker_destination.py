"""The broker connector as a destination, against the real NATS JetStream and RabbitMQ.

The shared destination contract runs against both, plus what a bus adds:
CloudEvents structured and binary modes, templated subjects/routing keys, the
delivery id as the de-duplication id, and an unreachable broker as a retry.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

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

from crossdock.config.hub import HubConfig, SystemConfig
from crossdock.connectors.base import Delivery, DeliveryStatus
from crossdock.connectors.broker import BrokerConnector
from crossdock.connectors.kit.testing import DestinationContract
from crossdock.connectors.registry import build_connector
from crossdock.errors import RetryableError
from crossdock.model.base import EntityType
from crossdock.model.change import ChangeOp

pytestmark = pytest.mark.integration


def _connector(settings: dict[str, Any]) -> BrokerConnector:
    system = SystemConfig(name="bus", kind="broker", settings=settings)
    connector = build_connector(system, HubConfig(systems=[system]))
    assert isinstance(connector, BrokerConnector)
    return connector


class _NatsHarness:
    entity_type = EntityType.PRODUCT

    def __init__(self) -> None:
        self.stream = unique("T_DEST_")
        self.prefix = unique("t").lower()
        self.connector = _connector(
            {
                "url": NATS_URL,
                "stream": self.stream,
                "subject": self.prefix + ".{entity_type}.{sku}",
            }
        )
        self.destination = self.connector.destination()
        self.extra: list[BrokerConnector] = []

    def data(self, n: int) -> dict[str, Any]:
        return {"sku": f"S-{n}", "name": f"Item {n}"}

    def held(self) -> dict[str, Any]:
        # The stream itself drops repeats by Nats-Msg-Id: nothing to de-duplicate here.
        out: dict[str, Any] = {}
        for m in run(stream_messages(self.stream)):
            event = json.loads(m.data)
            assert event["subject"] not in out, "a repeat reached the stream"
            out[event["subject"]] = event["data"]
        return out

    def break_(self, how: str) -> bool:
        if how == "retryable":
            broken = _connector({"url": "nats://127.0.0.1:1", "timeout_seconds": 1})
        else:  # a subject no stream takes
            broken = _connector({"url": NATS_URL, "subject": unique("nostream") + ".{sku}"})
        self.extra.append(broken)
        self.destination = broken.destination()
        return True

    def close(self) -> None:
        for c in [self.connector, *self.extra]:
            c.close()
        run(delete_stream(self.stream))


class _RabbitHarness:
    entity_type = EntityType.PRODUCT

    def __init__(self) -> None:
        self.exchange = unique("t.dest.")
        self.queue = unique("t.dest.q.")
        run(bind_queue(self.exchange, self.queue))
        self.connector = _connector(
            {"url": AMQP_URL, "exchange": self.exchange, "subject": "crossdock.product.{sku}"}
        )
        self.destination = self.connector.destination()
        self.extra: list[BrokerConnector] = []

    def data(self, n: int) -> dict[str, Any]:
        return {"sku": f"S-{n}", "name": f"Item {n}"}

    def held(self) -> dict[str, Any]:
        # RabbitMQ keeps repeats: the receiver drops them by message_id, as documented.
        seen: set[str] = set()
        out: dict[str, Any] = {}
        for m in run(queue_messages(self.queue)):
            if m.message_id in seen:
                continue
            seen.add(m.message_id)
            event = json.loads(m.body)
            assert event["id"] == m.message_id
            out[event["subject"]] = event["data"]
        return out

    def break_(self, how: str) -> bool:
        if how == "retryable":
            broken = _connector(
                {"url": "amqp://guest:guest@127.0.0.1:1/", "exchange": "x", "timeout_seconds": 1}
            )
        else:  # a routing key no queue is bound for (mandatory publish comes back)
            exchange = unique("t.unbound.")
            broken = _connector({"url": AMQP_URL, "exchange": exchange, "subject": "k.{sku}"})
        self.extra.append(broken)
        self.destination = broken.destination()
        return True

    def close(self) -> None:
        for c in [self.connector, *self.extra]:
            c.close()
        run(drop_rabbit(self.exchange, self.queue))


class TestNatsDestinationContract(DestinationContract):
    @pytest.fixture
    def harness(self) -> Iterator[_NatsHarness]:
        reachable(NATS_URL)
        h = _NatsHarness()
        yield h
        h.close()


class TestRabbitDestinationContract(DestinationContract):
    @pytest.fixture
    def harness(self) -> Iterator[_RabbitHarness]:
        reachable(AMQP_URL)
        h = _RabbitHarness()
        yield h
        h.close()


def _delivery(n: int, version: int = 1, route: str = "to_bus") -> Delivery:
    return Delivery(
        delivery_id=f"{route}:product:p{n}:v{version}",
        route=route,
        entity_type=EntityType.PRODUCT,
        entity_id=f"p{n}",
        version=version,
        op=ChangeOp.UPSERT,
        data={"sku": f"A.{n} x", "price": "12.50"},
        native_id=None,
        event_time=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
        source_system="erp",
        traceparent="00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
    )


@pytest.fixture
def nats_stream() -> Iterator[str]:
    reachable(NATS_URL)
    stream = unique("T_CE_")
    yield stream
    run(delete_stream(stream))


def test_nats_structured_and_binary_cloudevents_per_route(nats_stream: str) -> None:
    c = _connector(
        {
            "url": NATS_URL,
            "stream": nats_stream,
            "subject": nats_stream.lower() + ".{entity_type}.{sku}",
            "route_content_modes": {"binary_route": "binary"},
        }
    )
    try:
        dest = c.destination()
        assert dest is not None
        results = dest.push([_delivery(1), _delivery(2, route="binary_route")])
        assert [r.status for r in results] == [DeliveryStatus.DELIVERED] * 2
    finally:
        c.close()
    structured, binary = run(stream_messages(nats_stream))
    # the SKU's dot and space cannot split the subject
    assert structured.subject == f"{nats_stream.lower()}.product.A_1_x"
    event = json.loads(structured.data)
    assert event["specversion"] == "1.0"
    assert event["id"] == "to_bus:product:p1:v1" == structured.headers["Nats-Msg-Id"]
    assert event["type"] == "dev.crossdock.product.upserted"
    assert event["source"] == "crossdock://erp"
    assert event["time"] == "2026-01-02T03:04:05Z"
    assert event["data"] == {"sku": "A.1 x", "price": "12.50"}
    assert event["entityversion"] == 1
    assert event["traceparent"].startswith("00-0af7")
    assert json.loads(binary.data) == {"sku": "A.2 x", "price": "12.50"}
    assert binary.headers["ce-id"] == "binary_route:product:p2:v1"
    assert binary.headers["ce-specversion"] == "1.0"
    assert binary.headers["ce-type"] == "dev.crossdock.product.upserted"
    assert binary.headers["content-type"] == "application/json"


def test_nats_a_repeated_delivery_is_stored_once_and_versions_keep_their_order(
    nats_stream: str,
) -> None:
    c = _connector(
        {"url": NATS_URL, "stream": nats_stream, "subject": nats_stream.lower() + ".{entity_id}"}
    )
    try:
        dest = c.destination()
        assert dest is not None
        for v in range(1, 6):
            dest.push([_delivery(1, v), _delivery(2, v)])
            dest.push([_delivery(1, v)])  # a retry after a lost confirm
        link = c.link_status(10)
        assert (link.connected, link.detail, link.unconfirmed, link.pending) == (
            True,
            "connected",
            0,
            None,
        )
    finally:
        c.close()
    ids = [m.headers["Nats-Msg-Id"] for m in run(stream_messages(nats_stream))]
    assert len(ids) == len(set(ids)) == 10
    for entity in ("p1", "p2"):
        versions = [int(i.rsplit(":v", 1)[1]) for i in ids if f":{entity}:" in i]
        assert versions == [1, 2, 3, 4, 5]


def test_rabbit_message_carries_the_delivery_id_and_is_persistent() -> None:
    reachable(AMQP_URL)
    exchange, queue = unique("t.ce."), unique("t.ce.q.")
    run(bind_queue(exchange, queue, "crossdock.product.*"))
    c = _connector(
        {
            "url": AMQP_URL,
            "exchange": exchange,
            "subject": "crossdock.product.{sku}",
            "content_mode": "binary",
        }
    )
    try:
        dest = c.destination()
        assert dest is not None
        assert [r.status for r in dest.push([_delivery(7)])] == [DeliveryStatus.DELIVERED]
        (m,) = run(queue_messages(queue))
        assert m.routing_key == "crossdock.product.A_7_x"
        assert m.message_id == "to_bus:product:p7:v1"
        assert m.delivery_mode == 2
        assert m.headers["ce-id"] == m.message_id
        assert json.loads(m.body) == {"sku": "A.7 x", "price": "12.50"}
    finally:
        c.close()
        run(drop_rabbit(exchange, queue))


def test_an_unreachable_broker_is_a_retryable_error() -> None:
    c = _connector({"url": "nats://127.0.0.1:1", "timeout_seconds": 1})
    try:
        dest = c.destination()
        assert dest is not None
        with pytest.raises(RetryableError):
            dest.push([_delivery(1)])
        link = c.link_status(1)
        assert link.connected is False
        assert link.detail.startswith("unreachable: 127.0.0.1:1: "), link.detail
    finally:
        c.close()
