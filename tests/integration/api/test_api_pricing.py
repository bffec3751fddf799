"""Prices over HTTP: quotes with explanations, bad input as problems, price books, changes."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest

from crossdock.model.base import EntityType
from crossdock.model.change import Change
from crossdock.sync.runtime import Hub

pytestmark = pytest.mark.integration


def put(hub: Hub, etype: EntityType, native: str, data: dict[str, Any]) -> None:
    report = hub.ingestor.ingest(
        [Change(system="erp", entity_type=etype, native_id=native, data=data)]
    )
    assert not report.exceptions, report


@pytest.fixture
def catalog(hub: Hub) -> None:
    put(hub, EntityType.PRODUCT, "W-1", {"sku": "W-1", "units": [{"code": "CS", "factor": "12"}]})
    put(hub, EntityType.PRODUCT, "W-2", {"sku": "W-2", "channels": ["b2b"]})
    put(
        hub,
        EntityType.CUSTOMER,
        "ACME",
        {"account_number": "ACME", "sites": [{"code": "DAL", "roles": ["ship_to"]}]},
    )
    put(
        hub,
        EntityType.PRICE_LIST,
        "BASE",
        {
            "code": "BASE",
            "kind": "base",
            "entries": [
                {
                    "sku": "W-1",
                    "breaks": [
                        {"min_quantity": "1", "value": "10.00"},
                        {"min_quantity": "24", "value": "9.00"},
                    ],
                },
                {"sku": "W-2", "breaks": [{"min_quantity": "1", "value": "3.10"}]},
            ],
        },
    )


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def test_quote_explained_and_bad_lines_named(client: Any, keys: Any, catalog: None) -> None:
    body = {
        "customer": "ACME",
        "ship_to": "DAL",
        "lines": [
            {"sku": "W-1", "quantity": "2", "unit": "CS"},
            {"sku": "NOPE", "quantity": "1"},
            {"sku": "W-1", "quantity": "1", "unit": "PAL"},
            {"sku": "W-1", "quantity": "0"},
            {"sku": "W-2", "quantity": 3},
        ],
    }
    r = client.post("/v1/prices/quote?explain=true", json=body, headers=auth(keys.read))
    assert r.status_code == 200, r.text
    doc = r.json()
    assert (doc["priced"], doc["problems"]) == (2, 3)
    first = doc["lines"][0]
    assert (first["unit_price"], first["extended_price"], first["base_quantity"]) == (
        "108.00",
        "216.00",
        "24",
    )
    assert first["rule"]["list_code"] == "BASE" and first["candidates"][0]["outcome"] == "won"
    fields = [x["problem"]["field"] for x in doc["lines"] if "problem" in x]
    assert fields == ["lines.1.sku", "lines.2.unit", "lines.3.quantity"]
    assert doc["lines"][4]["unit_price"] == "3.10"
    assert "tie_break" in doc


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"customer": "WHO", "lines": [{"sku": "W-1", "quantity": "1"}]}, "customer"),
        (
            {"customer": "ACME", "ship_to": "NYC", "lines": [{"sku": "W-1", "quantity": "1"}]},
            "ship_to",
        ),
        ({"customer": "ACME", "lines": [{"sku": "W-1", "quantity": "1"}] * 1001}, "lines"),
        ({"customer": "ACME", "lines": [{"sku": "W-1", "quantity": 1.5}]}, "lines.0.quantity"),
        ({"customer": "ACME", "lines": []}, "lines"),
    ],
)
def test_request_problems_name_the_field(
    client: Any, keys: Any, catalog: None, body: dict[str, Any], field: str
) -> None:
    r = client.post("/v1/prices/quote", json=body, headers=auth(keys.read))
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert field in [e["field"] for e in r.json().get("errors", [])], r.json()


def test_quote_needs_a_key(client: Any, catalog: None) -> None:
    r = client.post("/v1/prices/quote", json={"customer": "ACME", "lines": []})
    assert r.status_code == 401


def test_a_committed_change_is_priced_by_the_next_quote(
    client: Any, keys: Any, hub: Hub, catalog: None
) -> None:
    body = {"customer": "ACME", "lines": [{"sku": "W-2", "quantity": "1"}]}
    first = client.post("/v1/prices/quote", json=body, headers=auth(keys.read)).json()
    assert first["lines"][0]["unit_price"] == "3.10"
    after = client.get("/v1/prices/changes", headers=auth(keys.read)).json()["next"]
    put(
        hub,
        EntityType.PRICE_LIST,
        "ACME-C",
        {
            "code": "ACME-C",
            "kind": "contract",
            "scope": {"customers": ["ACME"]},
            "entries": [{"sku": "W-2", "breaks": [{"min_quantity": "1", "value": "2.95"}]}],
        },
    )
    second = client.post("/v1/prices/quote", json=body, headers=auth(keys.read)).json()
    assert second["lines"][0]["unit_price"] == "2.95"
    changes = client.get(f"/v1/prices/changes?after={after}", headers=auth(keys.read)).json()
    assert [c["customers"] for c in changes["items"]] == [["ACME"]]


def test_price_book_streams_jsonl_and_csv(client: Any, keys: Any, catalog: None) -> None:
    r = client.get("/v1/prices/book/ACME?channel=b2b", headers=auth(keys.read))
    assert r.status_code == 200
    rows = [json.loads(x) for x in r.text.splitlines()]
    assert [(x["sku"], x["unit_price"]) for x in rows] == [("W-1", "10.00"), ("W-2", "3.10")]
    r = client.get("/v1/prices/book/ACME?format=csv", headers=auth(keys.read))
    assert r.headers["content-type"].startswith("text/csv")
    table = list(csv.DictReader(io.StringIO(r.text)))
    assert [x["sku"] for x in table] == ["W-1"]  # W-2 is sold on b2b only
    r = client.get("/v1/prices/book/WHO", headers=auth(keys.read))
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "customer"


def test_serve_warms_the_price_index_before_the_first_quote(hub: Hub, catalog: None) -> None:
    from crossdock.app import Application

    application = Application(hub)
    application.warm().join(timeout=60)
    service = application.pricing
    assert service.seq == hub.store.outbox.last_seq() and "W-1" in service.index.products
