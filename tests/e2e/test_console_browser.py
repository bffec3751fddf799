"""The console in a real browser (Playwright driving Debian's Chromium) against a live server.

An operator signs in, sees the failing route on the overview, opens the
exception, fixes the value, retries it, and sees the record's new version and
its delivery; a read key sees no action buttons and its POSTs are refused; a
POST without the CSRF token is refused; the reconciliation report is healed, a quote
explained and a SKU's availability shown. Each page is saved as a screenshot.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from console_hub import product
from console_tools_hub import catalog, reconciled, stock
from crossdock.store import ExceptionStatus

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture
def browser(browser_path: str) -> Iterator[Browser]:
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=browser_path, headless=True)
        yield b
        b.close()


def shot(page: Page, served: Any, name: str) -> None:
    page.screenshot(path=str(served.shots / f"{name}.png"), full_page=True)


def sign_in(page: Page, served: Any, key: str) -> None:
    page.goto(f"{served.url}/console/")
    expect(page).to_have_url(re.compile(r"/console/login"))
    page.get_by_label("API key").fill(key)
    page.get_by_role("button", name="Sign in").press("Enter")  # keyboard, not the mouse
    expect(page.get_by_role("heading", name="Overview")).to_be_visible()


def test_operator_fixes_an_exception_and_sees_the_new_version_delivered(
    browser: Browser, served: Any
) -> None:
    page = browser.new_page()
    errors: list[str] = []  # a script the page's policy blocked, a failed asset, a JS error
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{served.url}/console/login")
    shot(page, served, "login")
    sign_in(page, served, served.keys.admin)
    route = page.locator('tr.route[data-route="to-wms"]')
    expect(route).to_contain_text("records parked")
    expect(route).to_contain_text("closed")
    shot(page, served, "overview")

    page.get_by_role("link", name="Exceptions").first.click()
    expect(page.get_by_role("heading", name="Open exceptions")).to_be_visible()
    page.get_by_label("Error code").fill("validation_failed")
    page.get_by_role("button", name="Filter").click()
    shot(page, served, "exceptions")
    page.get_by_role("link", name=re.compile(r"^#\d+$")).first.click()
    expect(page.locator(".reason")).to_contain_text("is not a decimal number")
    expect(page.locator("pre.raw")).to_contain_text("ten dollars")
    shot(page, served, "exception")

    expect(page.get_by_label("Field to correct (dotted path)")).to_have_value("list_price")
    page.get_by_label("Corrected value").fill("12.50")
    page.get_by_role("button", name="Fix and retry").click()
    expect(page.get_by_role("status")).to_contain_text("corrected and resolved")
    exc = served.hub.store.exceptions.page(status=None)[0]
    assert exc.status is ExceptionStatus.RESOLVED

    served.hub.deliver()  # the sync loop's delivery pass, run here in place of `crossdock run`
    page.get_by_role("link", name="Records").click()
    page.get_by_label(re.compile("SKU, account number")).fill("W-100")
    page.get_by_label(re.compile("SKU, account number")).press("Enter")
    expect(page.get_by_role("heading", name=re.compile("version 2"))).to_be_visible()
    v2 = page.locator("section.version").first
    expect(v2.locator("del")).to_have_text("10.00")
    expect(v2.locator("ins")).to_have_text("12.50")
    expect(v2.locator('tr.delivery[data-route="to-wms"]')).to_contain_text("handled")
    shot(page, served, "record")

    page.get_by_role("link", name="Parked deliveries").click()
    page.get_by_label("Route", exact=True).select_option("to-wms")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_role("cell", name=re.compile("WMS refuses SKU HAZ-9"))).to_be_visible()
    shot(page, served, "parked")

    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/console/login"))
    page.goto(f"{served.url}/console/overview")
    expect(page).to_have_url(re.compile(r"/console/login"))
    assert errors == []


def test_read_key_sees_no_buttons_and_its_posts_are_refused(browser: Browser, served: Any) -> None:
    page = browser.new_page()
    sign_in(page, served, served.keys.read)
    expect(page.get_by_text("read only")).to_be_visible()
    exc = served.hub.store.exceptions.page()[0]
    page.goto(f"{served.url}/console/exceptions/{exc.id}")
    expect(page.get_by_role("button", name="Fix and retry")).to_have_count(0)
    expect(page.get_by_role("button", name="Dismiss")).to_have_count(0)
    shot(page, served, "exception-read-only")
    page.goto(f"{served.url}/console/parked?route=to-wms")
    expect(page.get_by_role("button", name=re.compile("Retry|Skip"))).to_have_count(0)
    # the buttons are absent, and the session's own token does not make a POST pass either
    token = page.locator('form[action="/console/logout"] input[name="csrf"]').input_value()
    r = page.request.post(f"{served.url}/console/exceptions/{exc.id}/retry", form={"csrf": token})
    assert r.status == 403
    parked = served.hub.store.parked.page("to-wms")[0]
    r = page.request.post(
        f"{served.url}/console/parked/to-wms/{parked.entity_id}/skip",
        form={"csrf": token, "note": "x"},
    )
    assert r.status == 403
    assert served.hub.store.exceptions.get(exc.id).status is ExceptionStatus.OPEN
    assert len(served.hub.store.parked.page("to-wms")) == 1


def test_a_post_without_the_csrf_token_is_refused(browser: Browser, served: Any) -> None:
    page = browser.new_page()
    sign_in(page, served, served.keys.admin)
    exc = served.hub.store.exceptions.page()[0]
    page.goto(f"{served.url}/console/exceptions/{exc.id}")
    # the form as served, its token taken out: the browser still sends the session cookie
    page.locator('form[aria-label="Dismiss"] input[name="csrf"]').evaluate("e => e.remove()")
    page.get_by_label("Why dismiss it").fill("forged")
    with page.expect_response(re.compile(r"/dismiss$")) as answer:
        page.get_by_role("button", name="Dismiss").click()
    assert answer.value.status == 403
    expect(page.locator("body")).to_contain_text("security token")
    assert served.hub.store.exceptions.get(exc.id).status is ExceptionStatus.OPEN


def test_overview_refreshes_itself_and_is_keyboard_reachable(browser: Browser, served: Any) -> None:
    page = browser.new_page()
    sign_in(page, served, served.keys.read)
    waiting = page.get_by_role("list", name="Work waiting")
    expect(waiting).to_contain_text("1 open exceptions")
    served.hub.ingest([product("P-7", sku="W-7", list_price="seven")])
    # htmx asks for the overview's body every 5 s: the new exception shows without a reload
    expect(waiting).to_contain_text("2 open exceptions", timeout=20_000)
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Overview")).to_be_focused()
    for _ in range(3):
        page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Records")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Find a record")).to_be_visible()


def test_reconciliation_quotes_and_stock_pages(browser: Browser, served: Any) -> None:
    """Each new page opened by its link, used with the keyboard, and saved as a screenshot."""
    reconciled(served.hub)
    catalog(served.hub)
    eta = stock(served.hub)
    page = browser.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    sign_in(page, served, served.keys.admin)

    page.get_by_role("link", name="Reconciliation").click()
    expect(page.get_by_role("heading", name=re.compile("erp"))).to_contain_text("3 drift(s)")
    expect(page.get_by_role("table", name="Drift of erp by kind")).to_contain_text("different")
    expect(page.get_by_role("link", name=re.compile(r"^product "))).not_to_have_count(0)
    shot(page, served, "reconcile")
    page.get_by_role("button", name=re.compile("Heal .* drift")).press("Enter")
    expect(page.get_by_role("status")).to_contain_text("Healed erp")
    expect(page.get_by_role("button", name=re.compile("Heal"))).to_have_count(0)
    shot(page, served, "reconcile-healed")

    page.get_by_role("link", name="Quotes").click()
    page.get_by_label("Customer (account or id)").fill("ACME")
    page.get_by_label("Ship-to site").fill("DAL")
    page.get_by_label("Line 1 SKU").fill("W-1")
    page.get_by_label("Line 1 quantity").fill("2")
    page.get_by_label("Line 1 unit").fill("CS")
    page.get_by_label("Line 2 SKU").fill("NOPE")
    page.get_by_label("Line 2 quantity").fill("1")
    page.get_by_label("Line 2 quantity").press("Enter")
    expect(page.get_by_role("heading", name=re.compile("Line 1: W-1"))).to_contain_text("108.00")
    expect(page.get_by_role("table", name="Candidates of line 1")).to_contain_text("won")
    expect(page.get_by_role("heading", name=re.compile("Line 2"))).to_contain_text("not priced")
    shot(page, served, "quote")
    page.get_by_label("Line 1 quantity").fill("lots")
    page.get_by_label("Line 1 quantity").press("Enter")
    expect(page.get_by_role("alert")).to_contain_text("line 1 quantity")

    page.get_by_role("link", name="Availability").click()
    page.get_by_label(re.compile("^SKUs")).fill("A")
    page.get_by_label(re.compile("^SKUs")).press("Enter")
    buckets = page.get_by_role("table", name="Buckets of A per location")
    expect(buckets.get_by_role("row", name=re.compile("W1"))).to_contain_text("10")
    expect(page.get_by_role("table", name="Inbound to W1 by date")).to_contain_text("PO-42")
    expect(page.get_by_role("table", name=re.compile("Promise dates at W1"))).to_contain_text(
        eta.isoformat()
    )
    shot(page, served, "stock")
    # the one bad quote answered 422 (on purpose); the browser logs that status, nothing else
    assert [e for e in errors if "status of 422" not in e] == []
    assert len(errors) == 1
