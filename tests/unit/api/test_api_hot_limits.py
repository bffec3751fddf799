"""The fast path (crossdock.api.hot) admits exactly what the routes it shadows admit.

It answers some requests ahead of FastAPI's routing, so its paths and its
limits must be the routes' own: a limit raised on the route but not on the
fast path (or the other way round) would answer the same request two ways.
These read both from what the app publishes (its OpenAPI document) and from
what it does at the limit.
"""

from __future__ import annotations

import warnings
from typing import Any

from crossdock.api import create_app
from crossdock.api.hot import HotRoutes
from crossdock.app import Application
from crossdock.sync.runtime import Hub

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient


def _array(schema: dict[str, Any]) -> dict[str, Any]:
    """The array schema of a list parameter (an optional one is ``anyOf [array, null]``)."""
    if schema.get("type") == "array":
        return schema
    return next(s for s in schema["anyOf"] if s.get("type") == "array")


def test_the_fast_path_serves_the_routes_own_paths(hub: Hub) -> None:
    doc = create_app(Application(hub)).openapi()
    hot = HotRoutes(lambda *_: None, prefix="/v1")  # type: ignore[arg-type]
    assert "post" in doc["paths"][hot.reserve_path]
    assert "post" in doc["paths"][hot.events_path]
    assert "get" in doc["paths"][hot.availability_path]


def test_the_fast_path_admits_the_read_parameters_the_route_admits(hub: Hub) -> None:
    doc = create_app(Application(hub)).openapi()
    params = {
        p["name"]: p
        for p in doc["paths"]["/v1/availability"]["get"]["parameters"]
        if p["in"] == "query"
    }
    for name, (least, most) in HotRoutes.read_limits.items():
        assert name in params, f"the route takes no {name!r}"
        schema = _array(params[name]["schema"])
        assert schema["maxItems"] == most, name
        assert schema.get("minItems", 0) == least, name
        assert params[name]["required"] is (least > 0), name


def test_one_sku_past_the_limit_is_the_routes_to_refuse(client: TestClient, keys: Any) -> None:
    most = HotRoutes.read_limits["sku"][1]
    headers = {"Authorization": f"Bearer {keys.read}"}
    at_limit = client.get(
        "/v1/availability", params={"sku": [f"S{i}" for i in range(most)]}, headers=headers
    )
    assert at_limit.status_code == 404  # admitted: the SKUs are merely unknown
    past = client.get(
        "/v1/availability", params={"sku": [f"S{i}" for i in range(most + 1)]}, headers=headers
    )
    assert past.status_code == 422
    assert past.json()["errors"][0]["field"].startswith("sku")
