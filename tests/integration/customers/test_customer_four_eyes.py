"""Four eyes on sensitive customer changes, over HTTP on SQLite and PostgreSQL.

A credit-limit increase above the thresholds, a payment-terms change and a
tax-exemption change wait as proposals naming the requester; the requester
cannot approve (409, problem+json); another approver applies it; a rejection
is audited. Small increases, decreases and other fields apply at once.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator

import pytest

from crossdock.api import create_api_key, create_app
from crossdock.app import Application
from crossdock.config.approvals import waiting_fields
from crossdock.config.customers import Approvals
from crossdock.model.base import EntityType

from .test_customer_matching import change, cust, hub, ingest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

pytestmark = pytest.mark.integration
CUS = EntityType.CUSTOMER
RULES = {"credit_limit_increase": "500", "credit_limit_increase_pct": "20"}
Client = tuple[TestClient, Application, dict[str, dict[str, str]]]


@pytest.fixture
def client(store_url: str) -> Iterator[Client]:
    app = Application.open(hub(upper=400, lower=300, approvals=RULES), store_url=store_url)
    ingest(app, change("erp", "E-1", cust("ACME Corp.", "12 Main St", credit_limit="1000")))
    store = app.hub.store

    def key(name: str) -> dict[str, str]:
        token = create_api_key(store, name, ["read", "write", "approve"])
        return {"Authorization": "Bearer " + token}

    with TestClient(create_app(app)) as c:
        yield c, app, {"alice": key("alice"), "bob": key("bob")}
    app.close()


def record(app: Application) -> dict[str, object]:
    rid = app.hub.store.crosswalk.resolve("erp", CUS, "E-1")
    rec = app.hub.store.records.get(CUS, rid)  # type: ignore[arg-type]
    assert rec is not None
    return rec.data


def request(c: TestClient, who: dict[str, str], **data: object) -> dict[str, object]:
    r = c.post(
        "/v1/customers/changes",
        json={"system": "erp", "native_id": "E-1", "data": data},
        headers=who,
    )
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def pending(c: TestClient, who: dict[str, str]) -> list[dict[str, object]]:
    r = c.get("/v1/proposals", headers=who)
    assert r.status_code == 200, r.text
    return r.json()["items"]  # type: ignore[no-any-return]


def test_the_requester_cannot_approve_another_approver_applies(client: Client) -> None:
    c, app, keys = client
    done = request(c, keys["alice"], credit_limit="5000", tier="gold")
    assert done["waiting"] == ["credit_limit"]
    assert record(app)["credit_limit"] == "1000"  # waits
    assert record(app)["tier"] == "gold"  # the rest applied at once
    [p] = pending(c, keys["bob"])
    own = c.post(f"/v1/proposals/{p['id']}/approve", headers=keys["alice"])
    assert own.status_code == 409
    assert own.headers["content-type"].startswith("application/problem+json")
    assert "four eyes" in own.json()["detail"]
    assert record(app)["credit_limit"] == "1000"
    ok = c.post(f"/v1/proposals/{p['id']}/approve", headers=keys["bob"])
    assert ok.status_code == 200, ok.text
    assert record(app)["credit_limit"] == "5000"
    # under both thresholds (+100, 2 %) and a decrease: no wait
    assert request(c, keys["alice"], credit_limit="5100")["waiting"] == []
    assert request(c, keys["alice"], credit_limit="10")["waiting"] == []
    assert record(app)["credit_limit"] == "10"


def test_payment_terms_and_tax_exemption_wait_and_a_rejection_is_audited(client: Client) -> None:
    c, app, keys = client
    site = dict(cust("x", "12 Main St")["sites"][0], tax_exempt=True)
    done = request(c, keys["alice"], payment_terms="NET90", sites=[site])
    assert done["waiting"] == ["payment_terms", "sites"]
    assert "payment_terms" not in record(app)
    props = pending(c, keys["bob"])
    assert {p["field"] for p in props} == {"payment_terms", "sites"}
    for p in props:
        r = c.post(f"/v1/proposals/{p['id']}/reject", headers=keys["bob"])
        assert r.status_code == 200, r.text
    rejected = app.hub.store.audit.page(action="proposal.rejected")
    assert len(rejected) == 2
    assert all(e.detail["requested_by"] for e in rejected)
    assert pending(c, keys["bob"]) == []
    unknown = c.post(
        "/v1/customers/changes",
        json={"system": "erp", "native_id": "nope", "data": {"tier": "x"}},
        headers=keys["alice"],
    )
    assert unknown.status_code == 404


def test_the_rules() -> None:
    rules = Approvals.model_validate(RULES)
    cur = {"credit_limit": "1000"}
    assert waiting_fields(rules, cur, {"credit_limit": "1400"}) == ["credit_limit"]  # 40 %
    assert waiting_fields(rules, cur, {"credit_limit": "1100"}) == []  # +100, 10 %
    assert waiting_fields(rules, {"credit_limit": "10000"}, {"credit_limit": "10600"}) == [
        "credit_limit"
    ]  # +600 > 500
    assert waiting_fields(rules, {}, {"credit_limit": "400"}) == []  # from none, under amount
    assert waiting_fields(rules, {}, {"credit_limit": "600"}) == ["credit_limit"]
    assert waiting_fields(rules, cur, {"credit_limit": "900", "tier": "a"}) == []
