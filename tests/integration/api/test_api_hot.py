"""POST /v1/reservations answered ahead of FastAPI's routing says what the route says.

The same script of requests goes to an app with the fast path and to one
without it (the FastAPI route alone), each on its own hub with the same
stock; every answer must match: status, media type, body (ids and times
aside). Well-formed reserves must not reach the FastAPI route at all.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

import crossdock.api.routers.availability as availability_router
from crossdock.api import create_api_key, create_app
from crossdock.api.hot import HotRoutes
from crossdock.config.hub import HubConfig
from crossdock.services.availability import WmsEvent, service_for
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
_RSV = re.compile(r"rsv_[0-9a-f]{24}")


def _hub(path: Path) -> Hub:
    # A file, not :memory:: the service's writer thread may still hold its connection
    # when the hub closes, and a closed in-memory database cannot take it back.
    hub = Hub(HubConfig(), Store.open(f"sqlite:///{path}"))
    service_for(hub).feeds.apply_wms_event(
        WmsEvent(idempotency_key="r", kind="receipt", sku="A", location="W1", quantity=Decimal(5))
    )
    return hub


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


@pytest.fixture
def route_calls(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the FastAPI reserve route's own calls of the service."""
    calls: list[int] = []
    real: Callable[[Hub], Any] = availability_router.service_for

    def counting(hub: Hub) -> Any:
        calls.append(1)
        return real(hub)

    monkeypatch.setattr(availability_router, "service_for", counting)
    return calls


def _keys(hub: Hub) -> dict[str, str]:
    return {s: create_api_key(hub.store, s, [s]) for s in ("read", "write")}


def test_the_fast_path_answers_every_request_as_the_route_does(
    route_calls: list[int], tmp_path: Path
) -> None:
    slow_hub, fast_hub = _hub(tmp_path / "slow.sqlite"), _hub(tmp_path / "fast.sqlite")
    try:
        slow_app = create_app(slow_hub)
        slow_app.user_middleware = [m for m in slow_app.user_middleware if m.cls is not HotRoutes]
        with TestClient(slow_app) as slow:
            expected = _run(slow, _keys(slow_hub))
        assert route_calls, "the app without the fast path answers through the route"
        route_calls.clear()
        with TestClient(create_app(fast_hub)) as fast:
            got = _run(fast, _keys(fast_hub))
        assert [g[:2] for g in got] == [e[:2] for e in expected]
        assert got == expected
        statuses = {name: status for name, status, _, _ in got}
        assert statuses["granted"] == 201 and statuses["replayed"] == 200
        assert statuses["too many"] == 409 and statuses["no key"] == 401
        # Every reserve that reached the service was the fast path's; the route saw none.
        assert not route_calls
    finally:
        slow_hub.close()
        fast_hub.close()
