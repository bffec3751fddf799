"""The hub's own event stream: one setting, every committed event on JetStream, in order.

The hub is stopped and restarted (a new process's worth of objects on the same
database) between batches of changes; a subscriber reading the stream from the
start sees every version of every record exactly once, in commit order per
entity, and can start reading from any sequence.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import pytest
from brokers import NATS_URL, delete_stream, reachable, run, stream_messages, unique

from crossdock.config.event_stream import EVENT_STREAM
from crossdock.config.hub import HubConfig
from crossdock.model.base import EntityType
from crossdock.model.change import Change
from crossdock.store import Store
from crossdock.sync.runtime import Hub

pytestmark = pytest.mark.integration


def _config(stream: str) -> HubConfig:
    return HubConfig.model_validate(
        {
            "systems": [{"name": "erp", "kind": "files"}],
            "event_stream": {
                "url": NATS_URL,
                "stream": stream,
                "subject": stream.lower() + ".{entity_type}.{entity_id}",
            },
        }
    )


@pytest.fixture
def stream() -> Iterator[str]:
    reachable(NATS_URL)
    name = unique("T_HUB_")
    yield name
    run(delete_stream(name))


def test_the_setting_adds_one_system_and_one_route_and_survives_a_round_trip() -> None:
    cfg = _config("S")
    assert [s.name for s in cfg.systems] == ["erp", EVENT_STREAM]
    route = cfg.route(EVENT_STREAM)
    assert set(route.entities) == set(EntityType) and route.every_version
    again = HubConfig.model_validate(cfg.model_dump(mode="json"))
    assert [s.name for s in again.systems] == ["erp", EVENT_STREAM]


def _changes(round_: int, n: int = 20) -> list[Change]:
    return [
        Change(
            system="erp",
            entity_type=EntityType.PRODUCT,
            native_id=str(i),
            data={"sku": f"S-{i}", "description": f"item {i} round {round_}"},
        )
        for i in range(n)
    ]


def test_every_committed_event_reaches_the_stream_across_restarts(
    store_url: str, stream: str
) -> None:
    url = store_url
    for round_ in range(4):
        hub = Hub(_config(stream), Store.open(url))
        try:
            hub.ingest(_changes(round_))
            if round_ % 2 == 0:  # every other process stops before delivering anything
                continue
            deadline = time.monotonic() + 30
            while hub.store.cursors.get(EVENT_STREAM).position < hub.store.outbox.last_seq():
                assert time.monotonic() < deadline, hub.route_status()
                hub.deliver()
        finally:
            hub.close()
    hub = Hub(_config(stream), Store.open(url))
    try:
        outbox = [(e.entity_id, e.version) for e in hub.store.outbox.after(0, limit=10_000)]
    finally:
        hub.close()
    messages = run(stream_messages(stream))
    events = [json.loads(m.data) for m in messages]
    got = [(e["subject"], e["entityversion"]) for e in events]
    assert len(got) == len(set(got)) == len(outbox) == 80
    for entity in {e for e, _ in outbox}:
        assert [v for e, v in got if e == entity] == [1, 2, 3, 4]
    assert all(e["type"] == "dev.crossdock.product.upserted" for e in events)
    assert [m.seq for m in messages] == list(range(1, 81)), "a subscriber can start at any seq"
