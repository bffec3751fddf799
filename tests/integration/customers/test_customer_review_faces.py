"""The review queue over HTTP (``/v1/customers/review``) and the CLI (`crossdock customers`)."""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from crossdock.api import create_api_key, create_app
from crossdock.app import Application
from crossdock.cli import app as cli

from .test_customer_matching import change, cust, hub, ingest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

pytestmark = pytest.mark.integration
runner = CliRunner()


def held(app: Application) -> None:
    ingest(app, change("crm", "C-1", cust("Acme Supply Corp.", "12 Main St")))
    ingest(app, change("portal", "P-2", cust("Acme Suply", "40 Oak Ave")))


@pytest.fixture
def client(store_url: str) -> Iterator[tuple[TestClient, Application, dict[str, dict[str, str]]]]:
    app = Application.open(hub(), store_url=store_url)
    store = app.hub.store

    def key(name: str, scopes: list[str]) -> dict[str, str]:
        return {"Authorization": "Bearer " + create_api_key(store, name, scopes)}

    keys = {"read": key("read", ["read"]), "approve": key("approve", ["read", "approve"])}
    with TestClient(create_app(app)) as c:
        yield c, app, keys
    app.close()


def test_list_accept_and_problems(
    client: tuple[TestClient, Application, dict[str, dict[str, str]]],
) -> None:
    c, app, keys = client
    held(app)
    r = c.get("/v1/customers/review", headers=keys["read"])
    assert r.status_code == 200, r.text
    [task] = r.json()["items"]
    assert task["kind"] == "incoming"
    assert task["held_changes"] == 1
    assert {x["field"] for x in task["explanation"]["comparisons"]} >= {"name", "street"}

    denied = c.post(f"/v1/customers/review/{task['id']}/accept", headers=keys["read"])
    assert denied.status_code == 403
    assert denied.headers["content-type"].startswith("application/problem+json")

    ok = c.post(
        f"/v1/customers/review/{task['id']}/accept", json={"note": "same"}, headers=keys["approve"]
    )
    assert ok.status_code == 200, ok.text
    assert ok.json()["record_id"] == task["record_id"]
    assert ok.json()["task"]["status"] == "accepted"

    again = c.post(f"/v1/customers/review/{task['id']}/reject", headers=keys["approve"])
    assert again.status_code == 409
    assert again.headers["content-type"].startswith("application/problem+json")
    missing = c.post("/v1/customers/review/424242/accept", headers=keys["approve"])
    assert missing.status_code == 404
    bad = c.post("/v1/customers/review/0/accept", headers=keys["approve"])
    assert bad.status_code == 422
    assert c.get("/v1/customers/review?status=bogus", headers=keys["read"]).status_code == 422
    done = c.get("/v1/customers/review?status=accepted", headers=keys["read"]).json()["items"]
    assert [t["id"] for t in done] == [task["id"]]


def test_cli_dedupe_review_reject(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'hub.sqlite'}"
    cfg = tmp_path / "crossdock.yaml"
    cfg.write_text(
        f"""
store: {{url: "{url}"}}
systems: [{{name: crm, kind: files}}, {{name: portal, kind: files}}, {{name: erp, kind: files}}]
ownership:
  customer: {{owner: crm, create: [crm, portal, erp], fields: {{"*": "*"}}}}
customers: {{upper: 14, lower: 6}}
""",
        encoding="utf-8",
    )
    app = Application.open(hub().model_copy(update={"customers": None}), store_url=url)
    ingest(app, change("erp", "E-1", cust("ACME Corp.", "12 Main St, Ste 4")))
    ingest(app, change("erp", "E-2", cust("Acme Corporation", "12 Main Street #4")))
    app.close()

    r = runner.invoke(cli, ["customers", "dedupe", "-c", str(cfg), "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout[r.stdout.index("{") :])["filed"] == 1
    r = runner.invoke(cli, ["customers", "review", "-c", str(cfg), "--json"])
    assert r.exit_code == 0, r.output
    [task] = json.loads(r.stdout)["items"]
    assert task["kind"] == "pair"
    r = runner.invoke(cli, ["customers", "reject", str(task["id"]), "-c", str(cfg)])
    assert r.exit_code == 0, r.output
    r = runner.invoke(cli, ["customers", "accept", str(task["id"]), "-c", str(cfg)])
    assert r.exit_code == 2  # decided already: a clear error, no traceback
    assert "already rejected" in r.output
    r = runner.invoke(cli, ["customers", "dedupe", "-c", str(cfg), "--json"])
    assert json.loads(r.stdout[r.stdout.index("{") :])["filed"] == 0  # never asked twice
