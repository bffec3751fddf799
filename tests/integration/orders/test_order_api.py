"""/v1/orders over HTTP: intake as the key's system, one order, timeline, holds, release, reject,
and bad input answered as problems naming the line and field, with nothing written."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import Any

import pytest

from crossdock.api import create_api_key, create_app
from crossdock.app import Application

from .seed import customer, line, seeded

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

pytestmark = pytest.mark.integration
Setup = tuple[TestClient, dict[str, dict[str, str]], Application]


@pytest.fixture
def setup(store_url: str) -> Iterator[Setup]:
    app = seeded(store_url)
    store = app.hub.store

    def key(name: str, scopes: list[str], **kw: Any) -> dict[str, str]:
        return {"Authorization": "Bearer " + create_api_key(store, name, scopes, **kw)}

    keys = {
        "portal": key("portal", [], system="portal"),
        "person": key("person", ["write"]),
        "read": key("read", ["read"]),
        "ops": key("ops", ["operate"]),
    }
    with TestClient(create_app(app)) as client:
        yield client, keys, app
    app.close()


def body(number: str = "PO-1", *lines: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {
        "order_number": number,
        "customer": "ACME",
        "ship_to": "S1",
        "lines": list(lines) or [line(1, qty="2")],
        **fields,
    }


def test_post_get_timeline_and_retry(setup: Setup) -> None:
    client, keys, _app = setup
    r = client.post(
        "/v1/orders", json=body(lines=None) | {"lines": [line(1, qty=2.5)]}, headers=keys["portal"]
    )
    assert r.status_code == 201, r.text
    o = r.json()
    assert (o["channel"], o["status"], o["total"]) == ("portal", "accepted", "25.000")
    assert o["lines"][0]["unit_price"] == "10.00"
    assert o["reservations"][0]["quantity"] == "2.5"
    again = client.post(
        "/v1/orders", json=body(lines=None) | {"lines": [line(1, qty=2.5)]}, headers=keys["portal"]
    )
    assert again.status_code == 200 and again.json()["id"] == o["id"]
    got = client.get(f"/v1/orders/{o['id']}", headers=keys["read"])
    assert got.status_code == 200 and got.json()["status"] == "accepted"
    tl = client.get(f"/v1/orders/{o['id']}/timeline", headers=keys["read"]).json()
    kinds = [s["kind"] for s in tl["steps"]]
    assert kinds[0] == "intake" and kinds[-1] == "decision" and "reservation" in kinds
    assert client.get("/v1/orders/ord_nope", headers=keys["read"]).status_code == 404
    assert client.get("/v1/orders/ord_nope/timeline", headers=keys["read"]).status_code == 404
    # only a system's key sends orders; a read key may not
    assert client.post("/v1/orders", json=body("X"), headers=keys["person"]).status_code == 403
    assert client.post("/v1/orders", json=body("X"), headers=keys["read"]).status_code == 403


def test_holds_queue_release_and_reject(setup: Setup) -> None:
    client, keys, app = setup
    customer(app.hub.store, credit_limit="50")
    r = client.post("/v1/orders", json=body("PO-1", line(1, qty="6")), headers=keys["portal"])
    assert r.json()["status"] == "on_hold" and r.json()["holds"] == ["credit"]
    oid = r.json()["id"]
    queue = client.get("/v1/orders", params={"status": "on_hold"}, headers=keys["read"]).json()
    assert [i["id"] for i in queue["items"]] == [oid]
    no_note = client.post(f"/v1/orders/{oid}/release", json={}, headers=keys["ops"])
    assert no_note.status_code == 422
    assert (
        client.post(
            f"/v1/orders/{oid}/release", json={"note": "x"}, headers=keys["read"]
        ).status_code
        == 403
    )
    customer(app.hub.store, credit_limit="500")
    done = client.post(f"/v1/orders/{oid}/release", json={"note": "raised"}, headers=keys["ops"])
    assert done.status_code == 200 and done.json()["status"] == "accepted", done.text
    again = client.post(f"/v1/orders/{oid}/release", json={"note": "x"}, headers=keys["ops"])
    assert again.status_code == 409
    rej = client.post(f"/v1/orders/{oid}/reject", json={"note": "dup"}, headers=keys["ops"])
    assert rej.json()["status"] == "rejected"
    assert all(res["released"] for res in rej.json()["reservations"])
    changed = client.post("/v1/orders", json=body("PO-1", line(1, qty="1")), headers=keys["portal"])
    assert changed.status_code == 409


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"customer": "NOPE"}, "customer"),
        ({"ship_to": "B1"}, "ship_to"),
        ({"lines": [line(1), line(2), line(3), line(4, "NOPE")]}, "lines.3.sku"),
        ({"lines": [line(1, unit="PAL")]}, "lines.0.unit"),
        ({"lines": [line(1, qty="0")]}, "lines.0.quantity"),
        ({"lines": [line(1, qty="-2")]}, "lines.0.quantity"),
        ({"lines": [line(1), line(1)]}, "lines.1.line_number"),
        ({"lines": [line(1, qty="abc")]}, "lines.0.quantity"),
        ({"lines": [line(1, qty=True)]}, "lines.0.quantity"),
        ({"lines": [line(i + 1) for i in range(5000)]}, "lines"),
        ({"lines": []}, "lines"),
        ({"lines": "W-1"}, "lines"),
        ({"lines": [line(1) | {"line_number": "one"}]}, "lines.0.line_number"),
        ({"lines": [line(1, unit_price="-1")]}, "lines.0.unit_price"),
        ({"lines": [line(1, colour="red")]}, "lines.0.colour"),
        ({"order_number": 7}, "order_number"),
        ({"customer": None}, "customer"),
        ({"customer": None, "channel_customer_id": "C-404"}, "channel_customer_id"),
        ({"bill_to": "S1"}, "bill_to"),
        ({"bill_to": "NOPE"}, "bill_to"),
    ],
)
def test_bad_input_is_a_problem_naming_the_field(
    setup: Setup, change: dict[str, Any], field: str
) -> None:
    client, keys, app = setup
    r = client.post("/v1/orders", json=body("PO-1") | change, headers=keys["portal"])
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    problem = r.json()
    fields = [f["field"] for f in problem["errors"]]
    assert field in fields, problem
    assert all(f["reason"] for f in problem["errors"]), problem
    assert app.hub.store.orders.page() == []
    (item,) = app.availability.availability(["W-1"])
    assert item.locations[0].buckets.reserved == 0


def test_a_channels_key_sees_its_own_orders_only(setup: Setup) -> None:
    client, keys, app = setup
    shop = {"Authorization": "Bearer " + create_api_key(app.hub.store, "shop", [], system="shop")}
    mine = client.post("/v1/orders", json=body("P-1"), headers=keys["portal"]).json()
    theirs = client.post("/v1/orders", json=body("S-1"), headers=shop).json()
    assert client.get(f"/v1/orders/{mine['id']}", headers=keys["portal"]).status_code == 200
    for path in (f"/v1/orders/{theirs['id']}", f"/v1/orders/{theirs['id']}/timeline"):
        r = client.get(path, headers=keys["portal"])
        assert r.status_code == 404, path  # as if it were not there
    listed = client.get("/v1/orders", headers=keys["portal"]).json()["items"]
    assert [o["id"] for o in listed] == [mine["id"]]
    everyone = client.get("/v1/orders", headers=keys["read"]).json()["items"]
    assert {o["id"] for o in everyone} == {mine["id"], theirs["id"]}


def test_cancel_by_the_channel_or_an_operator_not_by_others(setup: Setup) -> None:
    client, keys, app = setup
    store = app.hub.store
    keys["shop"] = {"Authorization": "Bearer " + create_api_key(store, "shop", [], system="shop")}
    o = client.post("/v1/orders", json=body("PO-1"), headers=keys["portal"]).json()
    note = {"note": "customer called"}
    # another channel's key does not see it; a read key may not cancel
    assert (
        client.post(f"/v1/orders/{o['id']}/cancel", json=note, headers=keys["shop"]).status_code
        == 404
    )
    assert (
        client.post(f"/v1/orders/{o['id']}/cancel", json=note, headers=keys["read"]).status_code
        == 403
    )
    r = client.post(f"/v1/orders/{o['id']}/cancel", json=note, headers=keys["portal"])
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "cancelled" and r.json()["problem"] is None
    assert all(res["released"] for res in r.json()["reservations"])
    again = client.post(f"/v1/orders/{o['id']}/cancel", json=note, headers=keys["ops"])
    assert again.status_code == 200 and again.json()["status"] == "cancelled"
    (audit,) = [a for a in store.audit.page(limit=100) if a.action == "order.cancel"]
    assert "system:portal" in audit.actor and audit.detail["note"] == "customer called"
    # an operator cancels any order; a rejected one cannot be cancelled
    p2 = client.post("/v1/orders", json=body("PO-2"), headers=keys["portal"]).json()
    client.post(f"/v1/orders/{p2['id']}/reject", json=note, headers=keys["ops"])
    r = client.post(f"/v1/orders/{p2['id']}/cancel", json=note, headers=keys["ops"])
    assert r.status_code == 409 and r.headers["content-type"] == "application/problem+json"
    assert (
        client.post(f"/v1/orders/{o['id']}/cancel", json={}, headers=keys["ops"]).status_code == 422
    )


def test_metrics_count_orders_per_state(setup: Setup) -> None:
    client, keys, _app = setup
    client.post("/v1/orders", json=body("PO-1"), headers=keys["portal"])
    text = client.get("/v1/metrics", headers=keys["read"]).text
    assert 'crossdock_orders{status="accepted"} 1.0' in text
    assert "crossdock_orders_stuck 0.0" in text and "crossdock_orders_with_problem 0.0" in text
