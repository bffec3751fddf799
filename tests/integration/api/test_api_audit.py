"""The audit log: every write and operator action with who, what, when and from where;
readable with filters, and no interface changes a row."""

from __future__ import annotations

import json
from typing import Any

import pytest
import sqlalchemy
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from crossdock.api import create_api_key
from crossdock.sync.runtime import Hub

pytestmark = pytest.mark.integration


def _h(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def _send(client: TestClient, key: str, native: str, data: dict[str, Any]) -> None:
    r = client.post(
        "/v1/changes",
        headers=_h(key),
        json={"changes": [{"entity_type": "product", "native_id": native, "data": data}]},
    )
    assert r.status_code == 200, r.text


def test_writes_and_operator_actions_are_audited_with_who_and_where(
    client: TestClient, keys: Any, hub: Hub
) -> None:
    _send(client, keys.write, "P1", {"sku": "P1"})
    _send(client, keys.write, "BAD", {"description": "no sku"})
    exc = client.get("/v1/exceptions", headers=_h(keys.read)).json()["items"][0]
    r = client.post(
        f"/v1/exceptions/{exc['id']}/dismiss", headers=_h(keys.operate), json={"note": "dup"}
    )
    assert r.status_code == 200, r.text

    page = client.get("/v1/audit", headers=_h(keys.operate)).json()
    newest = page["items"][0]
    assert newest["action"] == "exception.dismissed"
    assert newest["actor"].startswith("ops [") and "role:operator" in newest["actor"]
    assert newest["origin"] == "api testclient"
    ingests = client.get(
        "/v1/audit", headers=_h(keys.operate), params={"action": "changes."}
    ).json()["items"]
    assert len(ingests) == 2
    assert all("system:erp" in i["actor"] and i["target"] == "system/erp" for i in ingests)
    assert ingests[1]["detail"]["created"] == 1 and ingests[0]["detail"]["exceptions"] == 1
    # filters and paging
    mine = client.get(
        "/v1/audit", headers=_h(keys.operate), params={"actor": "role:operator", "limit": 1}
    ).json()
    assert [i["action"] for i in mine["items"]] == ["exception.dismissed"]
    older = client.get(
        "/v1/audit", headers=_h(keys.operate), params={"before": newest["id"], "limit": 1000}
    ).json()["items"]
    assert newest["id"] not in {i["id"] for i in older} and len(older) >= 2


def test_the_audit_log_needs_operate_and_has_no_way_to_change_it(
    client: TestClient, keys: Any
) -> None:
    assert client.get("/v1/audit").status_code == 401
    assert client.get("/v1/audit", headers=_h(keys.read)).status_code == 403
    assert client.get("/v1/audit", headers=_h(keys.write)).status_code == 403
    for method in ("post", "put", "patch", "delete"):
        r = getattr(client, method)("/v1/audit", headers=_h(keys.admin))
        assert r.status_code == 405, (method, r.status_code)
    doc = client.get("/v1/openapi.json").json()
    assert set(doc["paths"]["/v1/audit"]) == {"get"}


def test_the_store_refuses_to_update_an_audit_row(store_url: str) -> None:
    from crossdock.store import Store

    store = Store.open(store_url)
    try:
        create_api_key(store, "someone", ["read"])
        with (
            pytest.raises(sqlalchemy.exc.DBAPIError, match="append-only"),
            store.engine.begin() as conn,
        ):
            conn.execute(sqlalchemy.text("UPDATE audit_log SET actor = 'nobody'"))
        assert store.audit.page()[0].actor == "cli"
    finally:
        store.close()


def test_crossdock_audit_lists_and_filters(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from crossdock.cli import app

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PORTAL_WEBHOOK_SECRET", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
    runner = CliRunner()
    assert runner.invoke(app, ["init"]).exit_code == 0
    assert runner.invoke(app, ["keys", "create", "erp-prod", "--system", "erp"]).exit_code == 0
    assert runner.invoke(app, ["keys", "create", "bob", "--role", "viewer"]).exit_code == 0
    r = runner.invoke(app, ["audit", "--json", "--action", "api_key."])
    assert r.exit_code == 0, r.output
    rows = json.loads(r.output)
    assert [x["target"] for x in rows] == ["bob", "erp-prod"]
    assert rows[1]["detail"]["system"] == "erp" and rows[0]["detail"]["role"] == "viewer"
    assert all(x["origin"].startswith("cli ") for x in rows)
    r = runner.invoke(app, ["audit", "--actor", "nobody-at-all", "--json"])
    assert r.exit_code == 0 and json.loads(r.output) == []
