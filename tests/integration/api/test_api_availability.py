"""/v1/availability and /v1/reservations over HTTP: answers, feeds, and problems naming fields."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from crossdock.api import create_api_key, create_app
from crossdock.app import Application
from crossdock.config.availability import AvailabilityConfig
from crossdock.config.hub import HubConfig
from crossdock.model.base import EntityType
from crossdock.model.change import Change
from crossdock.store import Store
from crossdock.sync.runtime import Hub

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

pytestmark = pytest.mark.integration
CONFIG = AvailabilityConfig.model_validate(
    {
        "locations": ["W1", "W2"],
        "regions": {"west": ["W2", "W1"]},
        "channels": [{"name": "web", "ring_fence_percent": "50"}],
    }
)


@pytest.fixture
def setup(tmp_path: Path) -> Iterator[tuple[TestClient, dict[str, dict[str, str]], Hub]]:
    hub = Hub(HubConfig(availability=CONFIG), Store.open(f"sqlite:///{tmp_path / 'h.sqlite'}"))
    keys = {
        scope: {"Authorization": "Bearer " + create_api_key(hub.store, scope, [scope])}
        for scope in ("read", "write", "admin")
    }
    with TestClient(create_app(Application(hub))) as client:
        yield client, keys, hub
    hub.close()


def events(*evs: dict[str, Any]) -> dict[str, Any]:
    return {"events": list(evs)}


def ev(key: str, kind: str, sku: str, loc: str, qty: Any) -> dict[str, Any]:
    return {"idempotency_key": key, "kind": kind, "sku": sku, "location": loc, "quantity": qty}


def test_feed_then_query_reserve_confirm(setup: Any) -> None:
    client, keys, _hub = setup
    r = client.post(
        "/v1/availability/events",
        json=events(ev("e1", "receipt", "A", "W1", 10), ev("e2", "receipt", "A", "W2", "2.5")),
        headers=keys["write"],
    )
    assert r.status_code == 200, r.text
    assert [i["atp"] for i in r.json()["items"]] == ["10", "2.5"]
    dup = client.post(
        "/v1/availability/events",
        json=events(ev("e1", "receipt", "A", "W1", 10)),
        headers=keys["write"],
    )
    assert dup.json()["items"][0]["duplicate"] is True

    r = client.get(
        "/v1/availability",
        params={"sku": "A", "channel": "web", "date": str(datetime.now(UTC).date())},
        headers=keys["read"],
    )
    assert r.status_code == 200, r.text
    (item,) = r.json()["items"]
    assert (item["atp"], item["channel_atp"], item["projected_atp"]) == ("12.5", "6.25", "12.5")
    w1 = item["locations"][0]
    assert w1["buckets"] == {
        "on_hand": "10",
        "allocated": "0",
        "reserved": "0",
        "safety_stock": "0",
        "on_hold": "0",
    }
    assert w1["channels"] == {"web": "5"}

    body = {"idempotency_key": "k1", "sku": "A", "location": "W1", "quantity": 4}
    first = client.post("/v1/reservations", json=body, headers=keys["write"])
    assert first.status_code == 201, first.text
    again = client.post("/v1/reservations", json=body, headers=keys["write"])
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    short = client.post(
        "/v1/reservations",
        json={**body, "idempotency_key": "k2", "quantity": 7},
        headers=keys["write"],
    )
    assert short.status_code == 409 and short.json()["code"] == "insufficient_stock"
    rid = first.json()["id"]
    got = client.get(f"/v1/reservations/{rid}", headers=keys["read"])
    assert got.json()["status"] == "held"
    done = client.post(
        f"/v1/reservations/{rid}/confirm", json={"order_ref": "SO-9"}, headers=keys["write"]
    )
    assert done.status_code == 200 and done.json()["status"] == "confirmed"
    gone = client.delete(f"/v1/reservations/{rid}", headers=keys["write"])
    assert gone.status_code == 409
    assert client.delete("/v1/reservations/rsv_nope", headers=keys["write"]).status_code == 404
    assert client.post("/v1/reservations/sweep", headers=keys["write"]).status_code == 403
    swept = client.post("/v1/reservations/sweep", headers=keys["admin"])
    assert swept.status_code == 200 and swept.json() == {"expired": 0}


def test_problems_name_the_field(setup: Any) -> None:
    client, keys, _hub = setup
    client.post(
        "/v1/availability/events",
        json=events(ev("e1", "receipt", "A", "W1", 3)),
        headers=keys["write"],
    )
    assert client.get("/v1/availability", params={"sku": "A"}).status_code == 401
    unknown = client.get("/v1/availability", params={"sku": "ZZ"}, headers=keys["read"])
    assert unknown.status_code == 404 and "ZZ" in unknown.json()["detail"]
    assert unknown.headers["content-type"].startswith("application/problem+json")
    loc = client.get(
        "/v1/availability", params={"sku": "A", "location": "W9"}, headers=keys["read"]
    )
    assert loc.status_code == 422 and loc.json()["errors"][0]["field"] == "location"
    neg = client.post(
        "/v1/availability/events",
        json=events(ev("e2", "pick", "A", "W1", -2)),
        headers=keys["write"],
    )
    assert neg.status_code == 422 and neg.json()["errors"][0]["field"] == "events.0.quantity"
    neg_res = client.post(
        "/v1/reservations",
        json={"idempotency_key": "k", "sku": "A", "location": "W1", "quantity": "-1"},
        headers=keys["write"],
    )
    assert neg_res.status_code == 422
    assert neg_res.json()["errors"][0]["field"] == "quantity"
    assert (
        client.post(
            "/v1/availability/events",
            json=events(ev("e3", "receipt", "A", "W1", 1)),
            headers=keys["read"],
        ).status_code
        == 403
    )
    assert (
        client.get(
            "/v1/availability", params={"sku": "A", "channel": "fax"}, headers=keys["read"]
        ).status_code
        == 404
    )
    bad_date = client.get(
        "/v1/availability", params={"sku": "A", "date": "tomorrow"}, headers=keys["read"]
    )
    assert bad_date.status_code == 422
    confirm = client.post("/v1/reservations/rsv_x/confirm", headers=keys["write"])
    assert confirm.status_code == 404


def test_source_snapshot_drift_freshness_metrics(setup: Any) -> None:
    client, keys, hub = setup
    hub.ingest(
        [
            Change(
                system="erp",
                entity_type=EntityType.PRODUCT,
                native_id="A",
                data={"sku": "A", "relationships": [{"kind": "substitute", "sku": "B"}]},
            )
        ]
    )
    client.post(
        "/v1/availability/events",
        json=events(
            ev("e1", "receipt", "A", "W1", 3),
            ev("e2", "receipt", "A", "W2", 2),
            ev("e3", "receipt", "B", "W1", 10),
        ),
        headers=keys["write"],
    )
    plan = client.post(
        "/v1/availability/source",
        json={"lines": [{"sku": "A", "quantity": 8}], "ship_to": {"region": "west"}},
        headers=keys["read"],
    )
    assert plan.status_code == 200, plan.text
    (line,) = plan.json()["lines"]
    assert line["outcome"] == "substituted"
    assert [(a["sku"], a["location"], a["quantity"]) for a in line["allocations"]] == [
        ("A", "W2", "2"),
        ("A", "W1", "3"),
        ("B", "W1", "3"),
    ]
    snap = client.post(
        "/v1/availability/snapshots",
        json={
            "as_of": (datetime.now(UTC) + timedelta(seconds=1)).isoformat(),
            "items": [{"sku": "A", "location": "W1", "on_hand": 4}],
        },
        headers=keys["write"],
    )
    assert snap.status_code == 200, snap.text
    assert snap.json()["items"][0]["drift"] == "1"
    drift = client.get("/v1/availability/drift", params={"sku": "A"}, headers=keys["read"])
    assert [(d["location"], d["drift"], d["resolution"]) for d in drift.json()["items"]] == [
        ("W1", "1", "kept_wms")
    ]
    fresh = client.get("/v1/availability/freshness", headers=keys["read"]).json()["items"]
    assert {f["location"] for f in fresh} == {"W1", "W2"}
    assert all(f["age_seconds"] is not None and f["age_seconds"] >= 0 for f in fresh)
    metrics = client.get("/v1/metrics", headers=keys["read"]).text
    assert 'crossdock_wms_freshness_seconds{location="W1"}' in metrics
    bad = client.post(
        "/v1/availability/snapshots",
        json={
            "as_of": "2026-01-01T00:00:00",
            "items": [{"sku": "A", "location": "W1", "on_hand": 1}],
        },
        headers=keys["write"],
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "as_of"
