"""Operator actions on a route: skip a parked record, replay from a seq or a time, re-send one."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from crossdock.sync.runtime import Hub

pytestmark = pytest.mark.integration


def h(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def post_products(client: TestClient, key: str, *skus: str) -> None:
    body = {
        "system": "erp",
        "changes": [{"entity_type": "product", "native_id": s, "data": {"sku": s}} for s in skus],
    }
    assert client.post("/v1/changes", json=body, headers=h(key)).status_code == 200


def test_skip_replay_and_resend(client: TestClient, hub: Hub, keys: Any, refuse: set[str]) -> None:
    refuse.add("BAD")
    post_products(client, keys.write, "A", "BAD")
    hub.deliver()
    parked = client.get("/v1/routes/to-wms/parked", headers=h(keys.read)).json()["items"]
    bad = parked[0]["entity_id"]

    skip = f"/v1/routes/to-wms/parked/{bad}/skip"
    assert client.post(skip, json={"note": "x"}, headers=h(keys.write)).status_code == 403
    assert client.post(skip, json={}, headers=h(keys.admin)).status_code == 422
    r = client.post(skip, json={"note": "bad sku, fixed in the ERP"}, headers=h(keys.admin))
    assert r.status_code == 200 and r.json() == {"skipped": 1}
    assert client.post(skip, json={"note": "again"}, headers=h(keys.admin)).status_code == 404
    assert client.get("/v1/routes/to-wms/parked", headers=h(keys.read)).json()["items"] == []

    replay = "/v1/routes/to-wms/replay"
    assert client.post(replay, json={}, headers=h(keys.admin)).status_code == 422
    both = {"from_seq": 1, "since": "2026-01-01T00:00:00Z"}
    assert client.post(replay, json=both, headers=h(keys.admin)).status_code == 422
    naive = client.post(replay, json={"since": "2026-01-01T00:00:00"}, headers=h(keys.admin))
    assert naive.status_code == 422 and naive.json()["errors"][0]["field"] == "since"
    r = client.post(replay, json={"from_seq": 1}, headers=h(keys.admin))
    assert r.status_code == 200 and r.json() == {"position": 0}
    refuse.clear()
    again = hub.deliver()["to-wms"]
    assert again.delivered == 2, "both sent again, BAD now accepted"
    r = client.post(replay, json={"since": "2000-01-01T00:00:00Z"}, headers=h(keys.admin))
    assert r.json() == {"position": 0}

    rec = client.get("/v1/records/product/by-native/erp/A", headers=h(keys.read)).json()
    url = f"/v1/routes/to-wms/resend/product/{rec['id']}"
    r = client.post(url, headers=h(keys.admin))
    assert r.status_code == 200 and r.json()["delivered"] == 1
    assert (
        client.post("/v1/routes/to-wms/resend/product/prd_nope", headers=h(keys.admin)).status_code
        == 404
    )
    assert (
        client.post(
            "/v1/routes/nope/replay", json={"from_seq": 1}, headers=h(keys.admin)
        ).status_code
        == 404
    )


def test_retry_all_parked_by_code(
    client: TestClient, hub: Hub, keys: Any, refuse: set[str]
) -> None:
    refuse.update({"X1", "X2"})
    post_products(client, keys.write, "OK", "X1", "X2")
    hub.deliver()
    assert len(client.get("/v1/routes/to-wms/parked", headers=h(keys.read)).json()["items"]) == 2
    url = "/v1/routes/to-wms/parked/retry"
    assert client.post(url, json={}, headers=h(keys.write)).status_code == 403
    none = client.post(url, json={"code": "no_such_code"}, headers=h(keys.admin))
    assert none.status_code == 200 and none.json()["delivered"] == 0
    refuse.clear()
    r = client.post(url, json={"code": "rejected_by_destination"}, headers=h(keys.admin))
    assert r.status_code == 200 and r.json()["delivered"] == 2
    assert client.get("/v1/routes/to-wms/parked", headers=h(keys.read)).json()["items"] == []
