"""Inbound throttling: per key and per system, shared by API processes, 429 with Retry-After."""

from __future__ import annotations

import asyncio
import multiprocessing
import time
import warnings
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from crossdock.api import create_api_key, create_app
from crossdock.api.throttle import InboundThrottle
from crossdock.app import Application
from crossdock.config.hub import HubConfig, RateLimit, SystemConfig, ThrottleConfig
from crossdock.connectors.base import Connector
from crossdock.connectors.registry import register
from crossdock.services.availability import WmsEvent
from crossdock.store import Store
from crossdock.sync.runtime import Hub

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

KIND = "throttle-test"


class _NoSettings(BaseModel):
    pass


class _Null(Connector):
    kind = KIND
    Settings = _NoSettings


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def _admit(t: InboundThrottle, prefix: str, system: str | None = None) -> float:
    return asyncio.run(t.admit(prefix, system))


def test_a_key_gets_its_burst_then_waits_for_the_rate(store_url: str) -> None:
    store = Store.open(store_url)
    clock = Clock()
    config = ThrottleConfig(per_key=RateLimit(per_second=10, burst=20))
    t = InboundThrottle(store, config, clock)
    try:
        assert all(_admit(t, "aaaaaaaa") == 0 for _ in range(20))
        wait = _admit(t, "aaaaaaaa")
        assert 0 < wait <= 0.1 + 1e-9
        assert _admit(t, "bbbbbbbb") == 0  # another key has its own bucket
        clock.now += 0.5  # five tokens come back
        assert [_admit(t, "aaaaaaaa") for _ in range(6)].count(0.0) == 5
    finally:
        store.close()


def test_a_system_is_limited_over_all_its_keys(store_url: str) -> None:
    store = Store.open(store_url)
    config = ThrottleConfig(
        per_key=RateLimit(per_second=100, burst=100),
        systems={"portal": RateLimit(per_second=1, burst=10)},
    )
    t = InboundThrottle(store, config, Clock())
    try:
        admitted = [_admit(t, p, "portal") for p in ("aaaaaaaa", "bbbbbbbb") for _ in range(8)]
        assert admitted.count(0.0) == 10
        assert _admit(t, "cccccccc", "erp") == 0  # another system is not held back
    finally:
        store.close()


def test_over_the_limit_the_api_answers_429_with_retry_after(tmp_path: object) -> None:
    register(KIND, _Null)
    config = HubConfig(
        systems=[SystemConfig(name="erp", kind=KIND, settings={})],
        throttle=ThrottleConfig(per_key=RateLimit(per_second=0.01, burst=3)),
    )
    hub = Hub(config, Store.open("sqlite:///:memory:"))
    key = create_api_key(hub.store, "r", ["read"])
    try:
        with TestClient(create_app(Application(hub))) as client:
            codes = [
                client.get("/v1/routes", headers={"Authorization": f"Bearer {key}"})
                for _ in range(4)
            ]
        assert [r.status_code for r in codes] == [200, 200, 200, 429]
        last = codes[-1]
        assert last.headers["content-type"].startswith("application/problem+json")
        assert int(last.headers["Retry-After"]) >= 1
        assert last.json()["code"] == "rate_limited"
    finally:
        hub.close()


RATE, BURST, SECONDS = 200.0, 100, 2.0


def _hammer(url: str, ready: Any, go: Any, out: Any) -> None:
    store = Store.open(url, migrate=False)
    t = InboundThrottle(store, ThrottleConfig(per_key=RateLimit(per_second=RATE, burst=BURST)))

    async def run() -> int:
        ready.put(True)
        while go.value == 0:  # both processes are up before the window opens
            await asyncio.sleep(0.001)
        start = go.value
        while time.time() < start:
            await asyncio.sleep(0.001)
        admitted = 0
        while time.time() < start + SECONDS:
            if await t.admit("shared00", None) == 0:
                admitted += 1
            else:
                await asyncio.sleep(0.0005)
        return admitted

    out.put(asyncio.run(run()))
    store.close()


@pytest.fixture
def shared_url(store_url: str) -> str:
    Store.open(store_url).close()  # migrated once, before the processes start
    return store_url


def test_two_processes_hold_one_limit_within_one_burst(shared_url: str) -> None:
    ctx = multiprocessing.get_context("spawn")
    ready, out, go = ctx.Queue(), ctx.Queue(), ctx.Value("d", 0.0)
    procs = [ctx.Process(target=_hammer, args=(shared_url, ready, go, out)) for _ in range(2)]
    for p in procs:
        p.start()
    for _ in procs:
        ready.get(timeout=120)
    go.value = time.time() + 0.2
    counts = [out.get(timeout=60) for _ in procs]
    for p in procs:
        p.join(timeout=30)
    total = sum(counts)
    chunk = BURST // 10
    # the bucket's own bound, plus what each process may hold unspent at the end
    assert total <= RATE * SECONDS + BURST + 2 * chunk, counts
    assert total >= RATE * SECONDS * 0.5, counts  # and it is a limit, not a stop
    assert all(c > 0 for c in counts), counts


def test_the_hot_reservation_route_is_throttled_like_the_rest(tmp_path: Path) -> None:
    config = HubConfig(throttle=ThrottleConfig(per_key=RateLimit(per_second=0.01, burst=2)))
    hub = Hub(config, Store.open(f"sqlite:///{tmp_path / 'hub.sqlite'}"))
    application = Application(hub)
    application.availability.feeds.apply_wms_events(
        [WmsEvent(idempotency_key="r", kind="receipt", sku="A", location="W1", quantity=Decimal(9))]
    )
    key = create_api_key(hub.store, "shop", ["write"])
    try:
        with TestClient(create_app(application)) as client:
            answers = [
                client.post(
                    "/v1/reservations",
                    headers={"Authorization": f"Bearer {key}"},
                    json={
                        "idempotency_key": f"k{i}",
                        "sku": "A",
                        "location": "W1",
                        "quantity": "1",
                    },
                )
                for i in range(3)
            ]
        assert [r.status_code for r in answers] == [201, 201, 429], [r.text for r in answers]
        assert "Retry-After" in answers[2].headers
        # the refused one reserved nothing
        assert application.availability.availability(["A"])[0].atp == Decimal(7)
    finally:
        hub.close()
