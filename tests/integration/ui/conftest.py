"""Console fixtures: the shared console hub (tests/console_hub.py) seeded, its keys, a client.

Every console test runs on SQLite and on PostgreSQL (``store_url``).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

from console_hub import Keys, make_keys, open_hub, seed
from crossdock.api import create_app
from crossdock.app import Application
from crossdock.sync.runtime import Hub
from crossdock.ui import Signer

with warnings.catch_warnings():
    # Starlette warns that it prefers httpx2 over httpx; the client works the same.
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient


@pytest.fixture
def hub(tmp_path: Path, store_url: str) -> Iterator[Hub]:
    h = open_hub(tmp_path, store_url)
    seed(h)
    yield h
    h.close()


@pytest.fixture
def keys(hub: Hub) -> Keys:
    return make_keys(hub)


@pytest.fixture
def client(hub: Hub) -> Iterator[TestClient]:
    app = create_app(Application(hub), console_signer=Signer("test-secret"))
    with TestClient(app) as c:
        yield c
