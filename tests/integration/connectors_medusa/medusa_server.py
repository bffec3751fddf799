"""A real Medusa v2 on loopback: installed once into a cache folder, started once per test run.

The Medusa application is ``tests/peers/medusa`` (``package.json``, the lock
and ``medusa-config.js``, admin UI off). It is installed with ``npm ci`` into
``$CROSSDOCK_MEDUSA_HOME/<digest of those files>`` (default
``~/.cache/crossdock/medusa``), outside the repository, under a file lock, so a
second run reuses it and two runs at once install it once. Each run makes its
own PostgreSQL database, runs ``medusa db:migrate``, creates an admin user, starts
``medusa start`` on a free loopback port, logs in and makes a secret API key.
Measured on this machine: install about 60 s (750 MB), migrations about 9 s,
start about 4 s.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import httpx

PEER = Path(__file__).parents[2] / "peers" / "medusa"
FILES = ("package.json", "package-lock.json", "medusa-config.js")
ADMIN_EMAIL = "admin@crossdock.test"


@dataclass
class MedusaPeer:
    """A running Medusa: its URL, a secret API key, the admin's JWT and timings (seconds)."""

    url: str
    secret_key: str
    admin_token: str
    database_url: str
    process: subprocess.Popen[bytes]
    timings: dict[str, float] = field(default_factory=dict)

    def admin(self) -> httpx.Client:
        """An HTTP client on the Admin API with the secret key (Basic auth)."""
        return httpx.Client(base_url=self.url, auth=(self.secret_key, ""), timeout=30)


def medusa_home() -> Path:
    return Path(os.environ.get("CROSSDOCK_MEDUSA_HOME") or Path.home() / ".cache/crossdock/medusa")


def tools_missing() -> str | None:
    """Why Medusa cannot run here (no node or npm), or None."""
    for tool in ("node", "npm"):
        if shutil.which(tool) is None:
            return f"{tool} is not on PATH (Medusa needs Node.js 20+ and npm)"
    return None


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def install(home: Path) -> tuple[Path, float]:
    """The installed application (``npm ci`` once per lock file) and the seconds it took now."""
    digest = hashlib.sha256(b"".join((PEER / f).read_bytes() for f in FILES)).hexdigest()[:16]
    app = home / digest
    with _locked(home / ".lock"):
        if (app / ".installed").exists():
            return app, 0.0
        started = time.monotonic()
        work = home / f"{digest}.partial"
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        for f in FILES:
            shutil.copy(PEER / f, work / f)
        subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=work,
            check=True,
            capture_output=True,
            timeout=900,
        )
        (work / ".installed").write_text("ok\n")
        shutil.rmtree(app, ignore_errors=True)
        work.rename(app)
        return app, time.monotonic() - started


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _db_url(server_url: str, name: str) -> str:
    u = urlparse(server_url)
    return urlunparse(u._replace(path=f"/{name}", query=""))


def create_database(server_url: str) -> str:
    """A fresh database on the server ``server_url`` names; returns its URL."""
    import psycopg

    name = f"crossdock_medusa_{secrets.token_hex(4)}"
    with psycopg.connect(_db_url(server_url, "postgres"), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return _db_url(server_url, name)


def drop_database(database_url: str) -> None:
    import psycopg

    name = urlparse(database_url).path.lstrip("/")
    with psycopg.connect(_db_url(database_url, "postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _run(app: Path, env: dict[str, str], *args: str) -> None:
    done = subprocess.run(
        ["npx", "--no-install", "medusa", *args],
        cwd=app,
        env=env,
        capture_output=True,
        timeout=600,
    )
    if done.returncode != 0:
        tail = (done.stdout + done.stderr).decode(errors="replace")[-2000:]
        raise RuntimeError(f"medusa {args[0]} failed ({done.returncode}):\n{tail}")


def start(server_url: str, log: Path) -> MedusaPeer:
    """Install (if needed), migrate a new database, start Medusa, make a secret key."""
    timings: dict[str, float] = {}
    app, timings["install"] = install(medusa_home())
    database_url = create_database(server_url)
    password = secrets.token_urlsafe(12)
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "JWT_SECRET": secrets.token_hex(16),
        "COOKIE_SECRET": secrets.token_hex(16),
        "MEDUSA_DISABLE_TELEMETRY": "true",
        "NODE_ENV": "development",
    }
    t = time.monotonic()
    _run(app, env, "db:migrate")
    _run(app, env, "user", "-e", ADMIN_EMAIL, "-p", password)
    timings["migrate"] = time.monotonic() - t
    port = free_port()
    t = time.monotonic()
    with log.open("wb") as out:
        process = subprocess.Popen(
            ["npx", "--no-install", "medusa", "start", "-H", "127.0.0.1", "-p", str(port)],
            cwd=app,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(url, process, log)
        timings["start"] = time.monotonic() - t
        with httpx.Client(base_url=url, timeout=30) as http:
            r = http.post("/auth/user/emailpass", json={"email": ADMIN_EMAIL, "password": password})
            r.raise_for_status()
            token = r.json()["token"]
            r = http.post(
                "/admin/api-keys",
                json={"title": "crossdock-tests", "type": "secret"},
                headers={"Authorization": f"Bearer {token}"},
            )
            r.raise_for_status()
            key = r.json()["api_key"]["token"]
    except BaseException:
        stop(process)
        drop_database(database_url)
        raise
    return MedusaPeer(url, key, token, database_url, process, timings)


def _wait_ready(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"medusa start exited {process.returncode}:\n{log.read_text()[-2000:]}"
            )
        try:
            if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"medusa did not answer /health in 180 s:\n{log.read_text()[-2000:]}")


def stop(process: subprocess.Popen[bytes]) -> None:
    """Stop ``medusa start`` and the processes it started (its own process group)."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
