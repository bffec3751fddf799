"""The hot routes answered ahead of FastAPI's routing say what the routes say.

The same script of requests goes to an app with the fast path and to one
without it (the FastAPI route alone), each on its own hub with the same
stock; every answer must match: status, media type, body (ids and times
aside). Well-formed reserves and reads must not reach the FastAPI routes.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

import crossdock.api.routers.availability as availability_router
from crossdock.api import create_api_key, create_app
from crossdock.api.hot import HotRoutes
from crossdock.app import Application
from crossdock.config.hub import HubConfig
from crossdock.services.availability import WmsEvent
from crossdock.store import Store
from crossdock.sync.runtime import Hub

pytestmark = pytest.mark.integration

_GRANTED = {"idempotency_key": "k1", "sku": "A", "location": "W1", "quantity": "2"}
SCRIPT: list[tuple[str, str, Any]] = [  # (name, key scope or "", body: dict or raw bytes)
    ("granted", "write", _GRANTED),
    ("replayed", "write", _GRANTED),
    ("key reused for other units", "write", _GRANTED | {"quantity": "3"}),
    ("too many", "write", _GRANTED | {"idempotency_key": "k2", "quantity": "100"}),
    ("no position", "write", _GRANTED | {"idempotency_key": "k3", "sku": "NOPE"}),
    ("unknown channel", "write", _GRANTED | {"idempotency_key": "k4", "channel": "mars"}),
    ("a fraction", "write", b'{"idempotency_key":"k5","sku":"A","location":"W1","quantity":1.5}'),
    ("no key", "", _GRANTED | {"idempotency_key": "k6"}),
    ("read key", "read", _GRANTED | {"idempotency_key": "k7"}),
    ("not json", "write", b'{"idempotency_key": '),
    ("nan", "write", b'{"idempotency_key":"k8","sku":"A","location":"W1","quantity":NaN}'),
    ("negative", "write", _GRANTED | {"idempotency_key": "k9", "quantity": "-1"}),
    ("extra field", "write", _GRANTED | {"idempotency_key": "k10", "colour": "red"}),
    ("a list", "write", [_GRANTED]),
    ("text body", "write", "text"),
    ("charset", "write", "charset"),
]
READS: list[tuple[str, str, str]] = [  # (name, key scope or "", query string)
    ("one sku", "read", "sku=A"),
    ("at a location", "read", "sku=A&location=W1"),
    ("many", "read", "sku=A&sku=B&sku=A&location=W1&location=W2"),
    ("unknown sku", "read", "sku=NOPE"),
    ("blank sku", "read", "sku=%20"),
    ("control char", "read", "sku=A%01"),
    ("too long", "read", "sku=" + "x" * 65),
    ("unknown location", "read", "sku=A&location=MARS"),
    ("no sku", "read", "location=W1"),
    ("no query", "read", ""),
    ("too many skus", "read", "&".join(["sku=A"] * 201)),
    ("a channel", "read", "sku=A&channel=web"),
    ("a date", "read", "sku=A&date=2030-01-01"),
    ("a bad date", "read", "sku=A&date=soon"),
    ("no key", "", "sku=A"),
    ("write key", "write", "sku=A"),
    ("bad key", "bad", "sku=A"),
]


def _ev(key: str, kind: str = "receipt", sku: str = "A", quantity: Any = "1") -> dict[str, Any]:
    return {
        "idempotency_key": key,
        "kind": kind,
        "sku": sku,
        "location": "W1",
        "quantity": quantity,
    }


FEED: list[tuple[str, str, Any]] = [  # (name, key scope or "", body: dict or raw bytes)
    ("a batch", "write", {"events": [_ev("e1"), _ev("e2", "pick", quantity="2")]}),
    ("again", "write", {"events": [_ev("e1"), _ev("e2", "pick", quantity="2")]}),
    ("a pick of nothing", "write", {"events": [_ev("e3", "pick", sku="NONE")]}),
    ("a negative receipt", "write", {"events": [_ev("e4", quantity="-1")]}),
    (
        "a fraction",
        "write",
        b'{"events":[{"idempotency_key":"e5","kind":"receipt",'
        b'"sku":"A","location":"W1","quantity":1.5}]}',
    ),
    ("no events", "write", {"events": []}),
    ("too many", "write", {"events": [_ev(f"m{i}") for i in range(1001)]}),
    ("unknown kind", "write", {"events": [_ev("e6", "teleport")]}),
    ("no key", "", {"events": [_ev("e7")]}),
    ("read key", "read", {"events": [_ev("e8")]}),
    ("not json", "write", b'{"events": ['),
]
_EVENT_AT = re.compile(r'"last_event_at": "[^"]*"')
_RSV = re.compile(r"rsv_[0-9a-f]{24}")


def _application(path: Path) -> Application:
    # A file, not :memory:: the service's writer thread may still hold its connection
    # when the hub closes, and a closed in-memory database cannot take it back.
    application = Application(Hub(HubConfig(), Store.open(f"sqlite:///{path}")))
    application.availability.feeds.apply_wms_events(
        [
            WmsEvent(
                idempotency_key="r", kind="receipt", sku="A", location="W1", quantity=Decimal(5)
            ),
            WmsEvent(
                idempotency_key="s", kind="receipt", sku="B", location="W2", quantity=Decimal(3)
            ),
        ]
    )
    return application


def _run(client: TestClient, keys: dict[str, str]) -> list[tuple[str, int, str, Any]]:
    out = []
    for name, scope, body in SCRIPT:
        headers = {"Authorization": f"Bearer {keys[scope]}"} if scope else {}
        if body == "text":
            r = client.post(
                "/v1/reservations", content=b"k=1", headers=headers | {"Content-Type": "text/plain"}
            )
        elif body == "charset":
            r = client.post(
                "/v1/reservations",
                content=b'{"idempotency_key":"k11","sku":"A","location":"W1","quantity":"1"}',
                headers=headers | {"Content-Type": "application/json; charset=utf-8"},
            )
        elif isinstance(body, bytes):
            r = client.post(
                "/v1/reservations",
                content=body,
                headers=headers | {"Content-Type": "application/json"},
            )
        else:
            r = client.post("/v1/reservations", json=body, headers=headers)
        answer = r.json()
        if isinstance(answer, dict):
            for volatile in ("id", "created_at", "expires_at"):
                answer.pop(volatile, None)
            if "detail" in answer:
                answer["detail"] = _RSV.sub("rsv_*", answer["detail"])
        out.append((name, r.status_code, r.headers["content-type"], answer))
    return out


def _feed(client: TestClient, keys: dict[str, str]) -> list[tuple[str, int, str, Any]]:
    out = []
    for name, scope, body in FEED:
        headers = {"Authorization": f"Bearer {keys[scope]}"} if scope else {}
        if isinstance(body, bytes):
            headers = headers | {"Content-Type": "application/json"}
            r = client.post("/v1/availability/events", content=body, headers=headers)
        else:
            r = client.post("/v1/availability/events", json=body, headers=headers)
        out.append((name, r.status_code, r.headers["content-type"], r.json()))
    return out


def _read(client: TestClient, keys: dict[str, str]) -> list[tuple[str, int, str, Any]]:
    out = []
    keys = keys | {"bad": "cdk_aaaaaaaa_" + "b" * 32}
    for name, scope, query in READS:
        headers = {"X-API-Key": keys[scope]} if scope else {}
        r = client.get(f"/v1/availability?{query}", headers=headers)
        body = _EVENT_AT.sub('"last_event_at": "*"', json.dumps(r.json()))  # when seeded
        out.append((name, r.status_code, r.headers["content-type"], json.loads(body)))
    return out


@pytest.fixture
def route_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The FastAPI routes' own answers (the fast path holds its own names for these)."""
    calls: list[str] = []
    answer_real = availability_router.availability_answer
    out_real = availability_router.reservation_out
    events_real = availability_router.events_answer

    async def events(*args: Any) -> Any:
        calls.append("events")
        return await events_real(*args)

    async def answer(*args: Any) -> Any:
        calls.append("read")
        return await answer_real(*args)

    def out(r: Any) -> Any:
        calls.append("reserve")
        return out_real(r)

    monkeypatch.setattr(availability_router, "availability_answer", answer)
    monkeypatch.setattr(availability_router, "reservation_out", out)
    monkeypatch.setattr(availability_router, "events_answer", events)
    return calls


def _keys(hub: Hub) -> dict[str, str]:
    return {s: create_api_key(hub.store, s, [s]) for s in ("read", "write")}


def test_the_fast_path_answers_every_request_as_the_route_does(
    route_calls: list[str], tmp_path: Path
) -> None:
    slow_application, fast_application = (
        _application(tmp_path / "slow.sqlite"),
        _application(tmp_path / "fast.sqlite"),
    )
    try:
        slow_app = create_app(slow_application)
        slow_app.user_middleware = [m for m in slow_app.user_middleware if m.cls is not HotRoutes]
        with TestClient(slow_app) as slow:
            slow_keys = _keys(slow_application.hub)
            expected = _run(slow, slow_keys)
            expected_reads = _read(slow, slow_keys)
            expected_feed = _feed(slow, slow_keys)
        assert route_calls, "the app without the fast path answers through the route"
        route_calls.clear()
        with TestClient(create_app(fast_application)) as fast:
            fast_keys = _keys(fast_application.hub)
            got = _run(fast, fast_keys)
            got_reads = _read(fast, fast_keys)
            got_feed = _feed(fast, fast_keys)
        assert [g[:2] for g in got] == [e[:2] for e in expected]
        assert got == expected
        statuses = {name: status for name, status, _, _ in got}
        assert statuses["granted"] == 201 and statuses["replayed"] == 200
        assert statuses["too many"] == 409 and statuses["no key"] == 401
        assert got_reads == expected_reads
        assert got_feed == expected_feed
        feed = {name: status for name, status, _, _ in got_feed}
        assert feed["a batch"] == 200 and feed["again"] == 200 and feed["no events"] == 422
        assert feed["a pick of nothing"] == 404 and feed["no key"] == 401
        reads = {name: status for name, status, _, _ in got_reads}
        assert reads["many"] == 200 and reads["unknown sku"] == 404 and reads["no key"] == 401
        assert reads["a channel"] == 404  # no channel configured: FastAPI's route said so
        # Every reserve and read of SKUs and locations that reached the service was the
        # fast path's; the routes saw only the reads with a channel or a date.
        assert route_calls == ["read", "read"]
    finally:
        slow_application.close()
        fast_application.close()
