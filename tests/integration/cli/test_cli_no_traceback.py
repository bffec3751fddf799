"""No command prints a traceback: broken inputs end in one clear line and a non-zero exit."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from crossdock.cli import app

pytestmark = pytest.mark.integration
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


@pytest.fixture
def hub_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PORTAL_WEBHOOK_SECRET", SECRET)
    assert CliRunner().invoke(app, ["init"]).exit_code == 0
    assert CliRunner().invoke(app, ["sync"]).exit_code == 0
    return tmp_path


@pytest.fixture
def busy_port() -> Iterator[int]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        yield int(s.getsockname()[1])


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


CASES = {
    "status, the store refuses": [
        "status",
        "--store",
        f"postgresql://x@127.0.0.1:{_closed_port()}/x",
    ],
    "status, no hub file": ["status", "-c", "missing.yaml"],
    "init into a missing folder": ["init", "/missing-dir/x.yaml"],
    "price book into a missing folder": ["pricing", "book", "C1", "--out", "/missing-dir/b.csv"],
    "resend an unknown record": ["routes", "resend", "products-to-portal", "product", "nope"],
    "resend on an unknown route": ["routes", "resend", "nosuch", "product", "nope"],
    "retry a record that is not parked": ["parked", "retry", "products-to-portal", "nope"],
    "skip a record that is not parked": ["parked", "skip", "products-to-portal", "nope"],
    "replay without a position": ["routes", "replay", "products-to-portal"],
    "show an unknown exception": ["exceptions", "show", "999"],
    "retry an unknown exception": ["exceptions", "retry", "999"],
    "source with a bad quantity": ["availability", "source", "SKU=abc"],
    "reserve nothing": ["availability", "reserve", "S", "DAL", "0", "--key", "k"],
    "import through a system that is not a files source": [
        "import",
        "crossdock.yaml",
        "-s",
        "portal",
    ],
    "exceptions with a bad status": ["exceptions", "list", "--status", "closed"],
}


@pytest.mark.parametrize("args", list(CASES.values()), ids=list(CASES))
def test_broken_input_is_one_line_and_a_non_zero_exit(hub_dir: Path, args: list[str]) -> None:
    result = CliRunner().invoke(app, args)
    assert result.exit_code != 0, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    assert "Traceback" not in result.output
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, result.output
    assert "errors.pydantic.dev" not in result.output and "from_seq" not in result.output


def test_serve_on_a_busy_port_says_so(hub_dir: Path, busy_port: int) -> None:
    result = CliRunner().invoke(app, ["serve", "--port", str(busy_port)])
    assert result.exit_code == 2
    assert f"127.0.0.1:{busy_port}" in result.output and "--port" in result.output


def test_a_second_demo_on_a_busy_port_stops_before_it_works(tmp_path: Path, busy_port: int) -> None:
    result = CliRunner().invoke(
        app, ["demo", "--dir", str(tmp_path / "d"), "--port", str(busy_port)]
    )
    assert result.exit_code == 2 and "--port" in result.output
    assert not (tmp_path / "d").exists()  # nothing generated, nothing synced


def test_read_commands_create_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PORTAL_WEBHOOK_SECRET", SECRET)
    assert CliRunner().invoke(app, ["init"]).exit_code == 0
    text = (tmp_path / "crossdock.yaml").read_text()
    (tmp_path / "crossdock.yaml").write_text(
        text.replace("sqlite:///crossdock.sqlite", "sqlite:///deep/er/crossdock.sqlite")
    )
    for args in (
        ["status"],
        ["exceptions", "list"],
        ["parked", "list"],
        ["proposals", "list"],
        ["keys", "list"],
    ):
        result = CliRunner().invoke(app, args)
        assert result.exit_code == 2 and "crossdock sync" in result.output, result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["crossdock.yaml"]


def test_version() -> None:
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0 and result.output.startswith("crossdock ")
