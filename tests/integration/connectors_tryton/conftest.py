"""A real trytond server on loopback, from a database built once per test run.

The template database (modules activated, company, chart of accounts, fiscal
year, a payment term, products, a customer, a price list and stock; see
``seed.py``) is built once per run with ``trytond-admin`` and ``seed.py`` as
subprocesses (about 40 s). Each test gets a copy of the SQLite file and its
own ``trytond`` process on a free port (about 3 s), so tests never see each
other's changes.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("trytond", reason="install the Tryton packages (the dev extra)")

from .tryton_server import CARRIER_MODULES, TrytonServer, build_template, start_server

PASSWORD = "admin-password-1"
EXAMPLE = Path(__file__).parents[3] / "src" / "crossdock" / "connectors" / "tryton" / "example.yaml"


@pytest.fixture(scope="session")
def tryton_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seeded template database file (built once per run).

    ``CROSSDOCK_TRYTON_TEMPLATE`` may name an already built file to reuse (local runs).
    """
    prebuilt = os.environ.get("CROSSDOCK_TRYTON_TEMPLATE")
    if prebuilt and Path(prebuilt).is_file():
        return Path(prebuilt)
    return build_template(tmp_path_factory.mktemp("tryton-template"))


@pytest.fixture(scope="session")
def tryton_carrier_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seeded template with Tryton's carrier modules too (built once per run, if used)."""
    return build_template(tmp_path_factory.mktemp("tryton-carrier-template"), CARRIER_MODULES)


@pytest.fixture
def tryton(tryton_template: Path, tmp_path: Path) -> Iterator[TrytonServer]:
    """A trytond server on its own copy of the template database."""
    yield from _serve(tryton_template, tmp_path)


@pytest.fixture
def tryton_carrier(tryton_carrier_template: Path, tmp_path: Path) -> Iterator[TrytonServer]:
    """A trytond server with the carrier modules, on its own copy of their template."""
    yield from _serve(tryton_carrier_template, tmp_path)


def _serve(template: Path, tmp_path: Path) -> Iterator[TrytonServer]:
    server = start_server(template, tmp_path / "tryton")
    try:
        yield server
    finally:
        server.process.terminate()
        try:
            server.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait()


def hub_yaml(server: TrytonServer, tmp_path: Path) -> str:
    """The shipped example hub file, pointed at the test server and folders."""
    text = EXAMPLE.read_text()
    text = text.replace("http://127.0.0.1:8000", server.url)
    text = text.replace("database: erp", f"database: {server.database}")
    text = text.replace("./export/catalog", str(tmp_path / "catalog"))
    text = text.replace("sqlite:///crossdock.sqlite", f"sqlite:///{tmp_path / 'hub.sqlite'}")
    return text


@pytest.fixture
def hub_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRYTON_PASSWORD", PASSWORD)
    monkeypatch.setenv("PORTAL_WEBHOOK_SECRET", "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
