"""A trytond server on loopback for the tests and the benchmarks: build, copy, start.

``build_template`` makes the seeded template database (``trytond-admin``
with the modules, then ``seed.py``); ``start_server`` copies it and starts
``trytond`` on a free port, waiting until it answers. No pytest here, so
``benchmarks/tryton_pull.py`` uses the same code.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

BIN = Path(sys.executable).parent
HERE = Path(__file__).parent


@dataclass(frozen=True)
class TrytonServer:
    url: str
    database: str
    path: Path
    process: subprocess.Popen[bytes]


def tryton_env(path: Path, **extra: str) -> dict[str, str]:
    """The environment of a trytond command on the SQLite databases in ``path``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRYTON")}
    env.update(TRYTOND_DATABASE_URI="sqlite://", TRYTOND_DATABASE__PATH=str(path), **extra)
    return env


MODULES = ("sale", "sale_price_list", "sale_credit_limit")
CARRIER_MODULES = ("stock_package_shipping",)
"""Tryton's carrier modules: a shipment's ``carrier`` (``stock_shipment_cost``, a
dependency) and its ``shipping_reference`` and its packages' (``stock_package_shipping``).
Only in a template of their own: once installed, packing a shipment without a carrier is
a warning Tryton asks a person to confirm, which the other tests' shipments do not set."""


def build_template(root: Path, extra: tuple[str, ...] = ()) -> Path:
    """The seeded template database, built in ``root`` (about 40 s); ``extra`` modules too."""
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
            *MODULES,
            *extra,
            "--activate-dependencies",
            "--email",
            "admin@example.com",
        ],
        env=tryton_env(root, TRYTONPASSFILE=str(passfile)),
        check=True,
        capture_output=True,
        timeout=600,
    )
    subprocess.run(
        [sys.executable, str(HERE / "seed.py")],
        env=tryton_env(root, DB_NAME="template"),
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
            env=tryton_env(where),
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


__all__ = [
    "BIN",
    "CARRIER_MODULES",
    "MODULES",
    "TrytonServer",
    "build_template",
    "start_server",
    "tryton_env",
]
