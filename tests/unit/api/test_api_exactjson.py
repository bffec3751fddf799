"""Request bodies keep decimal numbers exact: 12.50 arrives as the text "12.50"."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi import APIRouter, FastAPI
from fastapi.testclient import TestClient

from crossdock.api.exactjson import ExactJSONRoute, loads_exact


def test_fractions_and_exponents_stay_text() -> None:
    doc = loads_exact(b'{"price": 12.50, "qty": 3, "tiny": 1e-7, "big": 1.000000000000000000001}')
    assert doc == {"price": "12.50", "qty": 3, "tiny": "1e-7", "big": "1.000000000000000000001"}


@pytest.mark.parametrize(
    "raw", [b"NaN", b'{"a": Infinity}', b'{"a": -Infinity}', b"\xff", b"[" * 50_000, b"{"]
)
def test_everything_refused_is_a_decode_error(raw: bytes) -> None:
    with pytest.raises(json.JSONDecodeError):
        loads_exact(raw)


def test_route_class_parses_exactly() -> None:
    router = APIRouter(route_class=ExactJSONRoute)

    @router.post("/echo")
    def echo(body: dict[str, Any]) -> dict[str, Any]:
        return {"seen": body, "type": type(body["price"]).__name__}

    app = FastAPI()
    app.include_router(router)
    with TestClient(app) as client:
        r = client.post(
            "/echo", content=b'{"price": 12.50}', headers={"Content-Type": "application/json"}
        )
    assert r.json() == {"seen": {"price": "12.50"}, "type": "str"}
