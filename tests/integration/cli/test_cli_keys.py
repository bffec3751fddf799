"""`crossdock keys`: system and person keys, expiry, rotation, and the listing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from crossdock.api.keys import parse_key
from crossdock.cli import app

pytestmark = pytest.mark.integration


@pytest.fixture
def hub_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PORTAL_WEBHOOK_SECRET", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
    assert CliRunner().invoke(app, ["init"]).exit_code == 0
    return tmp_path


def _run(*args: str) -> tuple[int, str]:
    r = CliRunner().invoke(app, list(args))
    return r.exit_code, r.output


def _listing() -> dict[str, dict[str, object]]:
    code, out = _run("keys", "list", "--json")
    assert code == 0, out
    return {k["prefix"]: k for k in json.loads(out)}


def test_keys_belong_to_a_system_or_a_role_and_rotate(hub_dir: Path) -> None:
    code, out = _run("keys", "create", "erp-prod", "--system", "erp", "--expires-in", "90d")
    assert code == 0, out
    erp = parse_key(out.strip())
    code, out = _run("keys", "create", "alice", "--role", "steward")
    assert code == 0, out
    alice = parse_key(out.strip())
    assert erp and alice
    listed = _listing()
    assert (listed[erp]["system"], listed[erp]["role"]) == ("erp", None)
    assert listed[erp]["expires_at"] is not None and listed[erp]["last_used_at"] is None
    assert (listed[alice]["system"], listed[alice]["role"]) == (None, "steward")

    code, out = _run("keys", "rotate", erp, "--grace", "2h")
    assert code == 0, out
    new = parse_key(out.strip().splitlines()[0])
    assert new and new != erp
    listed = _listing()
    assert listed[new]["system"] == "erp" and listed[new]["name"] == "erp-prod"
    assert str(listed[erp]["expires_at"]) < str(listed[new]["expires_at"])


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--system", "nosuch"], "unknown system 'nosuch'"),
        (["--role", "nosuch"], "unknown role 'nosuch'"),
        (["--system", "erp", "--role", "admin"], "exactly one of them"),
        (["--system", "erp", "--expires-in", "soon"], "write a count and d, h or m"),
    ],
)
def test_a_key_with_a_bad_owner_is_refused_in_one_line(
    hub_dir: Path, args: list[str], says: str
) -> None:
    code, out = _run("keys", "create", "x", *args)
    assert code != 0
    assert says in out and "Traceback" not in out
    if (hub_dir / "crossdock.sqlite").exists():  # refused before the store was even opened
        assert _listing() == {}
