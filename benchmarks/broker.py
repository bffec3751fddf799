"""Broker: outbox → JetStream publish with confirms, and JetStream → ingest, vs the raw client.

Publish: ``--records`` products are ingested into a fresh SQLite hub (not
timed), then the hub's route delivers them to a JetStream stream through the
broker connector (cursor, batches of ``--batch``, CloudEvents, Nats-Msg-Id, a
confirm per message). Anchor, in the same run: nats-py publishing the same
number of messages of the same size with the same headers to another stream,
awaiting every PubAck, ``--batch`` in flight at a time. Target: ratio ≥ 0.3.

Consume: the same number of messages in a stream, read by the hub's broker
source (durable pull consumer) into ingest (map, dedupe, merge, commit, ack
after commit). Anchor: nats-py fetching and acking the same messages from a
durable consumer with the same batch size.

    python benchmarks/broker.py [--records 5000] [--batch 500]

Needs NATS with JetStream at CROSSDOCK_TEST_NATS_URL (default nats://127.0.0.1:4222).
The last line printed is one JSON object, for machines.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import tempfile
import time
import uuid
from pathlib import Path

from crossdock.config.hub import HubConfig
from crossdock.model.base import EntityType
from crossdock.model.change import Change
from crossdock.store import Store
from crossdock.sync.runtime import Hub

NATS_URL = os.environ.get("CROSSDOCK_TEST_NATS_URL", "nats://127.0.0.1:4222")


def _name(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:8]}".upper()


async def _delete(*streams: str) -> None:
    import nats

    nc = await nats.connect(NATS_URL)
    js = nc.jetstream()
    for s in streams:
        with contextlib.suppress(Exception):  # the stream may never have been made
            await js.delete_stream(s)
    await nc.close()


def _changes(n: int) -> list[Change]:
    return [
        Change(
            system="erp",
            entity_type=EntityType.PRODUCT,
            native_id=f"P-{i}",
            data={"sku": f"P-{i}", "description": f"benchmark item {i}", "status": "active"},
        )
        for i in range(n)
    ]


def hub_publish(n: int, batch: int, stream: str) -> tuple[float, int]:
    cfg = HubConfig.model_validate(
        {
            "systems": [
                {"name": "erp", "kind": "files"},
                {
                    "name": "bus",
                    "kind": "broker",
                    "settings": {
                        "url": NATS_URL,
                        "stream": stream,
                        "subject": stream.lower() + ".{entity_type}.{sku}",
                        "max_in_flight": batch,
                    },
                },
            ],
            "routes": [
                {"name": "out", "entities": ["product"], "destination": "bus", "batch_size": batch}
            ],
        }
    )
    with tempfile.TemporaryDirectory() as tmp:
        hub = Hub(cfg, Store.open(f"sqlite:///{Path(tmp) / 'h.sqlite'}"))
        try:
            hub.ingest(_changes(n))
            hub.connector("bus")  # connect outside the timing, as the anchor does
            t0 = time.perf_counter()
            while hub.store.cursors.get("out").position < hub.store.outbox.last_seq():
                hub.deliver()
            elapsed = time.perf_counter() - t0
            size = len(hub.store.outbox.after(0, limit=1)[0].data)
        finally:
            hub.close()
    return elapsed, size


async def raw_publish(n: int, batch: int, stream: str) -> float:
    import nats

    nc = await nats.connect(NATS_URL)
    js = nc.jetstream()
    await js.add_stream(name=stream, subjects=[stream.lower() + ".>"])
    body = json.dumps(
        {
            "specversion": "1.0",
            "id": "x" * 40,
            "source": "crossdock://erp",
            "type": "dev.crossdock.product.upserted",
            "subject": "prd_" + "0" * 32,
            "time": "2026-01-01T00:00:00Z",
            "datacontenttype": "application/json",
            "data": {"sku": "P-1", "description": "benchmark item 1", "status": "active"},
        }
    ).encode()
    t0 = time.perf_counter()
    for start in range(0, n, batch):
        await asyncio.gather(
            *(
                js.publish(
                    f"{stream.lower()}.product.P-{i}",
                    body,
                    headers={
                        "Nats-Msg-Id": f"m-{i}",
                        "content-type": "application/cloudevents+json",
                    },
                )
                for i in range(start, min(n, start + batch))
            )
        )
    elapsed = time.perf_counter() - t0
    await nc.close()
    return elapsed


async def _fill(stream: str, n: int) -> None:
    import nats

    nc = await nats.connect(NATS_URL)
    js = nc.jetstream()
    await js.add_stream(name=stream, subjects=[stream.lower() + ".>"])
    for start in range(0, n, 500):
        await asyncio.gather(
            *(
                js.publish(
                    f"{stream.lower()}.in",
                    json.dumps({"sku": f"P-{i}", "description": f"benchmark item {i}"}).encode(),
                    headers={"Nats-Msg-Id": f"m-{i}"},
                )
                for i in range(start, min(n, start + 500))
            )
        )
    await nc.close()


def hub_consume(n: int, batch: int, stream: str) -> float:
    asyncio.run(_fill(stream, n))
    cfg = HubConfig.model_validate(
        {
            "systems": [
                {
                    "name": "wms",
                    "kind": "broker",
                    "settings": {
                        "url": NATS_URL,
                        "consume": {
                            "stream": stream,
                            "durable": "hub",
                            "batch": batch,
                            "map": {"entity": "product", "id": ["sku"]},
                        },
                    },
                }
            ],
            "ownership": {"product": {"owner": "wms"}},
        }
    )
    with tempfile.TemporaryDirectory() as tmp:
        hub = Hub(cfg, Store.open(f"sqlite:///{Path(tmp) / 'h.sqlite'}"))
        try:
            t0 = time.perf_counter()
            done = 0
            while done < n:
                done += hub.pull().ingest.received
            elapsed = time.perf_counter() - t0
        finally:
            hub.close()
    return elapsed


async def raw_consume(n: int, batch: int, stream: str) -> float:
    import nats

    await _fill(stream, n)
    nc = await nats.connect(NATS_URL)
    js = nc.jetstream()
    sub = await js.pull_subscribe(stream.lower() + ".in", durable="raw", stream=stream)
    t0 = time.perf_counter()
    done = 0
    while done < n:
        msgs = await sub.fetch(batch, timeout=1)
        for m in msgs:
            json.loads(m.data)
        await asyncio.gather(*(m.ack_sync() for m in msgs))
        done += len(msgs)
    elapsed = time.perf_counter() - t0
    await nc.close()
    return elapsed


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--records", type=int, default=5000)
    ap.add_argument("--batch", type=int, default=500)
    args = ap.parse_args()
    n, b = args.records, args.batch
    names = [_name("BENCH_") for _ in range(4)]
    try:
        raw_pub = asyncio.run(raw_publish(n, b, names[0]))
        hub_pub, _ = hub_publish(n, b, names[1])
        raw_con = asyncio.run(raw_consume(n, b, names[2]))
        hub_con = hub_consume(n, b, names[3])
    finally:
        asyncio.run(_delete(*names))
    pub_ratio, con_ratio = raw_pub / hub_pub, raw_con / hub_con
    print(
        f"publish: hub {n / hub_pub:,.0f} msg/s, raw nats-py {n / raw_pub:,.0f} msg/s, "
        f"ratio {pub_ratio:.3f} (target >= 0.3)"
    )
    print(
        f"consume: hub {n / hub_con:,.0f} msg/s into ingest, raw nats-py {n / raw_con:,.0f} "
        f"msg/s, ratio {con_ratio:.3f}"
    )
    print(
        json.dumps(
            {
                "benchmark": "broker_jetstream",
                "value": round(n / hub_pub),
                "unit": "messages/s",
                "anchor": "nats-py js.publish with PubAck, same count, size, headers, in-flight",
                "anchor_value": round(n / raw_pub),
                "ratio": round(pub_ratio, 4),
                "consume_value": round(n / hub_con),
                "consume_anchor_value": round(n / raw_con),
                "consume_ratio": round(con_ratio, 4),
                "records": n,
                "batch": b,
            }
        )
    )


if __name__ == "__main__":
    main()
