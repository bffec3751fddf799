"""Onboarding over HTTP (``/v1/customers/{id}/onboarding``) and the CLI (`customers onboarding`)."""

from __future__ import annotations

import json
import warnings
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from crossdock.api import create_api_key, create_app
from crossdock.app import Application
from crossdock.cli import app as cli
from crossdock.config.alerts import AlertKind, AlertRule
from crossdock.connectors.kit.testing import MemoryDestination
from crossdock.services.customers.onboarding import Onboarder
from crossdock.sync.alerts import AlertKeeper

from .onboarding_hub import CUS, change, cust, hub

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

pytestmark = pytest.mark.integration
runner = CliRunner()


def waiting_for_credit(app: Application) -> tuple[str, Onboarder]:
    """A portal sign-up asking 50000, waiting for a person; its customer id."""
    assert app.hub.config.customers is not None
    ob = Onboarder(
        app.hub.store, app.hub.config.customers, app.hub.ingestor, lambda _: MemoryDestination()
    )
    app.hub.ingestor.ingest([change("portal", "P-1", cust("Bolt Brothers", credit_limit="50000"))])
    ob.run_once()
    cid = app.hub.store.crosswalk.resolve("portal", CUS, "P-1")
    assert cid is not None
    return cid, ob


def test_show_approve_and_problems_over_http(store_url: str) -> None:
    app = Application.open(hub(), store_url=store_url)
    cid, ob = waiting_for_credit(app)
    store = app.hub.store
    read = {"Authorization": "Bearer " + create_api_key(store, "r", ["read"])}
    approve = {"Authorization": "Bearer " + create_api_key(store, "a", ["read", "approve"])}
    try:
        with TestClient(create_app(app)) as c:
            r = c.get(f"/v1/customers/{cid}/onboarding", headers=read)
            assert r.status_code == 200, r.text
            doc = r.json()
            assert (doc["step"], doc["status"]) == ("credit", "waiting")
            assert "50000" in doc["reason"]
            assert [e["outcome"] for e in doc["timeline"]] == ["started", "passed", "waiting"]
            denied = c.post(f"/v1/customers/{cid}/onboarding/approve", headers=read)
            assert denied.status_code == 403
            ok = c.post(
                f"/v1/customers/{cid}/onboarding/approve",
                json={"note": "known buyer"},
                headers=approve,
            )
            assert ok.status_code == 200, ok.text
            assert (ok.json()["step"], ok.json()["status"]) == ("tax", "ready")
            again = c.post(f"/v1/customers/{cid}/onboarding/approve", headers=approve)
            assert again.status_code == 409
            assert again.headers["content-type"].startswith("application/problem+json")
            assert c.get("/v1/customers/cus_nope/onboarding", headers=read).status_code == 404
            assert c.get("/v1/customers/bad%20id/onboarding", headers=read).status_code == 422
            assert c.get(f"/v1/customers/{cid}/onboarding").status_code == 401
        ob.run_once()
        assert ob.of_customer(cid).row.status.value == "done"
        [audit] = [
            a for a in store.audit.entries(100) if a["action"] == "customer.onboarding.approve"
        ]
        assert audit["target"] == f"customer/{cid}"
    finally:
        app.close()


def test_list_show_approve_retry_in_the_cli(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'hub.sqlite'}"
    cfg = tmp_path / "crossdock.yaml"
    doc = hub().model_dump(mode="json", exclude_defaults=True)
    cfg.write_text(json.dumps({**doc, "store": {"url": url}}), encoding="utf-8")
    app = Application.open(hub(), store_url=url)
    waiting_for_credit(app)
    app.close()

    r = runner.invoke(cli, ["customers", "onboarding", "list", "-c", str(cfg), "--json"])
    assert r.exit_code == 0, r.output
    [item] = json.loads(r.stdout)["items"]
    assert (item["step"], item["status"]) == ("credit", "waiting")
    oid = str(item["id"])
    r = runner.invoke(cli, ["customers", "onboarding", "retry", oid, "-c", str(cfg)])
    assert r.exit_code == 0, r.output
    r = runner.invoke(cli, ["customers", "onboarding", "approve", oid, "-c", str(cfg)])
    assert r.exit_code == 2  # retried: ready again, not waiting for a person
    assert "only a waiting" in r.output
    r = runner.invoke(cli, ["customers", "onboarding", "show", oid, "-c", str(cfg), "--json"])
    assert r.exit_code == 0, r.output
    shown = json.loads(r.stdout)
    assert shown["status"] == "ready"
    assert shown["timeline"][-1]["outcome"] == "retried"
    assert shown["timeline"][-1]["actor"].startswith("cli:")
    r = runner.invoke(cli, ["customers", "onboarding", "show", "99", "-c", str(cfg)])
    assert r.exit_code == 2


def test_start_by_hand_over_http_and_in_the_cli(store_url: str, tmp_path: Path) -> None:
    app = Application.open(hub(), store_url=store_url)
    store = app.hub.store
    assert app.hub.config.customers is not None
    ob = Onboarder(store, app.hub.config.customers, app.hub.ingestor, lambda _: MemoryDestination())
    # the ERP is no onboarding source: its new customer is not picked up by the pump
    app.hub.ingestor.ingest([change("erp", "E-1", cust("Cog Works"))])
    app.hub.ingestor.ingest(
        [change("erp", "E-2", cust("Has Number", "77 Oak Rd", "10001", account_number="A-9"))]
    )
    ob.run_once()
    cid = store.crosswalk.resolve("erp", CUS, "E-1")
    numbered = store.crosswalk.resolve("erp", CUS, "E-2")
    assert cid is not None and numbered is not None
    assert store.onboarding.of_customer(cid) is None
    read = {"Authorization": "Bearer " + create_api_key(store, "r", ["read"])}
    approve = {"Authorization": "Bearer " + create_api_key(store, "a", ["read", "approve"])}
    try:
        with TestClient(create_app(app)) as c:
            assert c.post(f"/v1/customers/{cid}/onboarding").status_code == 401
            assert c.post(f"/v1/customers/{cid}/onboarding", headers=read).status_code == 403
            r = c.post(f"/v1/customers/{cid}/onboarding", headers=approve)
            assert r.status_code == 201, r.text
            assert (r.json()["step"], r.json()["source_system"]) == ("duplicates", "erp")
            again = c.post(f"/v1/customers/{cid}/onboarding", headers=approve)
            assert again.status_code == 409
            assert again.headers["content-type"].startswith("application/problem+json")
            has = c.post(f"/v1/customers/{numbered}/onboarding", headers=approve)
            assert has.status_code == 409
            assert "A-9" in has.json()["detail"]
            assert c.post("/v1/customers/cus_nope/onboarding", headers=approve).status_code == 404
        ob.run_once()
        done = ob.of_customer(cid).row
        assert done.status.value == "done", done
        assert done.facts.get("account_number")
        [audit] = [
            a for a in store.audit.entries(100) if a["action"] == "customer.onboarding.start"
        ]
        assert audit["target"] == f"customer/{cid}"
    finally:
        app.close()

    url = f"sqlite:///{tmp_path / 'by_hand.sqlite'}"
    cfg = tmp_path / "by_hand.yaml"
    doc = hub().model_dump(mode="json", exclude_defaults=True)
    cfg.write_text(json.dumps({**doc, "store": {"url": url}}), encoding="utf-8")
    app = Application.open(hub(), store_url=url)
    app.hub.ingestor.ingest([change("erp", "E-1", cust("Cog Works"))])
    cid = app.hub.store.crosswalk.resolve("erp", CUS, "E-1")
    app.close()
    assert cid is not None
    r = runner.invoke(cli, ["customers", "onboarding", "start", cid, "-c", str(cfg)])
    assert r.exit_code == 0, r.output
    assert "duplicates" in r.output
    r = runner.invoke(cli, ["customers", "onboarding", "start", cid, "-c", str(cfg)])
    assert r.exit_code == 2
    assert "has an onboarding already" in r.output


def test_an_onboarding_that_has_not_moved_raises_the_stuck_alert(store_url: str) -> None:
    app = Application.open(hub(), store_url=store_url)
    try:
        cid, ob = waiting_for_credit(app)
        keeper = AlertKeeper(app.hub)
        rule = AlertRule(name="onboarding-stuck", kind=AlertKind.ONBOARDING_STUCK, over=30)
        now = datetime.now(UTC)
        assert not keeper.measure(rule, [], now).firing  # waiting, but not for 30 minutes
        later = keeper.measure(rule, [], now + timedelta(minutes=31))
        assert (later.firing, later.value) == (True, 1)
        assert "1 customer onboardings" in later.message
        ob.approve(ob.of_customer(cid).row.id, "someone")
        ob.run_once()
        assert ob.of_customer(cid).row.status.value == "done"
        assert not keeper.measure(rule, [], now + timedelta(minutes=31)).firing
    finally:
        app.close()
