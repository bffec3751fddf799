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
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

pytest.importorskip("trytond", reason="install the Tryton packages (the dev extra)")

BIN = Path(sys.executable).parent
PASSWORD = "admin-password-1"
HERE = Path(__file__).parent
EXAMPLE = Path(__file__).parents[3] / "src" / "crossdock" / "connectors" / "tryton" / "example.yaml"


@dataclass(frozen=True)
class TrytonServer:
    url: str
    database: str
    path: Path
    process: subprocess.Popen[bytes]


def _env(path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRYTON")}
    env.update(TRYTOND_DATABASE_URI="sqlite://", TRYTOND_DATABASE__PATH=str(path), **extra)
    return env


@pytest.fixture(scope="session")
def tryton_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seeded template database file (built once per run).

    ``CROSSDOCK_TRYTON_TEMPLATE`` may name an already built file to reuse (local runs).
    """
    prebuilt = os.environ.get("CROSSDOCK_TRYTON_TEMPLATE")
    if prebuilt and Path(prebuilt).is_file():
        return Path(prebuilt)
    root = tmp_path_factory.mktemp("tryton-template")
    (root / "template.sqlite").touch()
    passfile = root / "pass"
    passfile.write_text("bootstrap-password-1\n")
    subprocess.run(
        [
            str(BIN / "trytond-admin"),
            "-d",
            "template",
            "--all",
            "-u",
            "sale",
            "sale_price_list",
            "sale_credit_limit",
            "--activate-dependencies",
            "--email",
            "admin@example.com",
        ],
        env=_env(root, TRYTONPASSFILE=str(passfile)),
        check=True,
        capture_output=True,
        timeout=600,
    )
    subprocess.run(
        [sys.executable, str(HERE / "seed.py")],
        env=_env(root, DB_NAME="template"),
        check=True,
        capture_output=True,
        timeout=600,
    )
    return root / "template.sqlite"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(template: Path, where: Path, name: str = "erp") -> TrytonServer:
    where.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(template, where / f"{name}.sqlite")
    port = _free_port()
    conf = where / "trytond.conf"
    conf.write_text(
        f"[database]\nuri = sqlite://\npath = {where}\nlist = False\n"
        f"[web]\nlisten = 127.0.0.1:{port}\n"
        "[session]\nmax_attempt = 100\n"
    )
    with (where / "trytond.log").open("wb") as log:
        proc = subprocess.Popen(
            [str(BIN / "trytond"), "-c", str(conf), "-d", name],
            env=_env(where),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:
        try:
            r = httpx.post(
                f"{url}/{name}/rpc/",
                json={"id": 0, "method": "common.server.version", "params": []},
                timeout=5,
            )
            if r.status_code < 500:
                break
        except httpx.TransportError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError(f"trytond did not start: {(where / 'trytond.log').read_text()}")
        time.sleep(0.2)
    return TrytonServer(url, name, where, proc)


@pytest.fixture
def tryton(tryton_template: Path, tmp_path: Path) -> Iterator[TrytonServer]:
    """A trytond server on its own copy of the template database."""
    server = start_server(tryton_template, tmp_path / "tryton")
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
