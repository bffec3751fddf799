"""The demo keeps its webhook secret in a private file and never prints it; stores are 0600."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from crossdock.cli import app
from crossdock.demo.config import SECRET_ENV
from crossdock.store import Store

pytestmark = pytest.mark.integration
runner = CliRunner()


def test_demo_prints_where_the_secret_is_kept_not_the_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import uvicorn

    monkeypatch.delenv(SECRET_ENV, raising=False)  # restored after the demo sets it
    served: list[object] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: served.append(app))
    root = tmp_path / "demo"
    args = ["demo", "--dir", str(root), "--products", "30", "--customers", "6", "--port", "0"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert served, "the demo went on to serve the API"
    secret = os.environ[SECRET_ENV]
    kept = root / "portal-secret.env"
    assert kept.read_text() == f"export {SECRET_ENV}={secret}\n"
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert str(kept) in result.output.replace("\n", "")
    assert secret not in result.output
    assert secret.removeprefix("whsec_") not in result.output
    assert stat.S_IMODE((root / "hub.sqlite").stat().st_mode) == 0o600


def test_a_new_sqlite_store_is_readable_by_its_owner_alone(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "hub.sqlite"
    store = Store.open(f"sqlite:///{path}")
    try:
        store.records.count()
    finally:
        store.close()
    for p in [path, *path.parent.glob("hub.sqlite-*")]:
        assert stat.S_IMODE(p.stat().st_mode) == 0o600, p
