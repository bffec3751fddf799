"""The order and customer pages in a real browser (Playwright driving Debian's Chromium).

An admin finds the held order in the hold queue, reads its timeline, and
releases it with a reason typed and sent from the keyboard; a read key sees the
queue without buttons; the customer review queue shows both candidates side by
side. Each page (orders, the order, the hold queue, customer review, the
overview's last-hour charts) is saved as a screenshot.
"""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Browser, Page, expect, sync_playwright

from console_orders_hub import OrderKeys, Seeded, acme, make_keys, open_app, seed
from crossdock.api import create_app
from crossdock.app import Application
from crossdock.store.order_rows import OrderState

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@dataclass
class Served:
    url: str
    app: Application
    keys: OrderKeys
    seeded: Seeded
    shots: Path


@pytest.fixture
def served(tmp_path: Path, screenshots: Path) -> Iterator[Served]:
    app = open_app(tmp_path)
    seeded = seed(app)
    keys = make_keys(app)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(create_app(app), log_level="warning", lifespan="off", loop="asyncio")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:  # a readiness wait, not a timed assertion
        if not thread.is_alive():
            raise RuntimeError("the console server did not start")
        time.sleep(0.02)
    try:
        yield Served(f"http://127.0.0.1:{port}", app, keys, seeded, screenshots)
    finally:
        server.should_exit = True
        thread.join()
        sock.close()
        app.close()


@pytest.fixture
def browser(browser_path: str) -> Iterator[Browser]:
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=browser_path, headless=True)
        yield b
        b.close()


def shot(page: Page, served: Served, name: str) -> None:
    page.screenshot(path=str(served.shots / f"{name}.png"), full_page=True)


def sign_in(page: Page, served: Served, key: str) -> None:
    page.goto(f"{served.url}/console/login")
    page.get_by_label("API key").fill(key)
    page.get_by_role("button", name="Sign in").press("Enter")
    expect(page.get_by_role("heading", name="Overview")).to_be_visible()


def test_admin_releases_a_held_order_from_the_keyboard(browser: Browser, served: Served) -> None:
    page = browser.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    sign_in(page, served, served.keys.admin)
    charts = page.locator('figure[data-system="crm"] svg[role="img"]')
    expect(charts).to_have_count(2)
    expect(charts.first).to_have_attribute("aria-label", re.compile(r"^crm: 1 changes received"))
    shot(page, served, "overview-activity")

    page.get_by_role("link", name="Orders", exact=True).click()
    expect(page.get_by_role("heading", name="Orders")).to_be_visible()
    page.get_by_label("Order id or number").fill("portal:PO-1")
    page.get_by_label("Order id or number").press("Enter")
    expect(page.locator("tbody tr")).to_have_count(1)
    shot(page, served, "orders")
    page.get_by_role("link", name=served.seeded.held_id).click()
    expect(page.get_by_role("heading", name=re.compile("Order portal:PO-1"))).to_contain_text(
        "on_hold"
    )
    expect(page.locator("ol.timeline li").first).to_be_visible()
    shot(page, served, "order")

    acme(served.app, "1000")  # finance raised the limit: the release passes the credit rule
    page.get_by_role("link", name="Hold queue", exact=True).click()
    row = page.locator(f'tr.hold[data-order="{served.seeded.held_id}"]')
    expect(row).to_contain_text("credit")
    shot(page, served, "holds")
    reason = page.get_by_label("Reason to release PO-1")
    reason.focus()
    page.keyboard.type("limit raised by finance")
    page.keyboard.press("Tab")  # to the Release button: reachable without the mouse
    expect(page.get_by_role("button", name="Release PO-1")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text("now accepted")
    expect(page.locator("tr.hold")).to_have_count(0)
    assert served.app.orders.get(served.seeded.held_id).status is OrderState.ACCEPTED
    (entry,) = [a for a in served.app.hub.store.audit.page(limit=50) if a.action == "order.release"]
    assert "Ada Admin" in entry.actor
    assert errors == [], errors


def test_customer_review_side_by_side_and_read_key_sees_no_buttons(
    browser: Browser, served: Served
) -> None:
    page = browser.new_page()
    sign_in(page, served, served.keys.approver)
    page.get_by_role("link", name="Customer review").click()
    task = page.locator(f'section[data-task="{served.seeded.task_id}"]')
    expect(task).to_contain_text("Acme Supply Corp.")
    expect(task).to_contain_text("Acme Suply")
    expect(task.get_by_role("columnheader", name="Compared")).to_be_visible()
    shot(page, served, "customer-review")

    reader = browser.new_page()
    sign_in(reader, served, served.keys.read)
    reader.goto(f"{served.url}/console/orders/holds")
    expect(reader.locator("tr.hold")).to_have_count(1)
    expect(reader.get_by_role("button", name=re.compile("Release|Reject"))).to_have_count(0)
    reader.goto(f"{served.url}/console/customers/review")
    expect(reader.get_by_role("button", name=re.compile("merge|Not a match"))).to_have_count(0)

    page.get_by_role("button", name=f"Task {served.seeded.task_id}: not a match").click()
    expect(page.get_by_role("status")).to_contain_text("not a match")
    expect(page.get_by_text("No customer waits for review")).to_be_visible()
