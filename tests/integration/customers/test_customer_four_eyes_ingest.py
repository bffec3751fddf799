"""Four eyes on ordinary ingest, on SQLite and PostgreSQL.

A change from a source system (no person, no API edit) that raises the credit
limit above the threshold, changes the payment terms or the bank details:
the rest applies at once, the sensitive fields wait as proposals naming the
sending system; approval by someone else sends them through ingest (the
record's provenance says the system, the outbox carries the event, the route
delivers it); a rejection is audited and applies nothing; a resend of the
same waiting value does not file it twice. The requester cannot approve
(API with the sending system's key, and the CLI as the same person).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from crossdock.api import create_api_key, create_app
from crossdock.app import Application
from crossdock.cli import app as cli
from crossdock.config.access import AccessConfig
from crossdock.config.customers import CustomersConfig
from crossdock.config.hub import EntityOwnership, HubConfig, RouteConfig, SystemConfig
from crossdock.connectors.registry import register
from crossdock.model.base import EntityType
from crossdock.model.change import Change
from crossdock.store import ProposalStatus

from .test_customer_matching import cust
from .test_customer_merge import KIND, SHOP, _Shop

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

pytestmark = pytest.mark.integration
CUS = EntityType.CUSTOMER
IBAN = "DE89 3704 0044 0532 0130 00"
BANK = {"holder": "ACME Corp.", "iban": IBAN, "bank_code": "COBADEFFXXX"}


def hub() -> HubConfig:
    register(KIND, _Shop)
    return HubConfig(
        systems=[
            *(SystemConfig(name=s, kind="files") for s in ("crm", "erp")),
            SystemConfig(name="shop", kind=KIND, settings={}),
        ],
        ownership={
            CUS: EntityOwnership(
                owner="crm",
                create=["crm", "erp"],
                fields={
                    "credit_limit": "erp",
                    "payment_terms": "erp",
                    "bank_account.*": "erp",
                    "*": "*",
                },
            )
        },
        routes=[RouteConfig(name="to-shop", entities=[CUS], destination="shop")],
        # the ERP's feed key may decide proposals, but never the ones it asked for itself
        access=AccessConfig.model_validate(
            {"systems": {"erp": {"operations": ["read", "write", "approve"]}}}
        ),
        customers=CustomersConfig.model_validate(
            {
                "upper": 400,
                "lower": 300,
                "approvals": {"credit_limit_increase": "500", "credit_limit_increase_pct": "20"},
            }
        ),
    )


@pytest.fixture
def app(store_url: str) -> Iterator[Application]:
    SHOP.held.clear()
    application = Application.open(hub(), store_url=store_url)
    application.hub.ingestor.ingest(
        [erp(cust("ACME Corp.", "12 Main St", credit_limit="1000", payment_terms="NET30"))]
    )
    yield application
    application.close()


def erp(data: dict[str, Any], key: str | None = None) -> Change:
    return Change("erp", CUS, "E-1", data, idempotency_key=key)


def record(app: Application) -> dict[str, Any]:
    rid = app.hub.store.crosswalk.resolve("erp", CUS, "E-1")
    assert rid is not None
    rec = app.hub.store.records.get(CUS, rid)
    assert rec is not None
    return {"id": rid, "version": rec.version, "prov": rec.provenance, **rec.data}


def pending(app: Application) -> dict[str, Any]:
    return {p.field: p for p in app.hub.store.proposals.page()}


def test_sensitive_fields_of_an_ingested_change_wait_and_the_rest_applies(
    app: Application,
) -> None:
    report = app.hub.ingestor.ingest(
        [erp({"credit_limit": "5000", "payment_terms": "NET90", "bank_account": BANK, "tier": "A"})]
    )
    assert report.updated == 1 and report.proposals == 3
    rec = record(app)
    assert rec["tier"] == "A"
    assert rec["credit_limit"] == "1000" and rec["payment_terms"] == "NET30"
    assert "bank_account" not in rec
    waiting = pending(app)
    assert set(waiting) == {"credit_limit", "payment_terms", "bank_account"}
    assert {p.requested_by for p in waiting.values()} == {"system:erp"}
    # a system that re-sends its whole record does not file the same value again
    again = app.hub.ingestor.ingest([erp({"credit_limit": "5000", "tier": "A"})])
    assert again.proposals == 0 and len(pending(app)) == 3


def test_below_the_threshold_and_decreases_apply_at_once(app: Application) -> None:
    report = app.hub.ingestor.ingest([erp({"credit_limit": "1100"})])  # +100, 10 %
    assert report.proposals == 0 and record(app)["credit_limit"] == "1100"
    app.hub.ingestor.ingest([erp({"credit_limit": "200"})])
    assert record(app)["credit_limit"] == "200" and pending(app) == {}


def test_approval_by_another_applies_through_ingest_and_fans_out(app: Application) -> None:
    app.hub.deliver()
    assert SHOP.held[(CUS, record(app)["id"])]["credit_limit"] == "1000"
    app.hub.ingestor.ingest([erp({"credit_limit": "5000", "bank_account": BANK})])
    store = app.hub.store
    client = TestClient(create_app(app))
    erp_key = create_api_key(store, "erp-feed", system="erp")
    bob = create_api_key(store, "bob", ["read", "write", "approve"])
    with client:
        listed = client.get("/v1/proposals", headers={"Authorization": "Bearer " + bob})
        assert {p["requested_by"] for p in listed.json()["items"]} == {"system:erp"}
        for p in pending(app).values():
            version = record(app)["version"]
            own = client.post(
                f"/v1/proposals/{p.id}/approve", headers={"Authorization": "Bearer " + erp_key}
            )
            assert own.status_code == 409, own.text
            assert own.headers["content-type"].startswith("application/problem+json")
            assert record(app)["version"] == version  # refused: nothing applied
            ok = client.post(
                f"/v1/proposals/{p.id}/approve", headers={"Authorization": "Bearer " + bob}
            )
            assert ok.status_code == 200, ok.text
            twice = client.post(
                f"/v1/proposals/{p.id}/approve", headers={"Authorization": "Bearer " + bob}
            )
            assert twice.status_code == 422  # decided: never applied twice
    rec = record(app)
    assert rec["credit_limit"] == "5000"
    assert rec["bank_account"]["iban"] == IBAN.replace(" ", "")
    assert rec["prov"]["credit_limit"][0] == "erp"  # lineage: the system's change
    last = store.outbox.history(CUS, rec["id"])[-2:]  # the two approvals' events
    assert {e.source_system for e in last} == {"erp"}
    assert any("credit_limit" in e.changed for e in last)
    app.hub.deliver()
    sent = SHOP.held[(CUS, rec["id"])]
    assert sent["credit_limit"] == "5000" and sent["bank_account"]["holder"] == "ACME Corp."
    # approved means approved: ingesting the approved value again files nothing
    assert app.hub.ingestor.ingest([erp({"credit_limit": "5000"})]).proposals == 0


def test_a_rejection_is_audited_and_applies_nothing(app: Application) -> None:
    from crossdock.sync.proposals import decide_proposal

    app.hub.ingestor.ingest([erp({"payment_terms": "NET90"})])
    [p] = pending(app).values()
    before = record(app)
    assert (
        decide_proposal(app.hub.store, p.id, approve=False, actor="bob", ingestor=app.hub.ingestor)
        is None
    )
    after = record(app)
    assert after["payment_terms"] == "NET30" and after["version"] == before["version"]
    [entry] = app.hub.store.audit.page(action="proposal.rejected")
    assert entry.actor == "bob" and entry.detail["requested_by"] == "system:erp"
    assert app.hub.store.proposals.page(ProposalStatus.REJECTED)[0].id == p.id
    # the rejected value sent again is not asked again
    assert app.hub.ingestor.ingest([erp({"payment_terms": "NET90"})]).proposals == 0


def test_the_cli_requester_cannot_approve_another_can(
    app: Application, store_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg = tmp_path / "crossdock.yaml"
    doc = hub().model_dump(mode="json", exclude_none=True, exclude_defaults=True)
    doc["systems"] = [s for s in doc["systems"] if s["name"] != "shop"]
    doc.pop("routes")
    cfg.write_text(yaml.safe_dump(doc), encoding="utf-8")
    monkeypatch.setenv("USER", "alice")
    done = app.customers.request_change("erp", "E-1", {"credit_limit": "9000"}, actor="cli:alice")
    assert done.waiting == ["credit_limit"]
    [p] = pending(app).values()
    assert p.requested_by == "cli:alice"
    runner = CliRunner()
    args = ["proposals", "approve", str(p.id), "-c", str(cfg), "--store", store_url]
    own = runner.invoke(cli, args)
    assert own.exit_code != 0 and "four eyes" in own.output, own.output
    assert record(app)["credit_limit"] == "1000"
    monkeypatch.setenv("USER", "bob")
    ok = runner.invoke(cli, args)
    assert ok.exit_code == 0, ok.output
    assert record(app)["credit_limit"] == "9000"


def test_an_approval_ingest_refuses_names_the_field_stays_pending_and_is_audited(
    app: Application, store_url: str
) -> None:
    app.hub.ingestor.ingest([erp({"credit_limit": "5000"})])
    [p] = pending(app).values()
    before = record(app)
    app.close()
    # meanwhile the hub file gives credit_limit to the CRM: the ERP's value is refused now
    moved = hub()
    moved.ownership[CUS] = moved.ownership[CUS].model_copy(
        update={"fields": {**moved.ownership[CUS].fields, "credit_limit": "crm"}}
    )
    again = Application.open(moved, store_url=store_url)
    try:
        store = again.hub.store
        bob = create_api_key(store, "bob", ["read", "write", "approve"])
        with TestClient(create_app(again)) as client:
            answer = client.post(
                f"/v1/proposals/{p.id}/approve", headers={"Authorization": "Bearer " + bob}
            )
        assert answer.status_code == 422, answer.text
        assert answer.headers["content-type"].startswith("application/problem+json")
        body = answer.json()
        assert "credit_limit" in answer.text and "stays pending" in body["detail"]
        assert store.proposals.page()[0].id == p.id  # still pending
        assert record(again)["credit_limit"] == "1000"
        assert record(again)["version"] == before["version"]
        [entry] = store.audit.page(action="proposal.refused")
        assert entry.actor.startswith("bob") and entry.detail["refused_field"] == "credit_limit"
        assert entry.detail["reason"] and entry.detail["requested_by"] == "system:erp"
        assert store.audit.page(action="proposal.approved") == []  # rolled back with it
    finally:
        again.close()
