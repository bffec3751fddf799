"""Deprecated routes and fields answer with Deprecation, Sunset and Link, and say so in OpenAPI."""

from __future__ import annotations

from datetime import date
from email.utils import parsedate_to_datetime
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from crossdock.api.versioning import Deprecation, DeprecationHeaders, deprecated_route

OLD = Deprecation(since=date(2026, 1, 1), sunset=date(2026, 7, 1), instead="use /new")


def test_a_deprecated_route_says_so_in_headers_and_document() -> None:
    app = FastAPI()

    @app.get("/old", **deprecated_route(OLD))
    def old() -> dict[str, str]:
        return {"ok": "yes"}

    @app.get("/new")
    def new() -> dict[str, str]:
        return {"ok": "yes"}

    app.add_middleware(DeprecationHeaders)
    with TestClient(app) as client:
        r = client.get("/old")
        assert r.status_code == 200
        assert r.headers["Deprecation"] == "@1767225600"
        assert parsedate_to_datetime(r.headers["Sunset"]).date() == date(2026, 7, 1)
        assert r.headers["Link"] == '</v1/docs>; rel="deprecation"'
        assert "Deprecation" not in client.get("/new").headers
        doc = client.get("/openapi.json").json()
    assert doc["paths"]["/old"]["get"]["deprecated"] is True
    assert "deprecated" not in doc["paths"]["/new"]["get"]


def test_the_system_field_of_changes_is_deprecated(client: TestClient, keys: Any) -> None:
    auth = {"Authorization": f"Bearer {keys.write}"}
    change = {"entity_type": "product", "native_id": "1", "data": {"sku": "1"}}
    named = client.post("/v1/changes", headers=auth, json={"system": "erp", "changes": [change]})
    assert named.status_code == 200
    assert named.headers["Deprecation"].startswith("@")
    assert "Sunset" in named.headers
    plain = client.post("/v1/changes", headers=auth, json={"changes": [change]})
    assert plain.status_code == 200 and "Deprecation" not in plain.headers
    doc = client.get("/v1/openapi.json").json()
    schema = doc["components"]["schemas"]["ChangesIn"]["properties"]["system"]
    assert schema["deprecated"] is True
