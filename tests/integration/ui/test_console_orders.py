"""The console's order pages, hold queue, customer review queue and last-hour charts (TestClient).

On SQLite and PostgreSQL. Deciding a hold needs an admin key, deciding a
customer task the approve scope; a read key sees no buttons and its POSTs are
refused, as is any POST without the session's CSRF token. The browser walk
is tests/e2e/test_console_browser.py.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

from console_orders_hub import OrderKeys, Seeded, acme, make_keys, open_app, seed
from crossdock.api import create_app
from crossdock.app import Application
from crossdock.store.customer_rows import ReviewStatus
from crossdock.store.order_rows import OrderState
from crossdock.ui import Signer

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

pytestmark = pytest.mark.integration
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


@pytest.fixture
def app(tmp_path: Path, store_url: str) -> Iterator[Application]:
    a = open_app(tmp_path, store_url)
    yield a
    a.close()


@pytest.fixture
def seeded(app: Application) -> Seeded:
    return seed(app)


@pytest.fixture
def keys(app: Application) -> OrderKeys:
    return make_keys(app)


@pytest.fixture
def client(app: Application, seeded: Seeded) -> Iterator[TestClient]:
    with TestClient(create_app(app, console_signer=Signer("test-secret"))) as c:
        yield c


def sign_in(client: TestClient, key: str) -> str:
    form = client.get("/console/login")
    token = CSRF.search(form.text)
    assert token
    r = client.post("/console/login", data={"csrf": token.group(1), "key": key})
    assert r.status_code == 200, r.text
    found = CSRF.search(client.get("/console/overview").text)
    assert found
    return found.group(1)


def flash(r: object) -> str:
    text = getattr(r, "text", "")
    found = re.search(r'<p class="flash (\w+)"[^>]*>(.*?)</p>', text, re.S)
    assert found, text
    return f"{found.group(1)}: {re.sub(r'<[^>]+>', '', found.group(2))}"


def test_pages_need_a_session(client: TestClient, seeded: Seeded) -> None:
    for path in (
        "/console/orders",
        "/console/orders/holds",
        f"/console/orders/{seeded.held_id}",
        "/console/customers/review",
        "/console/overview/activity",
    ):
        r = client.get(path, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith("/console/login"), path


def test_order_list_search_and_timeline(
    client: TestClient, seeded: Seeded, keys: OrderKeys, app: Application
) -> None:
    sign_in(client, keys.read)
    listed = client.get("/console/orders").text
    assert seeded.held_id in listed and seeded.accepted_id in listed
    held_only = client.get("/console/orders?status=on_hold").text
    assert seeded.held_id in held_only and seeded.accepted_id not in held_only
    for q in ("portal:PO-2", "PO-2", seeded.accepted_id):
        found = client.get("/console/orders", params={"q": q}).text
        assert seeded.accepted_id in found and seeded.held_id not in found, q
    assert "No orders match nothing" in client.get("/console/orders?q=nothing").text
    page = client.get(f"/console/orders/{seeded.held_id}").text
    steps = app.hub.store.orders.timeline(seeded.held_id)
    assert steps, "the engine recorded steps"
    timeline = re.search(r'<ol class="timeline"[^>]*>(.*?)</ol>', page, re.S)
    assert timeline
    items = re.findall(
        r"<strong>(.*?)</strong> → <span class=\"outcome\">(.*?)</span>", timeline.group(1)
    )
    assert items == [(s.kind, s.outcome) for s in steps], "every step, in order, as the API has it"
    assert "credit" in page and "on_hold" in page
    assert client.get("/console/orders/ord_nope").status_code == 404


def test_admin_releases_and_rejects_from_the_hold_queue(
    client: TestClient, seeded: Seeded, keys: OrderKeys, app: Application
) -> None:
    token = sign_in(client, keys.admin)
    queue = client.get("/console/orders/holds").text
    assert f'data-order="{seeded.held_id}"' in queue and seeded.accepted_id not in queue
    assert "Release PO-1" in queue and "Reject PO-1" in queue
    no_reason = client.post(
        f"/console/orders/{seeded.held_id}/release", data={"csrf": token, "note": "  "}
    )
    assert flash(no_reason).startswith("error:") and "reason" in flash(no_reason)
    assert app.orders.get(seeded.held_id).status is OrderState.ON_HOLD
    acme(app, "1000")  # the credit limit raised: the release passes the rule that held it
    done = client.post(
        f"/console/orders/{seeded.held_id}/release",
        data={"csrf": token, "note": "limit raised by finance"},
    )
    assert flash(done).startswith("ok:") and "accepted" in flash(done)
    assert app.orders.get(seeded.held_id).status is OrderState.ACCEPTED
    (entry,) = [a for a in app.hub.store.audit.page(limit=50) if a.action == "order.release"]
    assert "Ada Admin" in entry.actor and entry.detail["note"] == "limit raised by finance"
    again = client.post(
        f"/console/orders/{seeded.held_id}/release", data={"csrf": token, "note": "again"}
    )
    assert flash(again).startswith("error:") and "not on hold" in flash(again)
    rejected = client.post(
        f"/console/orders/{seeded.accepted_id}/reject",
        data={"csrf": token, "note": "duplicate", "from": "order"},
        follow_redirects=False,
    )
    assert rejected.status_code == 303
    assert rejected.headers["location"].startswith(f"/console/orders/{seeded.accepted_id}?msg=")
    assert app.orders.get(seeded.accepted_id).status is OrderState.REJECTED


def test_read_and_operate_keys_see_no_hold_buttons_and_are_refused(
    client: TestClient, seeded: Seeded, keys: OrderKeys, app: Application
) -> None:
    for key in (keys.read, keys.operator):
        client.cookies.clear()
        token = sign_in(client, key)
        for path in ("/console/orders/holds", f"/console/orders/{seeded.held_id}"):
            html = client.get(path).text
            assert "/release" not in html and "/reject" not in html, path
        for verb in ("release", "reject"):
            r = client.post(
                f"/console/orders/{seeded.held_id}/{verb}",
                data={"csrf": token, "note": "x"},
                follow_redirects=False,
            )
            assert r.status_code == 403, (key, verb)
    assert app.orders.get(seeded.held_id).status is OrderState.ON_HOLD


def test_posts_without_the_token_are_refused(
    client: TestClient, seeded: Seeded, keys: OrderKeys, app: Application
) -> None:
    sign_in(client, keys.admin)
    for url in (
        f"/console/orders/{seeded.held_id}/release",
        f"/console/orders/{seeded.held_id}/reject",
        f"/console/customers/review/{seeded.task_id}/merge",
        f"/console/customers/review/{seeded.task_id}/apart",
    ):
        for data in ({"note": "x"}, {"note": "x", "csrf": "forged"}):
            r = client.post(url, data=data, follow_redirects=False)
            assert r.status_code == 403, url
    assert app.orders.get(seeded.held_id).status is OrderState.ON_HOLD
    task = app.hub.store.customer_match.review(seeded.task_id)
    assert task is not None and task.status is ReviewStatus.PENDING


def test_customer_review_side_by_side_and_merge(
    client: TestClient, seeded: Seeded, keys: OrderKeys, app: Application
) -> None:
    token = sign_in(client, keys.approver)
    html = client.get("/console/customers/review").text
    section = re.search(rf'data-task="{seeded.task_id}">(.*?)</section>', html, re.S)
    assert section, html
    body = section.group(1)
    assert "Acme Supply Corp." in body and "Acme Suply" in body, "both candidates"
    assert "12 Main St" in body and "40 Oak Ave" in body
    assert "incoming from portal (P-2)" in body and "weight" in body
    assert re.search(r'<th scope="row">name</th>.*?(exact|close|partial)', body, re.S)
    assert "Same customer (merge)" in body and "Not a match" in body
    done = client.post(
        f"/console/customers/review/{seeded.task_id}/merge",
        data={"csrf": token, "note": "same firm"},
    )
    assert flash(done).startswith("ok:"), flash(done)
    task = app.hub.store.customer_match.review(seeded.task_id)
    assert task is not None and task.status is ReviewStatus.ACCEPTED
    (entry,) = [
        a for a in app.hub.store.audit.page(limit=50) if a.action == "customer.review.accepted"
    ]
    assert "Alma Approver" in entry.actor
    assert "No customer waits for review" in client.get("/console/customers/review").text


def test_customer_review_not_a_match_and_read_key_refused(
    client: TestClient, seeded: Seeded, keys: OrderKeys, app: Application
) -> None:
    token = sign_in(client, keys.read)
    html = client.get("/console/customers/review").text
    assert "Acme Suply" in html and "Not a match" not in html and "/merge" not in html
    for verb in ("merge", "apart"):
        r = client.post(
            f"/console/customers/review/{seeded.task_id}/{verb}",
            data={"csrf": token},
            follow_redirects=False,
        )
        assert r.status_code == 403
    client.cookies.clear()
    token = sign_in(client, keys.admin)
    done = client.post(f"/console/customers/review/{seeded.task_id}/apart", data={"csrf": token})
    assert flash(done).startswith("ok:") and "not a match" in flash(done)
    task = app.hub.store.customer_match.review(seeded.task_id)
    assert task is not None and task.status is ReviewStatus.REJECTED


def test_overview_draws_the_last_hour_per_system(
    client: TestClient, seeded: Seeded, keys: OrderKeys, app: Application
) -> None:
    sign_in(client, keys.read)
    html = client.get("/console/overview").text
    assert "<script" not in html.split("</head>")[1], "the charts are drawn without script"
    crm = re.search(r'<figure class="system-activity" data-system="crm">(.*?)</figure>', html, re.S)
    assert crm, html
    charts = re.findall(r'<svg class="chart"[^>]*role="img" aria-label="([^"]+)"', crm.group(1))
    assert len(charts) == 2
    assert charts[0].startswith("crm: 1 changes received in the last hour")
    assert "error rate" in charts[1]
    erp = re.search(r'data-system="erp">(.*?)</figure>', html, re.S)
    assert erp and "refused" in erp.group(1)
    fragment = client.get("/console/overview/activity")
    assert fragment.status_code == 200 and fragment.text.lstrip().startswith(
        '<section id="activity"'
    )
    assert 'href="/console/orders/holds"><span class="n">1</span> orders on hold' in html


def test_the_crawler_finds_no_server_error_on_the_order_and_customer_pages(
    client: TestClient, keys: OrderKeys
) -> None:
    """The crawl of test_console_crawl.py on a hub with a held order and a review task."""
    from test_console_crawl import HOSTILE, _crawl, _submit

    sign_in(client, keys.admin)
    pages, forms = _crawl(client)
    assert any("/orders/ord" in p for p in pages), pages
    actions = [f for f in forms if f.method == "post" and "/logout" not in f.action]
    assert {a.action.rsplit("/", 1)[1] for a in actions} >= {"release", "reject", "merge", "apart"}
    client.cookies.clear()
    token = sign_in(client, keys.read)
    for form in actions:
        r = client.post(form.action, data={**form.fields, "csrf": token}, follow_redirects=False)
        assert r.status_code == 403, form.action
    client.cookies.clear()
    sign_in(client, keys.admin)
    for form in forms:
        _submit(client, form, dict(form.fields))
        for name in form.fields:
            if name != "csrf":
                for bad in HOSTILE:
                    _submit(client, form, {**form.fields, name: bad})
