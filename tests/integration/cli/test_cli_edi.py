"""`crossdock edi show FILE` and `crossdock edi gaps`, in-process."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from crossdock.cli import app
from crossdock.store import Store
from crossdock.store.edi_rows import ControlKind

pytestmark = pytest.mark.integration
runner = CliRunner()
SAMPLES = Path(__file__).parents[2] / "unit" / "connectors_edi" / "samples"


def test_show_names_segments_elements_codes_and_the_order() -> None:
    result = runner.invoke(app, ["edi", "show", str(SAMPLES / "bigbox_two_orders_crlf.x12")])
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "BEG  Beginning Segment for Purchase Order" in out
    assert "BEG03 Purchase Order Number (324): 4500012345" in out
    assert "PO106 Product/Service ID Qualifier (235): VP  [Vendor's (Seller's) Part Number]" in out
    assert "Set 850 0001: AK5 A" in out
    assert (
        "=> order 4500012345" in out and "line 1: 12 CA at 18.50 [VP W-100, UP 012345678905]" in out
    )


def test_show_marks_what_is_wrong() -> None:
    result = runner.invoke(app, ["edi", "show", str(SAMPLES / "broken_bad_qualifier.x12")])
    assert result.exit_code == 0, result.output
    assert "! PO1 (segment 5) PO106: Invalid code value 'XX' (AK304 8)" in result.stdout


def test_show_refuses_what_is_not_x12(tmp_path: Path) -> None:
    bad = tmp_path / "x.x12"
    bad.write_text("hello")
    result = runner.invoke(app, ["edi", "show", str(bad)])
    assert result.exit_code != 0
    assert "ISA" in result.output and "Traceback" not in result.output


def test_gaps_lists_numbers_no_file_carries(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'hub.sqlite'}"
    cfg = tmp_path / "crossdock.yaml"
    cfg.write_text(f'store: {{url: "{url}"}}\n', encoding="utf-8")
    store = Store.open(url)
    store.edi.allocate("bigbox", {ControlKind.ISA: 1}, "ack:abc")
    store.close()
    result = runner.invoke(app, ["edi", "gaps", "-c", str(cfg), "--json"])
    assert result.exit_code == 0, result.output
    (row,) = json.loads(result.stdout)
    assert (row["system"], row["kind"], row["number"], row["state"]) == (
        "bigbox",
        "isa",
        1,
        "allocated",
    )
    status = runner.invoke(app, ["status", "-c", str(cfg), "--json"])
    assert status.exit_code == 0, status.output
    assert json.loads(status.stdout)["edi_control_gaps"] == 1
    text = runner.invoke(app, ["status", "-c", str(cfg)])
    assert "no written file carries: 1" in text.stdout
