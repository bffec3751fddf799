"""The API's contract, read from its own OpenAPI document.

For every operation that needs a key: no key answers 401 and a key without the
scope answers 403, whatever the body (authentication comes before parsing);
every status the API answers to the requests below is documented for that
operation; unsigned webhooks answer the same for unknown and known systems.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

pytestmark = pytest.mark.integration

WRITE_OR_ADMIN = ("write", "admin")


def _operations(client: TestClient) -> list[tuple[str, str, dict[str, Any]]]:
    doc = client.get("/v1/openapi.json").json()
    out = []
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            if method in ("get", "post", "put", "patch", "delete"):
                out.append((method.upper(), path, op))
    return out


def _concrete(path: str) -> str:
    """A path with its parameters filled by plausible values."""
    return re.sub(r"\{[^}]+\}", lambda m: "1" if "id" in m.group(0) else "x", path)


def _needs_key(op: dict[str, Any]) -> bool:
    return bool(op.get("security"))


def _documented(op: dict[str, Any], status: int) -> bool:
    return str(status) in op["responses"]


@pytest.mark.parametrize("body", [b"{not json", b'{"x": 1}', b""])
def test_no_key_is_refused_before_the_body_is_read(client: TestClient, body: bytes) -> None:
    for method, path, op in _operations(client):
        if not _needs_key(op):
            continue
        answer = client.request(
            method, _concrete(path), content=body, headers={"content-type": "application/json"}
        )
        assert answer.status_code == 401, (method, path, answer.status_code, answer.text)
        assert _documented(op, 401), (method, path)


def test_a_key_without_the_scope_is_refused_before_the_body_is_read(
    client: TestClient, keys: Any
) -> None:
    for method, path, op in _operations(client):
        if not _needs_key(op) or method == "GET":
            continue
        answer = client.request(
            method,
            _concrete(path),
            content=b"{not json",
            headers={"content-type": "application/json", "Authorization": f"Bearer {keys.read}"},
        )
        if answer.status_code == 403:
            assert _documented(op, 403), (method, path)
            continue
        # an operation a read key may call: the body is parsed and refused as malformed
        assert answer.status_code == 400, (method, path, answer.status_code, answer.text)
        assert _documented(op, 400), (method, path)


def test_every_answered_status_is_documented(client: TestClient, keys: Any) -> None:
    auth = {"Authorization": f"Bearer {keys.admin}", "content-type": "application/json"}
    for method, path, op in _operations(client):
        if not _needs_key(op):
            continue
        for body in (b"{not json", b"{}", b"[]"):
            answer = client.request(method, _concrete(path), content=body, headers=auth)
            assert answer.status_code < 500, (method, path, answer.text)
            assert _documented(op, answer.status_code), (method, path, answer.status_code)


def test_a_replayed_reservation_answer_is_documented(client: TestClient, keys: Any) -> None:
    doc = client.get("/v1/openapi.json").json()
    assert {"200", "201"} <= set(doc["paths"]["/v1/reservations"]["post"]["responses"])


def test_unsigned_webhooks_answer_alike_for_unknown_and_known_systems(client: TestClient) -> None:
    headers = {"content-type": "application/json"}
    known = client.post("/v1/webhooks/erp", content=b"{}", headers=headers)
    unknown = client.post("/v1/webhooks/nosuchsystem", content=b"{}", headers=headers)
    no_receiver = client.post("/v1/webhooks/wms", content=b"{}", headers=headers)
    assert known.status_code == unknown.status_code == no_receiver.status_code == 401
    strip = ("instance",)
    shapes = [
        {k: v for k, v in a.json().items() if k not in strip} for a in (known, unknown, no_receiver)
    ]
    assert shapes[0] == shapes[1] == shapes[2]
