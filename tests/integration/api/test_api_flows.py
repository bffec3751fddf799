"""End to end through the API on a SQLite file: changes in, records, events, exceptions,
routes and parked records, proposals, and signed webhooks ingested behind the answer."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from crossdock.sync.runtime import Hub

pytestmark = pytest.mark.integration

PROBLEM = "application/problem+json"
WIDGET = {"sku": "ABC-1", "description": "Widget", "base_uom": "EA"}


def _h(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def _post(client: TestClient, key: str, *changes: dict[str, Any], system: str = "erp") -> Any:
    r = client.post(
        "/v1/changes", headers=_h(key), json={"system": system, "changes": list(changes)}
    )
    assert r.status_code == 200, r.text
    return r.json()


def _product(native_id: str, data: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"entity_type": "product", "native_id": native_id, "data": data, **extra}


def _utc(text: str) -> datetime:
    parsed = datetime.fromisoformat(text)
    offset = parsed.utcoffset()
    assert offset is not None
    assert offset.total_seconds() == 0
    return parsed


def test_record_after_posting_a_product(client: TestClient, keys: Any) -> None:
    report = _post(client, keys.write, _product("P1", WIDGET))
    assert report["created"] == 1
    assert report["events"] == 1
    assert report["exceptions"] == 0
    assert report["exceptions_url"] is None

    r = client.get("/v1/records/product/by-native/erp/P1", headers=_h(keys.read))
    assert r.status_code == 200
    rec = r.json()
    assert rec["entity_type"] == "product"
    assert rec["version"] == 1
    assert rec["deleted"] is False
    assert rec["data"]["sku"] == "ABC-1"
    assert rec["data"]["description"] == "Widget"
    assert rec["native_ids"] == [{"system": "erp", "native_id": "P1"}]
    assert rec["provenance"]["sku"]["system"] == "erp"
    assert rec["provenance"]["sku"]["version"] == 1
    _utc(rec["provenance"]["sku"]["source_ts"])
    _utc(rec["updated_at"])

    again = client.get(f"/v1/records/product/{rec['id']}", headers=_h(keys.read))
    assert again.json() == rec


def test_source_ts_and_updates(client: TestClient, keys: Any) -> None:
    _post(client, keys.write, _product("P1", WIDGET, source_ts="2024-01-01T00:00:00Z"))
    report = _post(
        client,
        keys.write,
        _product("P1", {"description": "Better widget"}, source_ts="2024-01-02T00:00:00+02:00"),
    )
    assert report["updated"] == 1
    rec = client.get("/v1/records/product/by-native/erp/P1", headers=_h(keys.read)).json()
    assert rec["version"] == 2
    assert rec["data"]["description"] == "Better widget"
    assert rec["provenance"]["description"]["source_ts"].startswith("2024-01-01T22:00:00")


def test_idempotency_key_drops_repeats(client: TestClient, keys: Any) -> None:
    change = _product("P1", WIDGET, idempotency_key="k-1")
    assert _post(client, keys.write, change)["created"] == 1
    assert _post(client, keys.write, change)["duplicates"] == 1


def test_paging_records(client: TestClient, keys: Any) -> None:
    changes = [
        _product(f"N{i}", {"sku": f"SKU-{i}", "description": f"Item {i}", "base_uom": "EA"})
        for i in range(5)
    ]
    _post(client, keys.write, *changes)
    seen: list[str] = []
    after: str | None = None
    for _ in range(10):
        params: dict[str, Any] = {"limit": 2}
        if after:
            params["after"] = after
        page = client.get("/v1/records/product", headers=_h(keys.read), params=params).json()
        seen += [item["id"] for item in page["items"]]
        after = page["next"]
        if after is None:
            break
    assert len(seen) == 5
    assert seen == sorted(set(seen))


def test_events_feed(client: TestClient, keys: Any) -> None:
    _post(client, keys.write, _product("P1", WIDGET))
    _post(client, keys.write, _product("P1", {"description": "Gadget"}))
    _post(client, keys.write, _product("P2", {**WIDGET, "sku": "ABC-2"}))

    page = client.get("/v1/events", headers=_h(keys.read), params={"limit": 2}).json()
    assert [ev["sequence"] for ev in page["items"]] == ["1", "2"]
    assert page["next_after"] == 2
    first, second = page["items"]
    assert first["specversion"] == "1.0"
    assert first["type"] == "dev.crossdock.product.upserted"
    assert first["source"] == "crossdock://erp"
    assert first["datacontenttype"] == "application/json"
    assert first["subject"].startswith("prd")
    assert first["entityversion"] == 1
    assert second["entityversion"] == 2
    assert second["subject"] == first["subject"]
    assert second["changed"] == "description"
    assert second["data"]["description"] == "Gadget"
    _utc(first["time"])
    assert len({first["id"], second["id"]}) == 2

    rest = client.get("/v1/events", headers=_h(keys.read), params={"after": 2}).json()
    assert [ev["sequence"] for ev in rest["items"]] == ["3"]
    assert rest["next_after"] == 3
    empty = client.get("/v1/events", headers=_h(keys.read), params={"after": 3}).json()
    assert empty == {"items": [], "next_after": 3}

    customers = client.get(
        "/v1/events", headers=_h(keys.read), params=[("type", "customer"), ("type", "order")]
    ).json()
    assert customers["items"] == []
    products = client.get("/v1/events", headers=_h(keys.read), params={"type": "product"}).json()
    assert len(products["items"]) == 3


def test_exceptions_list_retry_dismiss(client: TestClient, keys: Any) -> None:
    report = _post(
        client,
        keys.write,
        _product("BAD1", {"description": "no sku"}),
        _product("BAD2", {"description": "no sku either"}),
    )
    assert report["exceptions"] == 2
    assert report["exceptions_url"] == "/v1/exceptions?system=erp"
    listed = client.get("/v1/exceptions", headers=_h(keys.read), params={"system": "erp"}).json()
    assert len(listed["items"]) == 2
    exc = listed["items"][0]
    assert exc["status"] == "open"
    assert exc["field"] == "sku"
    assert exc["native_id"] == "BAD1"
    assert exc["ref"].startswith(report["ref"])
    assert exc["payload"]["data"] == {"description": "no sku"}
    one = client.get(f"/v1/exceptions/{exc['id']}", headers=_h(keys.read)).json()
    assert one == exc

    paged = client.get("/v1/exceptions", headers=_h(keys.read), params={"limit": 1}).json()
    assert paged["next"] == exc["id"]

    # Retrying unchanged fails again: retried, and a new open exception is filed.
    r = client.post(f"/v1/exceptions/{exc['id']}/retry", headers=_h(keys.operate))
    assert r.status_code == 200, r.text
    assert r.json()["exception"]["status"] == "retried"
    assert r.json()["report"]["exceptions"] == 1
    newest = client.get("/v1/exceptions", headers=_h(keys.read)).json()["items"][-1]
    assert newest["native_id"] == "BAD1"

    # Retrying with corrected data resolves it and creates the record.
    fixed = {"sku": "FIX-1", "description": "fixed", "base_uom": "EA"}
    r = client.post(
        f"/v1/exceptions/{newest['id']}/retry", headers=_h(keys.operate), json={"data": fixed}
    )
    assert r.status_code == 200, r.text
    assert r.json()["exception"]["status"] == "resolved"
    assert r.json()["report"]["created"] == 1
    rec = client.get("/v1/records/product/by-native/erp/BAD1", headers=_h(keys.read))
    assert rec.json()["data"]["sku"] == "FIX-1"

    # Dismiss the other one with a note; a second dismissal conflicts.
    other = listed["items"][1]
    r = client.post(
        f"/v1/exceptions/{other['id']}/dismiss", headers=_h(keys.operate), json={"note": "dup"}
    )
    assert r.status_code == 200
    assert (r.json()["status"], r.json()["note"]) == ("dismissed", "dup")
    r = client.post(
        f"/v1/exceptions/{other['id']}/dismiss", headers=_h(keys.operate), json={"note": "again"}
    )
    assert r.status_code == 409
    assert r.headers["content-type"] == PROBLEM
    r = client.post(f"/v1/exceptions/{other['id']}/retry", headers=_h(keys.operate))
    assert r.status_code == 422
    assert r.json()["errors"] == [{"field": "status", "reason": r.json()["detail"]}]

    assert client.get("/v1/exceptions", headers=_h(keys.read)).json()["items"] == []
    everything = client.get(
        "/v1/exceptions", headers=_h(keys.read), params={"status": "all"}
    ).json()
    assert {e["status"] for e in everything["items"]} == {"retried", "resolved", "dismissed"}


def test_dismiss_needs_a_note(client: TestClient, keys: Any) -> None:
    _post(client, keys.write, _product("BAD1", {"description": "no sku"}))
    r = client.post("/v1/exceptions/1/dismiss", headers=_h(keys.operate), json={})
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "note"
    r = client.post("/v1/exceptions/1/dismiss", headers=_h(keys.read), json={"note": "x"})
    assert r.status_code == 403


def test_routes_parked_and_retry(client: TestClient, hub: Hub, keys: Any, refuse: set[str]) -> None:
    refuse.add("BAD-SKU")
    _post(client, keys.write, _product("P1", WIDGET), _product("P2", {**WIDGET, "sku": "BAD-SKU"}))
    hub.deliver()

    routes = client.get("/v1/routes", headers=_h(keys.read)).json()["items"]
    assert len(routes) == 1
    status = routes[0]
    assert (status["route"], status["destination"]) == ("to-wms", "wms")
    assert status["position"] == status["head"] == 2
    assert status["parked"] == 1
    assert status["delivered"] == 1

    parked = client.get("/v1/routes/to-wms/parked", headers=_h(keys.read)).json()["items"]
    assert len(parked) == 1
    assert parked[0]["code"] == "rejected_by_destination"
    entity_id = parked[0]["entity_id"]

    url = f"/v1/routes/to-wms/parked/{entity_id}/retry"
    assert client.post(url, headers=_h(keys.write)).status_code == 403
    refuse.clear()
    r = client.post(url, headers=_h(keys.admin))
    assert r.status_code == 200, r.text
    assert r.json()["delivered"] == 1
    assert client.get("/v1/routes/to-wms/parked", headers=_h(keys.read)).json()["items"] == []
    assert client.post(url, headers=_h(keys.admin)).status_code == 404


def test_proposals_from_a_non_owner(client: TestClient, keys: Any) -> None:
    _post(client, keys.write, _product("P1", WIDGET))
    rec = client.get("/v1/records/product/by-native/erp/P1", headers=_h(keys.read)).json()
    report = _post(
        client,
        keys.wms,
        _product("W1", {"sku": "ABC-1", "description": "Wms name"}),
        system="wms",
    )
    assert report["proposals"] == 1
    items = client.get("/v1/proposals", headers=_h(keys.read)).json()["items"]
    assert len(items) == 1
    assert items[0]["entity_id"] == rec["id"]
    assert (items[0]["system"], items[0]["field"], items[0]["value"]) == (
        "wms",
        "description",
        "Wms name",
    )
    assert items[0]["status"] == "pending"


def test_signed_webhook_is_accepted(client: TestClient, sign: Any) -> None:
    body, headers = sign({"changes": [_product("H1", {**WIDGET, "sku": "HOOK-1"})]})
    r = client.post("/v1/webhooks/erp", content=body, headers=headers)
    assert r.status_code == 202, r.text
    assert r.json() == {"accepted": True, "inbox_id": 1}
    body, headers = sign({"changes": []}, msg_id="msg_2")
    assert client.post("/v1/webhooks/erp", content=body, headers=headers).json()["inbox_id"] == 2


def test_signed_webhook_is_ingested_behind_the_answer(
    client: TestClient, keys: Any, sign: Any
) -> None:
    body, headers = sign({"changes": [_product("H1", {**WIDGET, "sku": "HOOK-1"})]})
    r = client.post("/v1/webhooks/erp", content=body, headers=headers)
    assert r.status_code == 202, r.text
    # The test client runs background tasks before it returns.
    rec = client.get("/v1/records/product/by-native/erp/H1", headers=_h(keys.read))
    assert rec.status_code == 200
    assert rec.json()["data"]["sku"] == "HOOK-1"


def test_webhook_with_a_bad_signature_is_401(client: TestClient, sign: Any) -> None:
    body, headers = sign({"changes": []})
    headers["webhook-signature"] = "v1,AAAA"
    r = client.post("/v1/webhooks/erp", content=body, headers=headers)
    assert r.status_code == 401
    assert r.headers["content-type"] == PROBLEM
    assert r.json()["code"] == "bad_signature"
    r = client.post("/v1/webhooks/erp", content=body)
    assert r.status_code == 401


def test_webhook_with_a_bad_body_is_422(client: TestClient, sign: Any) -> None:
    body, headers = sign(["not", "an", "object"])
    r = client.post("/v1/webhooks/erp", content=body, headers=headers)
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "changes"


def test_webhook_needs_no_api_key_but_other_routes_do(client: TestClient, sign: Any) -> None:
    body, headers = sign({"changes": []})
    assert client.post("/v1/webhooks/erp", content=body, headers=headers).status_code == 202
    assert client.get("/v1/proposals").status_code == 401


def test_deleted_records_and_their_event(client: TestClient, keys: Any) -> None:
    _post(client, keys.write, _product("P1", WIDGET))
    delete = {"entity_type": "product", "native_id": "P1", "op": "delete"}
    report = _post(client, keys.write, delete)
    assert report["deleted"] == 1
    rec = client.get("/v1/records/product/by-native/erp/P1", headers=_h(keys.read)).json()
    assert rec["deleted"] is True
    assert rec["version"] == 2
    listed = client.get("/v1/records/product", headers=_h(keys.read)).json()
    assert listed["items"] == []
    listed = client.get(
        "/v1/records/product", headers=_h(keys.read), params={"include_deleted": "true"}
    ).json()
    assert [r["id"] for r in listed["items"]] == [rec["id"]]
    events = client.get("/v1/events", headers=_h(keys.read)).json()["items"]
    assert events[-1]["type"] == "dev.crossdock.product.deleted"
    assert events[-1]["entityversion"] == 2


def test_decimal_numbers_stay_exact(client: TestClient, keys: Any) -> None:
    raw = (
        b'{"system": "erp", "changes": [{"entity_type": "product", "native_id": "P1", '
        b'"data": {"sku": "ABC-1", "base_uom": "EA", "list_price": 12.50, "cost": 0.1}}]}'
    )
    r = client.post(
        "/v1/changes", headers={**_h(keys.write), "Content-Type": "application/json"}, content=raw
    )
    assert r.json()["created"] == 1, r.text
    rec = client.get("/v1/records/product/by-native/erp/P1", headers=_h(keys.read)).json()
    assert rec["data"]["list_price"] == "12.50"
    assert rec["data"]["cost"] == "0.1"
