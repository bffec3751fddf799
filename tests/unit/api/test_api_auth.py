"""API keys at the door: missing, wrong, revoked, and lacking a scope."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from fastapi.testclient import TestClient

from crossdock import __version__
from crossdock.api import create_api_key, create_app
from crossdock.api.auth import KEY_CACHE_TTL_SECONDS, KeyCache, Principal
from crossdock.app import Application
from crossdock.errors import InvalidInput
from crossdock.sync.runtime import Hub

PROBLEM = "application/problem+json"


def _assert_401(response: Any) -> dict[str, Any]:
    assert response.status_code == 401
    assert response.headers["content-type"] == PROBLEM
    assert response.headers["www-authenticate"].startswith("Bearer")
    body: dict[str, Any] = response.json()
    assert body["code"] == "unauthorized"
    assert body["status"] == 401
    assert body["type"] == "https://crossdock.dev/problems/unauthorized"
    return body


def test_health_needs_no_key(client: TestClient) -> None:
    r = client.get("/v1/health")
    assert r.status_code == 200
    assert r.json() == {"status": "ok", "version": __version__, "store": "sqlite", "last_seq": 0}


def test_missing_key_is_401(client: TestClient) -> None:
    body = _assert_401(client.get("/v1/records/product"))
    assert body["instance"] == "/v1/records/product"


@pytest.mark.parametrize(
    "headers",
    [
        {"Authorization": "Bearer cdk_aaaaaaaa_" + "b" * 32},
        {"Authorization": "Bearer not-a-key"},
        {"X-API-Key": "cdk_zzzzzzzz_" + "0" * 32},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        {"Authorization": "Bearer "},
    ],
)
def test_wrong_keys_are_401(client: TestClient, keys: Any, headers: dict[str, str]) -> None:
    _assert_401(client.get("/v1/events", headers=headers))


def test_right_prefix_wrong_secret_is_401(client: TestClient, keys: Any) -> None:
    forged = keys.admin[:-1] + ("A" if keys.admin[-1] != "A" else "B")
    _assert_401(client.get("/v1/events", headers={"Authorization": f"Bearer {forged}"}))


def test_revoked_key_is_401(client: TestClient, keys: Any) -> None:
    body = _assert_401(client.get("/v1/events", headers={"X-API-Key": keys.revoked}))
    assert "revoked" in body["detail"]


def test_both_headers_work(client: TestClient, keys: Any) -> None:
    assert client.get("/v1/events", headers={"X-API-Key": keys.read}).status_code == 200
    r = client.get("/v1/events", headers={"Authorization": f"Bearer {keys.read}"})
    assert r.status_code == 200


def test_read_key_may_not_write(client: TestClient, keys: Any) -> None:
    r = client.post(
        "/v1/changes",
        headers={"X-API-Key": keys.read},
        json={"system": "erp", "changes": [{"entity_type": "product", "native_id": "1"}]},
    )
    assert r.status_code == 403
    assert r.headers["content-type"] == PROBLEM
    assert r.json()["code"] == "forbidden"


def test_write_key_may_not_admin(client: TestClient, keys: Any) -> None:
    r = client.post("/v1/routes/r1/parked/prd_1/retry", headers={"X-API-Key": keys.write})
    assert r.status_code == 403


def test_admin_implies_read(client: TestClient, keys: Any) -> None:
    assert client.get("/v1/routes", headers={"X-API-Key": keys.admin}).status_code == 200


def test_only_the_hash_is_stored(hub: Hub) -> None:
    key = create_api_key(hub.store, "ci", ["read", "write"])
    row = hub.store.keys.by_prefix(key.split("_")[1])
    assert row is not None
    assert row.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert key not in row.key_hash
    assert row.scopes == {"read", "write"}
    assert row.name == "ci"


@pytest.mark.parametrize(("name", "scopes"), [("x", ["root"]), ("x", []), ("  ", ["read"])])
def test_create_api_key_refuses_bad_input(hub: Hub, name: str, scopes: list[str]) -> None:
    with pytest.raises(InvalidInput):
        create_api_key(hub.store, name, scopes)


class _Clock:
    """A monotonic clock a test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _cached_client(hub: Hub, clock: _Clock) -> tuple[TestClient, KeyCache]:
    cache = KeyCache(clock=clock)
    return TestClient(create_app(Application(hub), key_cache=cache)), cache


def test_a_revoked_key_is_refused_once_its_check_is_a_second_old(hub: Hub) -> None:
    clock = _Clock()
    client, cache = _cached_client(hub, clock)
    key = create_api_key(hub.store, "soon-gone", ["read"])
    headers = {"X-API-Key": key}
    with client:
        assert client.get("/v1/events", headers=headers).status_code == 200
        assert len(cache) == 1
        hub.store.keys.revoke(key.split("_")[1])
        clock.now += KEY_CACHE_TTL_SECONDS - 0.01  # within the documented bound it may work
        assert client.get("/v1/events", headers=headers).status_code == 200
        clock.now += 0.01  # the check is a second old: looked up again, refused
        body = _assert_401(client.get("/v1/events", headers=headers))
        assert "revoked" in body["detail"]
        clock.now += 0.5  # and the refusal was not kept as if it were a check
        _assert_401(client.get("/v1/events", headers=headers))
        assert len(cache) == 0


def test_an_unknown_key_is_refused_every_time_and_never_cached(hub: Hub) -> None:
    clock = _Clock()
    client, cache = _cached_client(hub, clock)
    key = "cdk_unknown1_" + "k" * 32
    headers = {"Authorization": f"Bearer {key}"}
    with client:
        for _ in range(3):
            _assert_401(client.get("/v1/events", headers=headers))
        assert len(cache) == 0
        # Made live now (same plaintext): it works at once, so no refusal was kept for it.
        hub.store.keys.add("late", "unknown1", hashlib.sha256(key.encode()).hexdigest(), ["read"])
        assert client.get("/v1/events", headers=headers).status_code == 200
        assert len(cache) == 1


def test_the_key_cache_stays_within_its_size() -> None:
    clock = _Clock()
    cache = KeyCache(max_size=3, clock=clock)
    who = Principal("p", "pppppppp", frozenset())
    for i in range(10):
        cache.put(f"d{i}", who)
        clock.now += 0.01
    assert len(cache) == 3
    assert cache.get("d9") is who
    assert cache.get("d0") is None
