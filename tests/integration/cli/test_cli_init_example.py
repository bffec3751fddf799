"""`crossdock init`'s example syncs end to end as written (only the portal's address changes).

The example names a portal at https://portal.example.com, which this machine
cannot reach: the test points that one URL at a receiver on loopback and
changes nothing else.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from crossdock.cli import app
from loopback import LoopbackReceiver

pytestmark = pytest.mark.integration
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


@pytest.fixture
def portal() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    with LoopbackReceiver(SECRET, path="/crossdock/hooks") as receiver:
        yield receiver.url, receiver.received


def test_the_example_syncs_end_to_end(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, portal: tuple[str, list[dict[str, Any]]]
) -> None:
    url, received = portal
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PORTAL_WEBHOOK_SECRET", SECRET)
    runner = CliRunner()
    assert runner.invoke(app, ["init"]).exit_code == 0
    cfg = tmp_path / "crossdock.yaml"
    cfg.write_text(cfg.read_text().replace("https://portal.example.com/crossdock/hooks", url))
    drop = tmp_path / "drop" / "erp"
    drop.mkdir(parents=True)
    (drop / "items.csv").write_text(
        "ITEMNO,DESCRIPTION,UOM,CASE_QTY,COST,GTIN,STATUS\n"
        "BLT-1,Hex bolt,EA,12,0.42,00012345678905,A\n"
        "BLT-2,Lag screw,EA,50,0.10,,D\n"
    )
    (drop / "stock.csv").write_text("ITEMNO,WHSE,ONHAND,ALLOC\nBLT-1,01,100,10\nBLT-1,02,40,0\n")
    result = runner.invoke(app, ["sync"])
    assert result.exit_code == 0, result.output
    assert runner.invoke(app, ["exceptions", "list", "--json"]).stdout.count('"id"') == 0
    products = {d["data"]["sku"] for d in received if d["entity_type"] == "product"}
    assert products == {"BLT-1"}  # the active one; the discontinued one is filtered out
    stock = {
        (d["data"]["sku"], d["data"]["location"]): d["data"].get("available")
        for d in received
        if d["entity_type"] == "inventory" and d["data"].get("available") is not None
    }
    assert stock == {("BLT-1", "DAL"): "90", ("BLT-1", "ATL"): "40"}
    assert list((tmp_path / "export" / "wms").rglob("*.jsonl"))
    shown = runner.invoke(app, ["availability", "show", "BLT-1", "--channel", "web"])
    assert shown.exit_code == 0 and '"channel_atp": "126"' in shown.stdout, shown.stdout
