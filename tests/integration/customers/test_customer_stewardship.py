"""The steward's verbs over HTTP and the CLI: merge, unmerge, keep apart, link.

Accepting a dedupe pair merges it; a decided pair is never filed again.
"""

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
from crossdock.model.base import EntityType

from .test_customer_matching import change, cust, hub, ingest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

pytestmark = pytest.mark.integration
runner = CliRunner()
CUS = EntityType.CUSTOMER
Client = tuple[TestClient, Application, dict[str, dict[str, str]]]


def two_records(url: str) -> tuple[str, str]:
    """Two records of one company, made with matching off (so nothing linked them)."""
    app = Application.open(hub().model_copy(update={"customers": None}), store_url=url)
    ingest(app, change("erp", "E-1", cust("ACME Corp.", "12 Main St, Ste 4")))
    ingest(app, change("erp", "E-2", cust("Acme Corporation", "12 Main Street #4")))
    ids = tuple(app.hub.store.crosswalk.resolve("erp", CUS, n) for n in ("E-1", "E-2"))
    app.close()
    assert None not in ids
    return ids  # type: ignore[return-value]


@pytest.fixture
def client(store_url: str) -> Iterator[Client]:
    two_records(store_url)
    app = Application.open(hub(), store_url=store_url)
    store = app.hub.store

    def key(name: str, scopes: list[str]) -> dict[str, str]:
        return {"Authorization": "Bearer " + create_api_key(store, name, scopes)}

    keys = {"read": key("read", ["read"]), "approve": key("approve", ["read", "approve"])}
    with TestClient(create_app(app)) as c:
        yield c, app, keys
    app.close()


def ids(app: Application) -> tuple[str, str]:
    found = [app.hub.store.crosswalk.resolve("erp", CUS, n) for n in ("E-1", "E-2")]
    return found[0], found[1]  # type: ignore[return-value]


def test_merge_and_unmerge_over_http_need_the_approve_scope(client: Client) -> None:
    c, app, keys = client
    a, b = ids(app)
    body = {"survivor_id": a, "merged_id": b, "note": "same company"}
    denied = c.post("/v1/customers/merge", json=body, headers=keys["read"])
    assert denied.status_code == 403
    r = c.post("/v1/customers/merge", json=body, headers=keys["approve"])
    assert r.status_code == 200, r.text
    merge_id = r.json()["merge_id"]
    assert app.hub.store.records.get(CUS, b).deleted  # type: ignore[union-attr]
    again = c.post("/v1/customers/merge", json=body, headers=keys["approve"])
    assert again.status_code == 409
    assert again.headers["content-type"].startswith("application/problem+json")
    missing = c.post(
        "/v1/customers/merge", json={"survivor_id": a, "merged_id": "cus_x"},
        headers=keys["approve"],
    )  # fmt: skip
    assert missing.status_code == 404
    r = c.post(f"/v1/customers/merges/{merge_id}/unmerge", headers=keys["approve"])
    assert r.status_code == 200, r.text
    assert not app.hub.store.records.get(CUS, b).deleted  # type: ignore[union-attr]
    # decided once (merged): dedupe never files the pair again, even after the unmerge
    assert app.customers.dedupe().filed == 0


def test_keep_apart_and_link_over_http(client: Client) -> None:
    c, app, keys = client
    a, b = ids(app)
    r = c.post(
        "/v1/customers/keep-apart", json={"record_id": a, "other_id": b}, headers=keys["approve"]
    )
    assert r.status_code == 200, r.text
    assert app.customers.dedupe().filed == 0  # kept apart: never asked
    assert app.hub.store.audit.page(action="customer.keep_apart")
    r = c.post(
        "/v1/customers/link",
        json={"system": "portal", "native_id": "P-5", "record_id": a},
        headers=keys["approve"],
    )
    assert r.status_code == 200, r.text
    assert app.hub.store.crosswalk.resolve("portal", CUS, "P-5") == a
    clash = c.post(
        "/v1/customers/link",
        json={"system": "portal", "native_id": "P-5", "record_id": b},
        headers=keys["approve"],
    )
    assert clash.status_code == 409
    assert "merge" in clash.json()["detail"]


def test_cli_accepting_a_dedupe_pair_merges_and_unmerge_restores(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'hub.sqlite'}"
    cfg = tmp_path / "crossdock.yaml"
    cfg.write_text(
        f"""
store: {{url: "{url}"}}
systems: [{{name: crm, kind: files}}, {{name: portal, kind: files}}, {{name: erp, kind: files}}]
ownership:
  customer: {{owner: crm, create: [crm, portal, erp], fields: {{"*": "*"}}}}
customers: {{upper: 14, lower: 6, survivorship: {{priority: [erp, crm]}}}}
""",
        encoding="utf-8",
    )
    a, b = two_records(url)
    r = runner.invoke(cli, ["customers", "dedupe", "-c", str(cfg), "--json"])
    assert r.exit_code == 0, r.output
    r = runner.invoke(cli, ["customers", "review", "-c", str(cfg), "--json"])
    [task] = json.loads(r.stdout)["items"]
    r = runner.invoke(cli, ["customers", "accept", str(task["id"]), "-c", str(cfg)])
    assert r.exit_code == 0, r.output
    # the pair's first record survives: ids made in one millisecond sort either way
    keep, gone = task["record_id"], task["other_id"]
    assert {keep, gone} == {a, b}
    app = Application.open(hub(), store_url=url)
    try:
        assert app.hub.store.records.get(CUS, gone).deleted  # type: ignore[union-attr]
        assert not app.hub.store.records.get(CUS, keep).deleted  # type: ignore[union-attr]
        assert app.hub.store.crosswalk.resolve("erp", CUS, "E-2") == keep
    finally:
        app.close()
    r = runner.invoke(cli, ["customers", "unmerge", "1", "-c", str(cfg)])
    assert r.exit_code == 0, r.output
    r = runner.invoke(cli, ["customers", "unmerge", "1", "-c", str(cfg)])
    assert r.exit_code != 0 and "unmerged already" in r.output
    r = runner.invoke(cli, ["customers", "keep-apart", a, b, "-c", str(cfg)])
    assert r.exit_code != 0 and "unmerge them instead" in r.output  # decided the same before
    r = runner.invoke(cli, ["customers", "merge", a, b, "-c", str(cfg), "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["merge_id"] == 2
    r = runner.invoke(cli, ["customers", "link", "portal", "P-1", a, "-c", str(cfg)])
    assert r.exit_code == 0, r.output
