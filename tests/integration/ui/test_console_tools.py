"""The console's reconciliation, quote explorer and ATP pages through their HTTP routes.

Same pattern as test_console_pages.py (TestClient, both store backends): a
read key sees no heal button and its POST is refused, a POST without the
session's token is refused, bad input is a message naming the field.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient
from test_console_pages import csrf_of, sign_in

from console_hub import Keys
from console_tools_hub import INBOUND_DAYS, catalog, reconciled, stock
from crossdock.api import create_api_key
from crossdock.model.base import EntityType
from crossdock.sync.runtime import Hub

pytestmark = pytest.mark.integration

HEAL = re.compile(r'action="/console/reconcile/erp/heal".*?name="run" value="([0-9a-f]+)"', re.S)


def _record_id(hub: Hub, native: str) -> str:
    return hub.store.crosswalk.of_system("erp", EntityType.PRODUCT)[native]


def test_new_pages_need_a_session(client: TestClient) -> None:
    for path in ("/console/reconcile", "/console/prices", "/console/stock?sku=A"):
        r = client.get(path, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith("/console/login?next=")


def test_reconcile_page_shows_drift_by_kind_with_links(
    client: TestClient, hub: Hub, keys: Keys
) -> None:
    reconciled(hub)
    sign_in(client, keys.read)
    html = client.get("/console/reconcile").text
    assert "✗ 3 drift(s)" in html, "state in words and a symbol, not colour alone"
    counts = re.search(r"<table class=\"counts\">(.*?)</table>", html, re.S)
    assert counts
    kinds = dict(re.findall(r'<th scope="row">([a-z ]+)</th><td class="num">(\d+)</td>', html))
    assert kinds == {"different": "1", "unknown to hub": "1", "missing in system": "1"}
    rid = _record_id(hub, "P-100")
    assert f'href="/console/records/product/{rid}"' in html, "a drift links to its lineage"
    assert "Widget XL" in html and "<code>description</code>" in html
    assert "Never reconciled: wms." in html
    assert "/heal" not in html, "a read key sees no heal button"


def test_heal_is_admin_only_csrf_checked_audited_and_once(
    client: TestClient, hub: Hub, keys: Keys
) -> None:
    run_id = reconciled(hub)
    token = sign_in(client, keys.read)
    refused = client.post(
        "/console/reconcile/erp/heal", data={"csrf": token, "run": run_id}, follow_redirects=False
    )
    assert refused.status_code == 403
    operate = create_api_key(hub.store, "Otto Operate", ["operate"])
    client.cookies.clear()
    token = sign_in(client, operate)
    assert "/heal" not in client.get("/console/reconcile").text
    refused = client.post(
        "/console/reconcile/erp/heal", data={"csrf": token, "run": run_id}, follow_redirects=False
    )
    assert refused.status_code == 403 and "admin" in refused.text
    client.cookies.clear()
    token = sign_in(client, keys.admin)
    page = client.get("/console/reconcile").text
    found = HEAL.search(page)
    assert found and found.group(1) == run_id and csrf_of(page) == token
    no_token = client.post(
        "/console/reconcile/erp/heal", data={"run": run_id}, follow_redirects=False
    )
    assert no_token.status_code == 403
    assert hub.store.records.get(EntityType.PRODUCT, _record_id(hub, "P-100")).data[
        "description"
    ] == ("Widget"), "nothing healed by a refused POST"
    done = client.post("/console/reconcile/erp/heal", data={"csrf": token, "run": run_id})
    assert done.status_code == 200 and "Healed erp" in done.text, done.text
    rec = hub.store.records.get(EntityType.PRODUCT, _record_id(hub, "P-100"))
    assert rec.data["description"] == "Widget XL", "the owner's value was taken"
    assert "P-777" in hub.store.crosswalk.of_system("erp", EntityType.PRODUCT)
    audit = hub.store.audit.page(action="reconcile.heal")
    assert len(audit) == 1 and audit[0].actor.startswith("Olga Operator ["), audit
    assert "Healed" in done.text and "/heal" not in done.text.split("<main")[1]
    again = client.post("/console/reconcile/erp/heal", data={"csrf": token, "run": run_id})
    assert "healed already" in again.text
    assert len(hub.store.audit.page(action="reconcile.heal")) == 1


def test_quote_explorer_explains_each_line(client: TestClient, hub: Hub, keys: Keys) -> None:
    catalog(hub)
    sign_in(client, keys.read)
    empty = client.get("/console/prices")
    assert empty.status_code == 200 and 'for="l1-sku"' in empty.text, "every input labelled"
    r = client.get(
        "/console/prices",
        params=[
            ("customer", "ACME"),
            ("ship_to", "DAL"),
            ("sku", "W-1"),
            ("quantity", "2"),
            ("unit", "CS"),
            ("sku", "NOPE"),
            ("quantity", "1"),
            ("unit", ""),
        ],
    )
    assert r.status_code == 200, r.text
    html = r.text
    assert "108.00" in html and "216.00" in html
    assert "✓ won" in html and "BASE" in html
    assert "✗ not priced" in html and "lines.1.sku" in html
    assert 'value="NOPE"' in html, "the form keeps what was sent"


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"customer": "ACME", "sku": "W-1", "quantity": "lots"}, "line 1 quantity"),
        ({"customer": "NOBODY", "sku": "W-1", "quantity": "1"}, "customer"),
        ({"customer": "ACME", "ship_to": "NOWHERE", "sku": "W-1", "quantity": "1"}, "ship_to"),
        ({"customer": "ACME"}, "lines"),
        ({"customer": "ACME", "sku": "W-1", "quantity": "1", "date": "someday"}, "date"),
    ],
)
def test_quote_explorer_names_the_bad_field(
    client: TestClient, hub: Hub, keys: Keys, params: dict[str, str], field: str
) -> None:
    catalog(hub)
    sign_in(client, keys.read)
    r = client.get("/console/prices", params=params)
    assert r.status_code == 422, r.text
    problem = re.search(r'role="alert" id="q-problem">(.*?)</p>', r.text, re.S)
    assert problem and f"<code>{field}</code>" in problem.group(1), r.text


def test_atp_page_shows_buckets_inbound_and_promise_dates(
    client: TestClient, hub: Hub, keys: Keys
) -> None:
    stock(hub)
    sign_in(client, keys.read)
    r = client.get("/console/stock", params={"sku": "A"})
    assert r.status_code == 200, r.text
    html = r.text
    row = re.search(r'<th scope="row">W1</th>(.*?)</tr>', html, re.S)
    assert row
    cells = re.findall(r'<td class="num">(?:<strong>)?([0-9.]+)', row.group(1))
    assert cells[0] == "10" and cells[4] == "1" and cells[5] == "9", cells
    eta = (date.today() + timedelta(days=INBOUND_DAYS)).isoformat()
    assert "PO-42" in html and f'datetime="{eta}"' in html
    assert "Promise dates at W1" in html
    assert 'for="s-sku"' in html


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"sku": "A", "date": "tomorrow"}, "date"),
        ({"sku": "A", "location": "ZZ"}, "location"),
        ({"sku": "x" * 65}, "sku"),
        ({"location": "W1"}, "sku"),
    ],
)
def test_atp_page_names_the_bad_field(
    client: TestClient, hub: Hub, keys: Keys, params: dict[str, str], field: str
) -> None:
    stock(hub)
    sign_in(client, keys.read)
    r = client.get("/console/stock", params=params)
    assert r.status_code == 422, r.text
    assert f"(field <code>{field}</code>)" in r.text, r.text


def test_a_stale_page_does_not_heal_a_newer_report(
    client: TestClient, hub: Hub, keys: Keys
) -> None:
    old = reconciled(hub)
    token = sign_in(client, keys.admin)
    newer = reconciled(hub)  # someone ran reconcile again meanwhile
    r = client.post("/console/reconcile/erp/heal", data={"csrf": token, "run": old})
    assert "replaced by a newer run" in r.text
    assert hub.store.audit.page(action="reconcile.heal") == []
    found = HEAL.search(r.text)
    assert found and found.group(1) == newer, "the page offers the newer report's heal"
