"""The hub SIGKILLed mid-publish and mid-consume, many times: nothing lost, nothing doubled.

A worker process (broker_worker.py) pulls a JetStream durable consumer (or a
RabbitMQ queue) into ingest and delivers every version to a JetStream stream
(or a RabbitMQ topic exchange, read through a bound queue); it is killed with
SIGKILL at random moments while both are busy, then restarted. In the end:
every inbound message applied exactly once (each product at the version its
message count says, no exception), and every committed version published, in
order per entity — exactly once on JetStream (it drops repeats by
``Nats-Msg-Id``); on RabbitMQ, which keeps repeats, once after the subscriber
drops repeats by ``message_id``, as a RabbitMQ subscriber must.
"""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from brokers import (
    AMQP_URL,
    NATS_URL,
    bind_queue,
    delete_stream,
    drop_rabbit,
    nats_publish,
    queue_messages,
    rabbit_publish,
    reachable,
    run,
    stream_messages,
    unique,
)

from crossdock.model.base import EntityType
from crossdock.store import Store

pytestmark = [pytest.mark.integration, pytest.mark.slow]
WORKER = Path(__file__).with_name("broker_worker.py")
PRODUCTS, ROUNDS = 600, 4
KILLS = 2 * ROUNDS


class _Nats:
    """Inbound: a stream read by a durable consumer; outbound: a stream."""

    drops_repeats = True  # the stream itself, by Nats-Msg-Id

    def __init__(self) -> None:
        reachable(NATS_URL)
        self.inbound, self.outbound = unique("T_KIN_"), unique("T_KOUT_")
        self.subject = self.inbound.lower() + ".in"
        run(nats_publish(self.inbound, self.subject, []))

    def systems(self) -> list[dict[str, Any]]:
        return [
            {
                "name": "wms",
                "kind": "broker",
                "settings": {
                    "url": NATS_URL,
                    "consume": {
                        "stream": self.inbound,
                        "durable": "hub",
                        "batch": 20,
                        "ack_wait_seconds": 2,
                        "map": {"entity": "product", "id": ["sku"]},
                    },
                },
            },
            {
                "name": "bus",
                "kind": "broker",
                "settings": {
                    "url": NATS_URL,
                    "stream": self.outbound,
                    "subject": self.outbound.lower() + ".{entity_type}.{entity_id}",
                },
            },
        ]

    def publish(self, bodies: list[tuple[str, bytes]]) -> None:
        run(nats_publish(self.inbound, self.subject, bodies))

    def published(self) -> list[tuple[str, dict[str, Any]]]:
        return [
            (m.headers["Nats-Msg-Id"], json.loads(m.data))
            for m in run(stream_messages(self.outbound))
        ]

    def close(self) -> None:
        for n in (self.inbound, self.outbound):
            run(delete_stream(n))


class _Rabbit:
    """Inbound: a durable queue; outbound: a topic exchange, every key bound to one queue."""

    drops_repeats = False

    def __init__(self) -> None:
        reachable(AMQP_URL)
        self.inbound = unique("t.kin.")
        self.exchange, self.outbound = unique("t.kout."), unique("t.kout.q.")
        run(rabbit_publish(self.inbound, []))
        run(bind_queue(self.exchange, self.outbound))

    def systems(self) -> list[dict[str, Any]]:
        return [
            {
                "name": "wms",
                "kind": "broker",
                "settings": {
                    "url": AMQP_URL,
                    "consume": {
                        "queue": self.inbound,
                        "batch": 20,
                        "map": {"entity": "product", "id": ["sku"]},
                    },
                },
            },
            {
                "name": "bus",
                "kind": "broker",
                "settings": {
                    "url": AMQP_URL,
                    "exchange": self.exchange,
                    "subject": "crossdock.{entity_type}.{entity_id}",
                },
            },
        ]

    def publish(self, bodies: list[tuple[str, bytes]]) -> None:
        run(rabbit_publish(self.inbound, bodies))

    def published(self) -> list[tuple[str, dict[str, Any]]]:
        return [(m.message_id, json.loads(m.body)) for m in run(queue_messages(self.outbound))]

    def close(self) -> None:
        run(drop_rabbit(self.exchange, self.outbound))
        run(drop_rabbit(unique("t.none."), self.inbound))


@pytest.fixture(params=["nats", "rabbitmq"])
def bus(request: pytest.FixtureRequest) -> Iterator[Any]:
    b = _Nats() if request.param == "nats" else _Rabbit()
    yield b
    b.close()


def _hub_file(tmp_path: Path, bus: Any) -> Path:
    doc = {
        "systems": bus.systems(),
        "ownership": {"product": {"owner": "wms"}},
        "routes": [
            {
                "name": "out",
                "entities": ["product"],
                "destination": "bus",
                "every_version": True,
                "batch_size": 30,
            }
        ],
    }
    path = tmp_path / "hub.json"
    path.write_text(json.dumps(doc))
    return path


def _worker(hub: Path, url: str, until_idle: bool) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, str(WORKER), str(hub), url, "1" if until_idle else "0"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _progress(url: str) -> tuple[int, int, int]:
    """Versions applied, the route's cursor, the outbox's last sequence."""
    store = Store.open(url)
    try:
        applied = sum(r.version for r in store.records.page(EntityType.PRODUCT, limit=10_000))
        return applied, store.cursors.get("out").position, store.outbox.last_seq()
    finally:
        store.close()


def _moment(url: str, round_: int) -> tuple[bool, bool]:
    """Whether the worker died mid-consume (the round half applied) and mid-publish."""
    store = Store.open(url)
    try:
        applied = sum(r.version for r in store.records.page(EntityType.PRODUCT, limit=10_000))
        cursor = store.cursors.get("out").position
        last = store.outbox.last_seq()
    finally:
        store.close()
    return PRODUCTS * round_ < applied < PRODUCTS * (round_ + 1), 0 < cursor < last


def test_kill_9_mid_consume_and_mid_publish(tmp_path: Path, bus: Any) -> None:
    hub = _hub_file(tmp_path, bus)
    url = f"sqlite:///{tmp_path}/h.sqlite"
    rng = random.Random(22)
    killed = 0
    moments: list[tuple[bool, bool]] = []
    for round_ in range(ROUNDS):
        bus.publish(
            [
                (
                    f"r{round_}-{i}",
                    json.dumps({"sku": f"S-{i}", "description": f"round {round_}"}).encode(),
                )
                for i in range(PRODUCTS)
            ]
        )
        # once while this round's messages are being ingested, once while publishing
        for phase in ("consume", "publish"):
            start = _progress(url)
            worker = _worker(hub, url, until_idle=False)
            deadline = time.monotonic() + 120
            while True:
                assert time.monotonic() < deadline, f"the worker made no {phase} progress"
                applied, cursor, last = _progress(url)
                if phase == "consume" and applied > start[0] + rng.randint(0, PRODUCTS // 2):
                    break
                # the round all applied first: a message of it redelivered behind the
                # next round's would be older than what it meets (dropped, by design)
                whole = applied >= PRODUCTS * (round_ + 1)
                if phase == "publish" and whole and cursor > start[1] and cursor < last:
                    break
                time.sleep(0.002)
            worker.send_signal(signal.SIGKILL)
            worker.wait()
            killed += 1
            moments.append(_moment(url, round_))
    time.sleep(2.5)  # let JetStream's ack_wait hand back what the last worker held
    final = _worker(hub, url, until_idle=True)
    assert final.wait(timeout=240) == 0
    assert killed == KILLS
    print("kills (mid-consume, mid-publish):", moments)
    assert any(c for c, _ in moments), "no kill landed while messages were being ingested"
    assert any(p for _, p in moments), "no kill landed while versions were being published"

    store = Store.open(url)
    try:
        records = store.records.page(EntityType.PRODUCT, limit=10_000)
        assert len(records) == PRODUCTS
        assert {r.data["description"] for r in records} == {f"round {ROUNDS - 1}"}
        assert {r.version for r in records} == {ROUNDS}, "a message applied twice or lost"
        assert store.exceptions.page() == []
        committed = [(e.entity_id, e.version) for e in store.outbox.after(0, limit=100_000)]
        assert store.cursors.get("out").position == store.outbox.last_seq()
        assert store.parked.page("out") == []
    finally:
        store.close()
    seen: set[str] = set()
    published = []
    received = bus.published()
    if bus.drops_repeats:
        assert len({i for i, _ in received}) == len(received), "the stream kept a repeat"
    for msg_id, event in received:
        assert msg_id == event["id"]
        if msg_id in seen:  # RabbitMQ keeps a repeat; its subscriber drops it by id
            continue
        seen.add(msg_id)
        published.append((event["subject"], event["entityversion"]))
    assert len(published) == len(set(published)), "one version published under two ids"
    assert sorted(published) == sorted(committed), "a committed version not published"
    per_entity: dict[str, list[int]] = {}
    for entity, version in published:
        per_entity.setdefault(entity, []).append(version)
    assert all(v == list(range(1, ROUNDS + 1)) for v in per_entity.values())
