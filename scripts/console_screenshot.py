"""Photograph the console's overview on the demo data set (docs/images/console-overview.png).

Builds the demo (``crossdock.demo.dataset``), serves the app on loopback,
signs in with an admin key in Debian's Chromium driven by Playwright
(``CROSSDOCK_CHROMIUM``, else ``/usr/bin/chromium``) and saves the page.

    .venv/bin/python scripts/console_screenshot.py [out.png]
"""

from __future__ import annotations

import os
import socket
import sys
import tempfile
import threading
import time
from pathlib import Path

import uvicorn
from playwright.sync_api import sync_playwright

from crossdock.api import create_api_key, create_app
from crossdock.demo.dataset import build_demo


def main() -> None:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/images/console-overview.png")
    app = build_demo(Path(tempfile.mkdtemp(prefix="console-shot-")) / "demo")
    key = create_api_key(app.hub.store, "demo-admin", ["admin"])
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(app), log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path=os.environ.get("CROSSDOCK_CHROMIUM", "/usr/bin/chromium")
            )
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(f"http://127.0.0.1:{port}/console/login")
            page.get_by_label("API key").fill(key)
            page.get_by_role("button", name="Sign in").click()
            page.get_by_role("heading", name="Overview").wait_for()
            out.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(out), full_page=True)
            browser.close()
    finally:
        server.should_exit = True
        thread.join()
        app.close()
    print(out)


if __name__ == "__main__":
    main()
