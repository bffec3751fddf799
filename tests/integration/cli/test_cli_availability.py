"""`crossdock availability ...` and the freshness line of `crossdock status`, in-process."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from crossdock.cli import app

pytestmark = pytest.mark.integration
runner = CliRunner()


def _hub(tmp_path: Path) -> Path:
    cfg = tmp_path / "crossdock.yaml"
    cfg.write_text(
        f"""
store: {{url: "sqlite:///{tmp_path / "hub.sqlite"}"}}
availability:
  locations: [W1, W2]
  regions: {{west: [W2, W1]}}
  channels:
    - {{name: web, ring_fence_units: "4"}}
  reservation_ttl_seconds: 600
""",
        encoding="utf-8",
    )
    return cfg


def run(cfg: Path, *args: str) -> Any:
    result = runner.invoke(app, ["availability", *args, "-c", str(cfg)])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_availability_commands(tmp_path: Path) -> None:
    cfg = _hub(tmp_path)
    ev = run(cfg, "event", "receipt", "A", "W1", "10", "--key", "e1")
    assert ev["duplicate"] is False
    assert run(cfg, "event", "receipt", "A", "W1", "10", "--key", "e1")["duplicate"] is True
    run(cfg, "event", "receipt", "A", "W2", "3", "--key", "e2")
    (item,) = run(cfg, "show", "A", "--channel", "web")
    assert (item["atp"], item["channel_atp"]) == ("13", "7")
    res = run(cfg, "reserve", "A", "W1", "4", "--key", "k1", "--channel", "web")
    assert res["status"] == "held"
    assert run(cfg, "confirm", res["id"], "--order", "SO-1")["status"] == "confirmed"
    other = run(cfg, "reserve", "A", "W2", "1", "--key", "k2")
    assert run(cfg, "release", other["id"])["status"] == "released"
    assert run(cfg, "sweep") == {"expired": 0}
    (line,) = run(cfg, "source", "A=5", "--region", "west")
    assert [(a["location"], a["quantity"]) for a in line["allocations"]] == [("W1", "5")]
    snap = tmp_path / "snap.json"
    snap.write_text(
        json.dumps(
            {
                "as_of": datetime.now(UTC).isoformat(),
                "items": [{"sku": "A", "location": "W1", "on_hand": 7.5}],
            }
        ),
        encoding="utf-8",
    )
    (rec,) = run(cfg, "snapshot", str(snap))
    assert (rec["drift"], rec["resolution"]) == ("-2.5", "kept_wms")
    (drift,) = run(cfg, "drift", "--sku", "A")
    assert drift["drift"] == "-2.5"
    assert set(run(cfg, "freshness")) == {"W1", "W2"}
    status = runner.invoke(app, ["status", "-c", str(cfg)])
    assert status.exit_code == 0, status.output
    assert "WMS freshness" in status.output and "W1" in status.output


def test_refusals_exit_2_with_the_reason(tmp_path: Path) -> None:
    cfg = _hub(tmp_path)
    bad = runner.invoke(app, ["availability", "show", "NOPE", "-c", str(cfg)])
    assert bad.exit_code == 2 and "unknown SKU" in bad.output
    neg = runner.invoke(
        app,
        ["availability", "event", "receipt", "A", "W1", "--key", "x", "-c", str(cfg), "--", "-1"],
    )
    assert neg.exit_code == 2 and "positive quantity" in neg.output
    gone = runner.invoke(app, ["availability", "confirm", "rsv_x", "-c", str(cfg)])
    assert gone.exit_code == 2 and "no reservation" in gone.output
