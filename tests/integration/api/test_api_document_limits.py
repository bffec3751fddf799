"""Inbound documents have a depth and size limit, and no stored row can break a listing.

A signed webhook whose data nests 254 levels deep used to be accepted and kept as
an exception whose listing then answered 500 to every key. Now every inbound
path refuses a document past the limit before anything is stored, with a problem
naming the limit, and an exception row holding the worst document the limits
allow (or a legacy row past them) still lists and shows.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from standardwebhooks import Webhook

from crossdock.api import create_api_key, create_app
from crossdock.app import Application
from crossdock.config.hub import EntityOwnership, HubConfig, SystemConfig
from crossdock.connectors.kit.limits import MAX_DEPTH
from crossdock.model.base import EntityType
from crossdock.store import Store
from crossdock.store.records import NewException
from crossdock.sync.runtime import Hub

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

pytestmark = pytest.mark.integration
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


def _nested(depth: int) -> Any:
    value: Any = "leaf"
    for _ in range(depth):
        value = {"a": value}
    return value


@pytest.fixture
def hub(store_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Hub]:
    monkeypatch.setenv("PORTAL_SECRET", SECRET)
    config = HubConfig(
        systems=[
            SystemConfig(name="portal", kind="webhook", settings={"secret_env": "PORTAL_SECRET"})
        ],
        ownership={EntityType.PRODUCT: EntityOwnership(owner="portal")},
    )
    h = Hub(config, Store.open(store_url))
    yield h
    h.close()


@pytest.fixture
def client(hub: Hub) -> Iterator[TestClient]:
    with TestClient(create_app(Application(hub))) as c:
        yield c


def _post_signed(client: TestClient, payload: Any, msg_id: str) -> Any:
    body = json.dumps(payload)
    now = datetime.now(UTC)
    headers = {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": Webhook(SECRET).sign(msg_id, now, body),
        "content-type": "application/json",
    }
    return client.post("/v1/webhooks/portal", content=body.encode(), headers=headers)


def test_a_too_deep_webhook_is_refused_before_anything_is_stored(
    hub: Hub, client: TestClient
) -> None:
    change = {"entity_type": "product", "native_id": "P1", "data": {"sku": "P1", "x": _nested(254)}}
    answer = _post_signed(client, change, "msg_deep")
    assert answer.status_code == 422, answer.text
    problem = answer.json()
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert f"{MAX_DEPTH}" in problem["detail"] and "deep" in problem["detail"]
    hub.process_inbox()
    assert hub.store.exceptions.page(status=None) == []


def test_the_worst_allowed_document_lists_and_shows(hub: Hub, client: TestClient) -> None:
    key = create_api_key(hub.store, "reader", ["read"])
    auth = {"Authorization": f"Bearer {key}"}
    worst = {"change": {"data": _nested(MAX_DEPTH - 2), "wide": ["x" * 1000] * 200}}
    legacy = {"change": {"data": _nested(300)}}  # written before the limits existed
    with hub.store.write() as tx:
        tx.add_exceptions(
            [
                NewException(
                    system="portal", code="validation_failed", reason="worst", payload=worst
                ),
                NewException(
                    system="portal", code="validation_failed", reason="old", payload=legacy
                ),
            ],
            datetime.now(UTC),
        )
    page = client.get("/v1/exceptions?status=all", headers=auth)
    assert page.status_code == 200, page.text
    items = page.json()["items"]
    assert [i["reason"] for i in items] == ["worst", "old"]
    for item in items:
        one = client.get(f"/v1/exceptions/{item['id']}", headers=auth)
        assert one.status_code == 200, one.text


def test_jsonl_rows_past_the_depth_limit_are_row_exceptions(tmp_path: Path, store_url: str) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    rows = [
        {"account_number": "C1", "name": "Deep", "notes": _nested(100)},
        {"account_number": "C2", "name": "Fine"},
    ]
    (inbox / "erp_customers_1.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    config = HubConfig(
        systems=[
            SystemConfig(
                name="erp",
                kind="files",
                settings={
                    "inbox": str(inbox),
                    "mappings": [
                        {
                            "pattern": "erp_customers*.jsonl",
                            "entity": "customer",
                            "id": "account_number",
                        }
                    ],
                },
            )
        ],
        ownership={EntityType.CUSTOMER: EntityOwnership(owner="erp")},
    )
    hub = Hub(config, Store.open(store_url))
    try:
        hub.pull()
        (exc,) = hub.store.exceptions.page(status=None)
        assert exc.ref == "erp_customers_1.jsonl:1"
        assert str(MAX_DEPTH) in exc.reason
        assert [r.data["account_number"] for r in hub.store.records.page(EntityType.CUSTOMER)] == [
            "C2"
        ]
    finally:
        hub.close()
