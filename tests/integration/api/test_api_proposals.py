"""Proposals: a non-owner's value waits for a person; approval applies it, audited."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

pytestmark = pytest.mark.integration


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def post(client: TestClient, key: str, system: str, data: dict[str, object], ts: str) -> None:
    r = client.post(
        "/v1/changes",
        headers=bearer(key),
        json={
            "system": system,
            "changes": [
                {
                    "entity_type": "product",
                    "native_id": f"{system}-1",
                    "data": data,
                    "source_ts": ts,
                }
            ],
        },
    )
    assert r.status_code == 200, r.text


def test_approve_applies_and_reject_drops(client: TestClient, keys: object) -> None:
    write, admin = keys.write, keys.admin  # type: ignore[attr-defined]
    post(
        client,
        write,
        "erp",
        {"sku": "P-1", "description": "Bolt", "cost": "1.00"},
        "2026-01-01T00:00:00Z",
    )
    post(
        client,
        keys.wms,  # type: ignore[attr-defined]
        "wms",
        {"sku": "P-1", "description": "Hex bolt", "cost": "0.90"},
        "2026-01-02T00:00:00Z",
    )
    pending = client.get("/v1/proposals", headers=bearer(write)).json()["items"]
    by_field = {p["field"]: p for p in pending}
    assert set(by_field) == {"description", "cost"}

    denied = client.post(f"/v1/proposals/{by_field['cost']['id']}/approve", headers=bearer(write))
    assert denied.status_code == 403

    ok = client.post(
        f"/v1/proposals/{by_field['description']['id']}/approve", headers=bearer(admin)
    )
    assert ok.status_code == 200 and ok.json()["version"] == 2
    no = client.post(f"/v1/proposals/{by_field['cost']['id']}/reject", headers=bearer(admin))
    assert no.status_code == 200 and no.json()["status"] == "rejected"
    again = client.post(f"/v1/proposals/{by_field['cost']['id']}/approve", headers=bearer(admin))
    assert again.status_code == 422 and again.headers["content-type"].startswith(
        "application/problem+json"
    )
    missing = client.post("/v1/proposals/999999/approve", headers=bearer(admin))
    assert missing.status_code == 404

    rid = by_field["description"]["entity_id"]
    rec = client.get(f"/v1/records/product/{rid}", headers=bearer(write)).json()
    assert rec["data"]["description"] == "Hex bolt" and rec["data"]["cost"] == "1.00"
    assert rec["provenance"]["description"]["system"] == "wms"
    events = client.get("/v1/events", headers=bearer(write)).json()["items"]
    assert events[-1]["entityversion"] == 2 and events[-1]["source"].endswith("wms")
