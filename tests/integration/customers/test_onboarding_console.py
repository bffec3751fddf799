"""Onboardings waiting for a person in the console's customer review page (TestClient).

Approving one needs the approve scope and the session's CSRF token; a read key
sees the waiting onboarding without the button and its POST is refused.
"""

from __future__ import annotations

import re
import warnings

import pytest

from crossdock.api import create_api_key, create_app
from crossdock.app import Application
from crossdock.ui import Signer

from .onboarding_hub import hub
from .test_onboarding_faces import waiting_for_credit

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

pytestmark = pytest.mark.integration
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def sign_in(c: TestClient, key: str) -> str:
    found = CSRF.search(c.get("/console/login").text)
    assert found
    c.post("/console/login", data={"csrf": found.group(1), "key": key})
    token = CSRF.search(c.get("/console/overview").text)
    assert token
    return token.group(1)


def test_approve_a_waiting_credit_application(store_url: str) -> None:
    app = Application.open(hub(), store_url=store_url)
    cid, ob = waiting_for_credit(app)
    store = app.hub.store
    read = create_api_key(store, "Rita Reader", ["read"])
    approver = create_api_key(store, "Alma Approver", ["approve"])
    row = ob.of_customer(cid).row
    try:
        with TestClient(create_app(app, console_signer=Signer("t"))) as c:
            token = sign_in(c, read)
            page = c.get("/console/customers/review").text
            assert f'data-onboarding="{row.id}"' in page and "50000" in page
            assert "/onboarding/" not in page, "no button for a read key"
            url = f"/console/customers/onboarding/{row.id}/approve"
            assert c.post(url, data={"csrf": token}, follow_redirects=False).status_code == 403
            c.cookies.clear()
            token = sign_in(c, approver)
            assert c.post(url, data={"note": "x"}, follow_redirects=False).status_code == 403
            assert ob.of_customer(cid).row.status.value == "waiting"
            done = c.post(url, data={"csrf": token, "note": "known buyer"})
            assert "approved: next, tax" in done.text
            assert "No onboarding waits for a person" in done.text
            again = c.post(url, data={"csrf": token})
            assert 'class="flash error"' in again.text
        [audit] = [
            a for a in store.audit.page(limit=50) if a.action == "customer.onboarding.approve"
        ]
        assert "Alma Approver" in audit.actor
    finally:
        app.close()
