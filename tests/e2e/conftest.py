"""Browser fixtures: the console hub served by uvicorn on loopback, and Debian's Chromium.

Chromium comes from the system (``apt-get install chromium``), not from
Playwright's own download: ``CROSSDOCK_CHROMIUM`` names the binary, else
``chromium`` on the PATH. Without it the browser tests are skipped with that
hint; with ``CROSSDOCK_REQUIRE_CHROMIUM=1`` (``.ci/run``) a missing browser
fails the run instead. Screenshots of each page go under
``$CROSSDOCK_SCREENSHOTS`` (else a fresh temporary folder, printed at the end).
"""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn

from console_hub import Keys, make_keys, open_hub, seed
from crossdock.api import create_app
from crossdock.app import Application
from crossdock.sync.runtime import Hub

REQUIRE = os.environ.get("CROSSDOCK_REQUIRE_CHROMIUM") == "1"
HINT = "install Debian's Chromium (apt-get install -y chromium) or set CROSSDOCK_CHROMIUM"


def chromium_path() -> str:
    found = os.environ.get("CROSSDOCK_CHROMIUM") or shutil.which("chromium")
    if found and Path(found).exists():
        return found
    if REQUIRE:
        pytest.fail(f"CROSSDOCK_REQUIRE_CHROMIUM=1 but no Chromium was found: {HINT}")
    pytest.skip(f"console browser tests skipped: no Chromium ({HINT})")


@dataclass
class Served:
    url: str
    hub: Hub
    keys: Keys
    shots: Path


@pytest.fixture(scope="session")
def screenshots() -> Iterator[Path]:
    folder = Path(os.environ.get("CROSSDOCK_SCREENSHOTS") or tempfile.mkdtemp(prefix="console-"))
    folder.mkdir(parents=True, exist_ok=True)
    yield folder
    print(f"\nconsole screenshots: {folder}")


@pytest.fixture
def served(tmp_path: Path, screenshots: Path) -> Iterator[Served]:
    hub = open_hub(tmp_path)
    seed(hub)
    keys = make_keys(hub)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        create_app(Application(hub)), log_level="warning", lifespan="off", loop="asyncio"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:  # a readiness wait, not a timed assertion
        if not thread.is_alive():
            raise RuntimeError("the console server did not start")
        time.sleep(0.02)
    try:
        yield Served(f"http://127.0.0.1:{port}", hub, keys, screenshots)
    finally:
        server.should_exit = True
        thread.join()
        sock.close()
        hub.close()


@pytest.fixture(scope="session")
def browser_path() -> str:
    return chromium_path()
