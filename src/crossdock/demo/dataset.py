"""The demo's data set without its server: generated, pulled, delivered, for measuring and pictures.

``benchmarks/console.py --demo`` times the console's pages on it and
``scripts/console_screenshot.py`` photographs its overview. The portal
receiver the demo's routes deliver to runs only while the data set is built.
"""

from __future__ import annotations

import base64
import os
import secrets
import shutil
from pathlib import Path

from crossdock.app import Application
from crossdock.demo.config import SECRET_ENV, demo_hub, demo_hub_document, write_hub_file
from crossdock.demo.generator import generate
from crossdock.demo.receiver import PortalReceiver
from crossdock.store import Store
from crossdock.sync.runtime import Hub


def build_demo(
    root: Path, *, products: int = 3000, customers: int = 300, seed: int = 7
) -> Application:
    """The demo hub in ``root`` (emptied first) after its first full sync; the caller closes it."""
    root = root.resolve()
    if root.exists():
        shutil.rmtree(root)
    (root / "inbox").mkdir(parents=True)
    os.environ.setdefault(SECRET_ENV, "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode())
    generate(root / "inbox", products=products, customers=customers, seed=seed)
    with PortalReceiver(os.environ[SECRET_ENV]) as portal:
        doc = demo_hub_document(root, portal.url)
        write_hub_file(root / "crossdock.yaml", doc)
        application = Application(Hub(demo_hub(root, portal.url), Store.open(doc["store"]["url"])))
        application.attach_steps()
        hub = application.hub
        hub.pull()
        hub.run_steps()
        for route in hub.config.routes:
            hub.worker(route.name).drain()
    return application


__all__ = ["build_demo"]
