"""The hub SIGKILLed mid-publish and mid-consume, many times: nothing lost, nothing doubled.

A worker process (broker_worker.py) pulls a JetStream durable consumer into
ingest and delivers every version to a JetStream stream; it is killed with
SIGKILL at random moments while both are busy, then restarted. In the end:
every inbound message applied exactly once (each product at the version its
message count says, no exception), and every committed version on the
outbound stream exactly once, in order per entity.
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

import pytest
from brokers import NATS_URL, delete_stream, nats_publish, reachable, run, stream_messages, unique

from crossdock.model.base import EntityType
from crossdock.store import Store

pytestmark = [pytest.mark.integration, pytest.mark.slow]
WORKER = Path(__file__).with_name("broker_worker.py")
PRODUCTS, ROUNDS = 600, 4
KILLS = 2 * ROUNDS


@pytest.fixture
def streams() -> Iterator[tuple[str, str]]:
    reachable(NATS_URL)
    names = unique("T_KIN_"), unique("T_KOUT_")
    yield names
    for n in names:
        run(delete_stream(n))


def _hub_file(tmp_path: Path, inbound: str, outbound: str) -> Path:
    doc = {
        "systems": [
            {
                "name": "wms",
                "kind": "broker",
                "settings": {
                    "url": NATS_URL,
                    "consume": {
                        "stream": inbound,
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
                    "stream": outbound,
                    "subject": outbound.lower() + ".{entity_type}.{entity_id}",
                },
            },
        ],
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


def test_kill_9_mid_consume_and_mid_publish(tmp_path: Path, streams: tuple[str, str]) -> None:
    inbound, outbound = streams
    subject = inbound.lower() + ".in"
    hub = _hub_file(tmp_path, inbound, outbound)
    url = f"sqlite:///{tmp_path}/h.sqlite"
    rng = random.Random(22)
    run(nats_publish(inbound, subject, []))
    killed = 0
    moments: list[tuple[bool, bool]] = []
    for round_ in range(ROUNDS):
        run(
            nats_publish(
                inbound,
                subject,
                [
                    (
                        f"r{round_}-{i}",
                        json.dumps({"sku": f"S-{i}", "description": f"round {round_}"}).encode(),
                    )
                    for i in range(PRODUCTS)
                ],
            )
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
                if phase == "publish" and cursor > start[1] and cursor < last:
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
    events = [json.loads(m.data) for m in run(stream_messages(outbound))]
    published = [(e["subject"], e["entityversion"]) for e in events]
    assert len(published) == len(set(published)), "a version published twice"
    assert sorted(published) == sorted(committed), "a committed version not published"
    per_entity: dict[str, list[int]] = {}
    for entity, version in published:
        per_entity.setdefault(entity, []).append(version)
    assert all(v == list(range(1, ROUNDS + 1)) for v in per_entity.values())
