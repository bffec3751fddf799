"""An unmapped value's exception replays once the value map is fixed, and only then."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from crossdock.cli import app
from crossdock.model.base import EntityType
from crossdock.store import Store

pytestmark = pytest.mark.integration
runner = CliRunner()

STOCK = "ITEMNO,WHSE,ONHAND\nA-1,W01,5\nA-2,W09,7\n"


def _hub_file(tmp_path: Path, store_url: str, warehouses: dict[str, str]) -> Path:
    doc = {
        "store": {"url": store_url},
        "systems": [
            {
                "name": "erp",
                "kind": "files",
                "settings": {
                    "inbox": str(tmp_path / "inbox"),
                    "mappings": [
                        {
                            "pattern": "stock*.csv",
                            "entity": "inventory",
                            "id": ["ITEMNO", "WHSE"],
                            "columns": {"ITEMNO": "sku", "WHSE": "location", "ONHAND": "on_hand"},
                            "values": {"location": warehouses},
                        }
                    ],
                },
            }
        ],
        "ownership": {"inventory": {"owner": "erp"}},
    }
    path = tmp_path / "crossdock.yaml"
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    return path


def test_a_fixed_value_map_replays_the_kept_row(tmp_path: Path, store_url: str) -> None:
    cfg = _hub_file(tmp_path, store_url, {"W01": "DAL"})
    (tmp_path / "stock.csv").write_text(STOCK)
    result = runner.invoke(
        app, ["import", str(tmp_path / "stock.csv"), "-s", "erp", "-c", str(cfg)]
    )
    assert result.exit_code == 0, result.output
    listed = runner.invoke(app, ["exceptions", "list", "--json", "-c", str(cfg)])
    (exc,) = json.loads(listed.stdout)["items"]
    assert exc["code"] == "unmapped_value" and exc["payload"]["raw"]["WHSE"] == "W09"
    # not fixed yet: still refused, one line, nothing ingested
    again = runner.invoke(app, ["exceptions", "retry", str(exc["id"]), "-c", str(cfg)])
    assert again.exit_code == 2 and "W09" in again.output and "Traceback" not in again.output
    # the operator adds W09 to the value map; the kept row goes through
    _hub_file(tmp_path, store_url, {"W01": "DAL", "W09": "RNO"})
    fixed = runner.invoke(app, ["exceptions", "retry", str(exc["id"]), "-c", str(cfg)])
    assert fixed.exit_code == 0, fixed.output
    store = Store.open(store_url)
    try:
        places = sorted(r.data["location"] for r in store.records.page(EntityType.INVENTORY))
        assert places == ["DAL", "RNO"]
        assert store.exceptions.get(exc["id"]).status.value == "resolved"  # type: ignore[union-attr]
    finally:
        store.close()
