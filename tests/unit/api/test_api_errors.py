"""Every error is a problem document; no input reaches a 500 or a stack trace."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.exc import OperationalError

from crossdock.api import create_api_key, create_app
from crossdock.app import Application
from crossdock.errors import RetryableError
from crossdock.sync.runtime import Hub

PROBLEM = "application/problem+json"


def _problem(r: Any, status: int) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == PROBLEM
    body: dict[str, Any] = r.json()
    assert body["status"] == status
    assert body["type"].startswith("https://crossdock.dev/problems/")
    assert body["type"].endswith(body["code"])
    assert {"title", "detail", "instance"} <= body.keys()
    return body


def _fields(body: dict[str, Any]) -> list[str]:
    return [e["field"] for e in body["errors"]]


@pytest.fixture
def auth(keys: Any) -> dict[str, str]:
    return {"Authorization": f"Bearer {keys.admin}"}


def test_unknown_path_is_404(client: TestClient) -> None:
    body = _problem(client.get("/v1/nothing/here"), 404)
    assert body["code"] == "not_found"
    assert body["instance"] == "/v1/nothing/here"
    _problem(client.get("/nothing"), 404)  # "/" itself is the home page


def test_wrong_method_is_405(client: TestClient) -> None:
    r = client.delete("/v1/health")
    _problem(r, 405)
    assert r.headers["allow"] == "GET"


def test_malformed_json_is_400(client: TestClient, auth: dict[str, str]) -> None:
    headers = {**auth, "Content-Type": "application/json"}
    body = _problem(client.post("/v1/changes", headers=headers, content=b'{"system": '), 400)
    assert "not valid JSON" in body["detail"]


def test_body_without_json_content_type_is_415(client: TestClient, auth: dict[str, str]) -> None:
    r = client.post("/v1/changes", headers={**auth, "Content-Type": "text/plain"}, content=b"{}")
    _problem(r, 415)


@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("/v1/events?limit=1001", "limit"),
        ("/v1/events?limit=0", "limit"),
        ("/v1/events?after=-1", "after"),
        ("/v1/events?after=99999999999999999999", "after"),
        ("/v1/events?type=widget", "type.0"),
        ("/v1/records/product?limit=100000", "limit"),
        ("/v1/records/widget", "entity_type"),
        ("/v1/records/widget/abc", "entity_type"),
        ("/v1/records/product/" + "x" * 65, "record_id"),
        ("/v1/records/product/by-native/ERP!/1", "system"),
        ("/v1/exceptions?limit=abc", "limit"),
        ("/v1/exceptions?status=lost", "status"),
        ("/v1/exceptions/0", "exc_id"),
        ("/v1/exceptions/9223372036854775808", "exc_id"),
        ("/v1/routes/Bad%20Name/parked", "name"),
        ("/v1/proposals?limit=-5", "limit"),
    ],
)
def test_bad_parameters_are_422_naming_the_field(
    client: TestClient, auth: dict[str, str], url: str, field: str
) -> None:
    body = _problem(client.get(url, headers=auth), 422)
    assert field in _fields(body)


def test_control_characters_in_ids_are_refused(client: TestClient, auth: dict[str, str]) -> None:
    body = _problem(client.get("/v1/records/product/a%00b", headers=auth), 422)
    assert _fields(body) == ["record_id"]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ([{"entity_type": "widget", "native_id": "1"}], "changes.0.entity_type"),
        ([{"entity_type": "product"}], "changes.0.native_id"),
        ([{"entity_type": "product", "native_id": ""}], "changes.0.native_id"),
        ([{"entity_type": "product", "native_id": "1", "op": "merge"}], "changes.0.op"),
        ([{"entity_type": "product", "native_id": "1", "data": []}], "changes.0.data"),
        ([{"entity_type": "product", "native_id": "1", "colour": 1}], "changes.0.colour"),
        (
            [{"entity_type": "product", "native_id": "1", "source_ts": "0001-01-01T00:00+01:00"}],
            "changes.0.source_ts",
        ),
        ([], "changes"),
        ([{"entity_type": "product", "native_id": "1"}] * 1001, "changes"),
    ],
)
def test_change_shape_is_checked_per_change(
    client: TestClient, auth: dict[str, str], changes: list[Any], field: str
) -> None:
    body = _problem(
        client.post("/v1/changes", headers=auth, json={"system": "erp", "changes": changes}), 422
    )
    assert field in _fields(body)


def test_fourth_change_named(client: TestClient, auth: dict[str, str]) -> None:
    good = {"entity_type": "product", "native_id": "1", "data": {}}
    changes = [good, good, good, {"entity_type": "gadget", "native_id": "4"}]
    body = _problem(
        client.post("/v1/changes", headers=auth, json={"system": "erp", "changes": changes}), 422
    )
    assert _fields(body) == ["changes.3.entity_type"]


@pytest.mark.parametrize(
    "raw",
    [
        b'{"system":"erp","changes":[{"entity_type":"product","native_id":"1","data":{"w":NaN}}]}',
        b'{"system":"erp","changes":[{"data":{"w":-Infinity}}]}',
        b'{"system":"erp","changes":[' + b"[" * 100_000 + b"]" * 100_000 + b"]}",
        b'{"system":"erp","changes":[{"native_id":"\xff\xfe"}]}',
        b'{"system":"erp","changes":[{"native_id":1' + b"0" * 5000 + b"}]}",
    ],
)
def test_json_python_accepts_but_json_does_not_is_400(
    client: TestClient, auth: dict[str, str], raw: bytes
) -> None:
    r = client.post(
        "/v1/changes", headers={**auth, "Content-Type": "application/json"}, content=raw
    )
    assert _problem(r, 400)["code"] == "invalid_input"


def test_unpaired_surrogates_are_refused(client: TestClient, auth: dict[str, str]) -> None:
    change = b'{"entity_type":"product","native_id":"1","data":{"w":"\\ud800"}}'
    raw = b'{"system":"erp","changes":[' + change + b"]}"
    r = client.post(
        "/v1/changes", headers={**auth, "Content-Type": "application/json"}, content=raw
    )
    assert _fields(_problem(r, 422)) == ["changes.0.data"]


def test_a_key_of_an_undeclared_system_is_422(client: TestClient, hub: Hub) -> None:
    # the key was made for "crm", which the hub file has since dropped
    key = create_api_key(hub.store, "crm", system="crm")
    payload = {"changes": [{"entity_type": "product", "native_id": "1"}]}
    r = client.post("/v1/changes", headers={"Authorization": f"Bearer {key}"}, json=payload)
    body = _problem(r, 422)
    assert _fields(body) == ["system"]
    assert "'crm' is not declared" in body["detail"]


def test_oversized_body_is_413(hub: Hub, keys: Any) -> None:
    with TestClient(create_app(Application(hub), max_body_bytes=1000)) as c:
        change = {"entity_type": "product", "native_id": "x" * 2000}
        payload = {"system": "erp", "changes": [change]}
        r = c.post("/v1/changes", headers={"X-API-Key": keys.write}, json=payload)
        _problem(r, 413)


def test_oversized_webhook_is_413(client: TestClient) -> None:
    _problem(client.post("/v1/webhooks/erp", content=b"x" * (5 * 1024 * 1024 + 1)), 413)


@pytest.mark.parametrize(
    "url",
    [
        "/v1/records/product/prd_missing",
        "/v1/records/product/by-native/erp/missing",
        "/v1/exceptions/12345",
        "/v1/routes/nope/parked",
    ],
)
def test_missing_things_are_404(client: TestClient, auth: dict[str, str], url: str) -> None:
    assert _problem(client.get(url, headers=auth), 404)["code"] == "not_found"


def test_missing_exception_actions_are_404(client: TestClient, auth: dict[str, str]) -> None:
    _problem(client.post("/v1/exceptions/7/retry", headers=auth), 404)
    _problem(client.post("/v1/exceptions/7/dismiss", headers=auth, json={"note": "x"}), 404)
    _problem(client.post("/v1/routes/nope/parked/prd_1/retry", headers=auth), 404)


def test_webhook_for_a_system_without_receiver_is_the_unsigned_401(client: TestClient) -> None:
    # the same answer as a bad signature: the API does not tell which system names exist
    known = _problem(client.post("/v1/webhooks/erp", content=b"{}"), 401)
    unknown = _problem(client.post("/v1/webhooks/nobody", content=b"{}"), 401)
    assert known["detail"] == unknown["detail"] and known["code"] == "bad_signature"


def test_unexpected_failure_is_a_bare_500(
    client: TestClient, hub: Hub, monkeypatch: pytest.MonkeyPatch
) -> None:
    def explode() -> int:
        raise RuntimeError("secret internals at /srv/crossdock")

    monkeypatch.setattr(hub.store.outbox, "last_seq", explode)
    body = _problem(client.get("/v1/health"), 500)
    assert body["code"] == "internal"
    assert "secret" not in client.get("/v1/health").text
    assert "Traceback" not in client.get("/v1/health").text


def test_busy_store_is_503(client: TestClient, hub: Hub, monkeypatch: pytest.MonkeyPatch) -> None:
    def locked() -> int:
        raise OperationalError("SELECT 1", {}, Exception("database is locked"))

    monkeypatch.setattr(hub.store.outbox, "last_seq", locked)
    r = client.get("/v1/health")
    _problem(r, 503)
    assert r.headers["retry-after"] == "5"


def test_retryable_error_is_503_with_retry_after(
    client: TestClient, hub: Hub, keys: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def later(*_: Any, **__: Any) -> Any:
        raise RetryableError("destination is down", retry_after=30)

    monkeypatch.setattr(hub, "route_status", later)
    r = client.get("/v1/routes", headers={"X-API-Key": keys.read})
    assert _problem(r, 503)["detail"] == "destination is down"
    assert r.headers["retry-after"] == "30"


def test_openapi_document(client: TestClient) -> None:
    doc = client.get("/v1/openapi.json").json()
    assert doc["openapi"] == "3.1.0"
    assert doc["info"]["title"] == "Crossdock"
    assert all(path.startswith("/v1/") for path in doc["paths"])
    hook = doc["paths"]["/v1/webhooks/{system}"]["post"]
    assert hook["security"] == []
    assert "No API key" in hook["description"]
    assert "security" not in doc["paths"]["/v1/health"]["get"]
    changes = doc["paths"]["/v1/changes"]["post"]
    assert changes["security"]
    assert "application/problem+json" in changes["responses"]["422"]["content"]
    assert "IngestOut" in doc["components"]["schemas"]
