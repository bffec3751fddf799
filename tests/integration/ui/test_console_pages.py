"""The console through its HTTP routes (TestClient): sign-in, CSRF, scopes, pages and actions.

The browser walk of the same flows is tests/e2e/test_console_browser.py.
"""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from console_hub import REFUSED, Keys, product
from crossdock.store import ExceptionStatus
from crossdock.sync.runtime import Hub
from crossdock.ui.session import COOKIE

pytestmark = pytest.mark.integration

CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, "the page has a form with a CSRF token"
    return found.group(1)


def sign_in(client: TestClient, key: str) -> str:
    """Sign in; the session's CSRF token (from the overview's sign-out form)."""
    form = client.get("/console/login")
    r = client.post(
        "/console/login",
        data={"csrf": csrf_of(form.text), "key": key, "next": "/console/overview"},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    assert r.headers["location"] == "/console/overview"
    return csrf_of(client.get("/console/overview").text)


def test_pages_need_a_session(client: TestClient) -> None:
    for path in ("/console/overview", "/console/exceptions", "/console/parked", "/console/records"):
        r = client.get(path, follow_redirects=False)
        assert r.status_code == 303
        assert r.headers["location"].startswith("/console/login?next=")
    r = client.get("/console/overview/partial", headers={"HX-Request": "true"})
    assert r.status_code == 204 and r.headers["HX-Redirect"] == "/console/login"


def test_sign_in_sets_a_strict_httponly_cookie_without_the_key(
    client: TestClient, keys: Keys
) -> None:
    form = client.get("/console/login")
    r = client.post(
        "/console/login",
        data={"csrf": csrf_of(form.text), "key": keys.admin},
        follow_redirects=False,
    )
    cookie = next(v for v in r.headers.get_list("set-cookie") if v.startswith(f"{COOKIE}="))
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie
    assert "Secure" not in cookie, "plain HTTP here; Secure only over HTTPS"
    assert keys.admin.split("_", 2)[2] not in cookie, "the key's secret is not in the cookie"
    https = TestClient(client.app, base_url="https://testserver")
    form = https.get("/console/login")
    r = https.post(
        "/console/login",
        data={"csrf": csrf_of(form.text), "key": keys.admin},
        follow_redirects=False,
    )
    assert "Secure" in next(v for v in r.headers.get_list("set-cookie") if v.startswith(COOKIE))


def test_a_wrong_key_or_a_missing_token_does_not_sign_in(client: TestClient, keys: Keys) -> None:
    form = client.get("/console/login")
    bad = client.post("/console/login", data={"csrf": csrf_of(form.text), "key": "cdk_nope"})
    assert bad.status_code == 401 and "not valid" in bad.text
    no_token = client.post("/console/login", data={"key": keys.admin}, follow_redirects=False)
    assert no_token.status_code == 403
    assert client.get("/console/overview", follow_redirects=False).status_code == 303


def test_sign_out_needs_the_token_and_ends_the_session(client: TestClient, keys: Keys) -> None:
    token = sign_in(client, keys.read)
    assert client.post("/console/logout", follow_redirects=False).status_code == 403
    r = client.post("/console/logout", data={"csrf": token}, follow_redirects=False)
    assert r.status_code == 303
    assert client.get("/console/overview", follow_redirects=False).status_code == 303


def test_a_revoked_key_ends_its_session(client: TestClient, hub: Hub, keys: Keys) -> None:
    sign_in(client, keys.admin)
    hub.store.keys.revoke(keys.admin.split("_")[1])
    assert client.get("/console/overview", follow_redirects=False).status_code == 303


def test_overview_shows_the_failing_route_freshness_and_counts(
    client: TestClient, keys: Keys
) -> None:
    sign_in(client, keys.read)
    html = client.get("/console/overview").text
    row = re.search(r'<tr class="route" data-route="to-wms">(.*?)</tr>', html, re.S)
    assert row, html
    assert "records parked" in row.group(1), "health in words, not colour alone"
    assert "closed" in row.group(1)
    assert 'hx-get="/console/overview/partial"' in html and "every 5s" in html
    assert "1</span> open exceptions" in html
    assert "1</span> parked deliveries" in html
    erp = re.search(r'<th scope="row">erp</th>(.*?)</tr>', html, re.S)
    assert erp and "ago" in erp.group(1), "the ERP's last change is shown"
    part = client.get("/console/overview/partial")
    assert part.status_code == 200 and part.text.lstrip().startswith('<div id="overview"')


def test_read_key_sees_no_buttons_and_its_posts_are_refused(
    client: TestClient, hub: Hub, keys: Keys
) -> None:
    token = sign_in(client, keys.read)
    exc = hub.store.exceptions.page()[0]
    page = client.get(f"/console/exceptions/{exc.id}").text
    assert "Fix and retry" not in page and "Dismiss" not in page
    parked = hub.store.parked.page("to-wms")[0]
    assert "Retry" not in client.get("/console/parked?route=to-wms").text
    for url, data in (
        (f"/console/exceptions/{exc.id}/retry", {}),
        (f"/console/exceptions/{exc.id}/dismiss", {"note": "x"}),
        ("/console/exceptions/retry-code", {"code": exc.code}),
        (f"/console/parked/to-wms/{parked.entity_id}/retry", {}),
        (f"/console/parked/to-wms/{parked.entity_id}/skip", {"note": "x"}),
        ("/console/parked/to-wms/retry-all", {}),
        ("/console/parked/to-wms/skip-all", {"note": "x"}),
    ):
        r = client.post(url, data={"csrf": token, **data}, follow_redirects=False)
        assert r.status_code == 403, url
    assert hub.store.exceptions.get(exc.id).status is ExceptionStatus.OPEN  # type: ignore[union-attr]
    assert len(hub.store.parked.page("to-wms")) == 1


def test_posts_without_the_session_token_are_refused(
    client: TestClient, hub: Hub, keys: Keys
) -> None:
    sign_in(client, keys.admin)
    exc = hub.store.exceptions.page()[0]
    for data in ({}, {"csrf": "forged"}):
        r = client.post(f"/console/exceptions/{exc.id}/dismiss", data={**data, "note": "x"})
        assert r.status_code == 403
    r = client.post(
        f"/console/exceptions/{exc.id}/dismiss",
        data={"note": "x"},
        headers={"X-CSRF-Token": "forged"},
    )
    assert r.status_code == 403
    assert hub.store.exceptions.get(exc.id).status is ExceptionStatus.OPEN  # type: ignore[union-attr]
    anonymous = TestClient(client.app)
    assert anonymous.post(f"/console/exceptions/{exc.id}/dismiss").status_code == 401


def test_fix_a_value_and_retry_makes_a_new_version_audited_with_who(
    client: TestClient, hub: Hub, keys: Keys
) -> None:
    token = sign_in(client, keys.admin)
    exc = hub.store.exceptions.page()[0]
    page = client.get(f"/console/exceptions/{exc.id}").text
    assert "ten dollars" in page and "is not a decimal number" in page
    assert 'value="list_price"' in page
    r = client.post(
        f"/console/exceptions/{exc.id}/retry",
        data={"csrf": token, "field": "list_price", "value": "12.50"},
    )
    assert r.status_code == 200
    assert "retried with list_price corrected and resolved" in r.text
    assert hub.store.exceptions.get(exc.id).status is ExceptionStatus.RESOLVED  # type: ignore[union-attr]
    entry = hub.store.audit.page(action="exception.resolved")[0]
    assert entry.target == str(exc.id) and entry.actor.startswith("Olga Operator [")
    hub.deliver()
    record = client.get("/console/records?q=W-100")
    assert "/console/records/product/" in str(record.url)
    assert "version 2" in record.text
    v2 = record.text.split('id="v2"')[1].split('id="v1"')[0]
    assert "<del>10.00</del>" in v2 and "<ins>12.50</ins>" in v2
    assert "handled" in v2, "version 2 went through the route to the WMS"


def test_a_failed_fix_is_reported_and_files_a_new_exception(
    client: TestClient, hub: Hub, keys: Keys
) -> None:
    token = sign_in(client, keys.admin)
    exc = hub.store.exceptions.page()[0]
    r = client.post(
        f"/console/exceptions/{exc.id}/retry",
        data={"csrf": token, "field": "list_price", "value": "still not"},
    )
    assert "failed again" in r.text
    assert [e.status for e in hub.store.exceptions.page(status=None)] == [
        ExceptionStatus.RETRIED,
        ExceptionStatus.OPEN,
    ]
    again = client.post(f"/console/exceptions/{exc.id}/retry", data={"csrf": token})
    assert "Not done" in again.text and "not open" in again.text


def test_dismiss_and_retry_all_of_a_code(client: TestClient, hub: Hub, keys: Keys) -> None:
    hub.ingest([product("P-2", sku="W-2", list_price="x"), product("P-3", sku="W-3", weight="y")])
    token = sign_in(client, keys.admin)
    listed = client.get("/console/exceptions?code=validation_failed&system=erp&entity=product")
    assert listed.text.count('href="/console/exceptions/') >= 3
    assert "Retry all open exceptions with code validation_failed" in listed.text
    assert "No open exceptions match" in client.get("/console/exceptions?age=7d").text
    first = hub.store.exceptions.page()[0]
    r = client.post(f"/console/exceptions/{first.id}/dismiss", data={"csrf": token, "note": ""})
    assert "say why" in r.text
    r = client.post(
        f"/console/exceptions/{first.id}/dismiss", data={"csrf": token, "note": "duplicate"}
    )
    assert "dismissed" in r.text
    assert hub.store.audit.page(action="exception.dismissed")[0].actor.startswith("Olga")
    r = client.post(
        "/console/exceptions/retry-code", data={"csrf": token, "code": "validation_failed"}
    )
    assert "Retried 2 exceptions with code validation_failed: 0 resolved, 2 failed again" in r.text


def test_parked_retry_and_skip(client: TestClient, hub: Hub, keys: Keys) -> None:
    token = sign_in(client, keys.admin)
    page = client.get("/console/parked?route=to-wms").text
    assert "WMS refuses SKU HAZ-9" in page and "rejected_by_destination" in page
    parked = hub.store.parked.page("to-wms")[0]
    retry = f"/console/parked/to-wms/{parked.entity_id}/retry"
    r = client.post(retry, data={"csrf": token})
    assert "0 delivered; 1 still parked on to-wms" in r.text
    REFUSED.clear()
    r = client.post("/console/parked/to-wms/retry-all", data={"csrf": token})
    assert "1 delivered; 0 still parked on to-wms" in r.text
    assert hub.store.parked.page("to-wms") == []
    REFUSED.add("HAZ-9")
    hub.ingest([product("P-900", sku="HAZ-9", description="Solvent 2")])
    hub.deliver()
    r = client.post("/console/parked/to-wms/skip-all", data={"csrf": token, "note": ""})
    assert "say why" in r.text
    r = client.post("/console/parked/to-wms/skip-all", data={"csrf": token, "note": "known"})
    assert "Skipped 1 parked version(s) of 1 record(s)" in r.text
    r = client.post("/console/parked/nope/retry-all", data={"csrf": token})
    assert "no route named" in r.text


def test_record_page_lineage_and_search(client: TestClient, hub: Hub, keys: Keys) -> None:
    sign_in(client, keys.read)
    page = client.get("/console/records?q=P-900")  # the ERP's native id
    assert "/console/records/product/" in str(page.url)
    html = page.text
    assert "<strong>erp</strong>: <code>P-900</code>" in html
    assert re.search(r"<code>sku</code></th><td class=\"value\">HAZ-9</td><td>erp</td>", html)
    deliveries = re.search(r'<tr class="delivery" data-route="to-wms">(.*?)</tr>', html, re.S)
    assert deliveries and "parked" in deliveries.group(1)
    assert "Nothing found" in client.get("/console/records?q=nothing-like-it").text
    missing = client.get("/console/records/product/prd_nope")
    assert missing.status_code == 404
    assert client.get("/console/records/bogus/x").status_code == 404


def test_assets_are_served_by_the_app(client: TestClient) -> None:
    js = client.get("/console/static/htmx-2.0.4.min.js")
    assert js.status_code == 200 and "htmx" in js.text[:2000]
    assert client.get("/console/static/htmx-LICENSE.txt").status_code == 200
    login = client.get("/console/login")
    assert "http://" not in login.text and "https://" not in login.text, "nothing from elsewhere"
    csp = login.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp


def test_every_control_has_a_label(client: TestClient, hub: Hub, keys: Keys) -> None:
    sign_in(client, keys.admin)
    exc = hub.store.exceptions.page()[0]
    for path in (
        "/console/login",
        "/console/exceptions",
        f"/console/exceptions/{exc.id}",
        "/console/parked?route=to-wms",
        "/console/records",
    ):
        html = client.get(path).text
        labelled = set(re.findall(r'<label for="([^"]+)"', html))
        for control in re.findall(r"<(?:input|select|textarea)\b([^>]*)>", html):
            if 'type="hidden"' in control:
                continue
            found = re.search(r'id="([^"]+)"', control)
            assert found and found.group(1) in labelled, f"{path}: unlabelled {control}"
