"""A European ERP export through `crossdock import`: exactly the records it holds, read exactly."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from crossdock.cli import app
from crossdock.connectors.files.source import FilesSource
from crossdock.connectors.registry import build_connector
from crossdock.model.base import EntityType
from crossdock.store import Store
from crossdock.sync.runtime import load_checked

pytestmark = pytest.mark.integration
runner = CliRunner()

EXPORT = (
    "ARTNR;BEZ;PREIS;KOSTEN\n"
    "A-1;Sechskantschraube;1.234,50;12,50\n"
    "A-2;Mutter;0,99;0,10\n"
    'A-3;"Scheibe, zwei\nZeilen";12,50;3\n'
)
EUROPEAN = {"decimal": ",", "thousands": ".", "negative": ["trailing"]}


def _hub_file(tmp_path: Path, store_url: str, number: dict[str, object]) -> Path:
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
                            "pattern": "artikel*.csv",
                            "entity": "product",
                            "id": "ARTNR",
                            "delimiter": ";",
                            "columns": {
                                "ARTNR": "sku",
                                "BEZ": "description",
                                "PREIS": "list_price",
                                "KOSTEN": "cost",
                            },
                            "number": number,
                        },
                        {
                            "pattern": "bestand*.csv",
                            "entity": "inventory",
                            "id": ["ARTNR", "LAGER"],
                            "columns": {
                                "ARTNR": "sku",
                                "LAGER": "location",
                                "MENGE": "on_hand",
                                "STAND": "as_of",
                            },
                            "number": number,
                            "formats": {
                                "MENGE": {"number": {**number, "negative": ["parentheses"]}}
                            },
                            "date": "DD.MM.YYYY",
                        },
                    ],
                },
            }
        ],
        "ownership": {"product": {"owner": "erp"}, "inventory": {"owner": "erp"}},
    }
    path = tmp_path / "crossdock.yaml"
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    return path


def _import(cfg: Path, path: Path) -> str:
    result = runner.invoke(app, ["import", str(path), "-s", "erp", "-c", str(cfg)])
    assert result.exit_code == 0, result.output
    return result.output


def test_a_european_export_is_read_exactly(tmp_path: Path, store_url: str) -> None:
    cfg = _hub_file(tmp_path, store_url, EUROPEAN)
    export = tmp_path / "artikel_1.csv"
    export.write_text(EXPORT, encoding="utf-8")
    _import(cfg, export)
    stock = tmp_path / "bestand_1.csv"
    stock.write_text(
        "ARTNR;LAGER;MENGE;STAND\nA-1;DAL;1.200;31.12.2026\nA-2;DAL;(1,5);01.01.2027\n",
        encoding="utf-8",
    )
    _import(cfg, stock)
    store = Store.open(store_url)
    try:
        products = {r.data["sku"]: r.data for r in store.records.page(EntityType.PRODUCT)}
        stock_of = {r.data["sku"]: r.data for r in store.records.page(EntityType.INVENTORY)}
    finally:
        store.close()
    assert sorted(products) == ["A-1", "A-2", "A-3"]
    assert products["A-1"]["list_price"] == "1234.50" and products["A-1"]["cost"] == "12.50"
    assert products["A-2"]["list_price"] == "0.99" and products["A-2"]["cost"] == "0.10"
    assert products["A-3"]["description"] == "Scheibe, zwei\nZeilen"
    assert stock_of["A-1"]["on_hand"] == "1200"
    assert stock_of["A-1"]["as_of"].startswith("2026-12-31T00:00:00")
    assert stock_of["A-2"]["on_hand"] == "-1.5"  # (1,5): a negative count, in parentheses
    # the progress total counts 3 records, not the 4 physical lines
    hub = load_checked(cfg)
    files = build_connector(hub.system("erp"), hub).source()
    assert isinstance(files, FilesSource)
    assert files.read_file(export).total == 3


def test_a_value_that_does_not_fit_is_an_exception_naming_row_column_value_and_format(
    tmp_path: Path, store_url: str
) -> None:
    cfg = _hub_file(tmp_path, store_url, {"decimal": ",", "thousands": "."})
    export = tmp_path / "bestand_2.csv"
    export.write_text(
        "ARTNR;LAGER;MENGE;STAND\nB-1;DAL;1,234.50;31.12.2026\nB-2;DAL;2;2026-12-31\n"
    )
    result = runner.invoke(app, ["import", str(export), "-s", "erp", "-c", str(cfg)])
    assert result.exit_code != 0  # nothing was imported
    assert "nothing of bestand_2.csv was imported" in result.output
    listed = json.loads(runner.invoke(app, ["exceptions", "list", "--json", "-c", str(cfg)]).stdout)
    reasons = {i["ref"]: (i["field"], i["reason"], i["native_id"]) for i in listed["items"]}
    field, reason, nid = reasons["bestand_2.csv:2"]
    assert field == "MENGE" and "'1,234.50'" in reason and "decimal ','" in reason
    assert nid == "B-1|DAL"
    field, reason, _ = reasons["bestand_2.csv:3"]
    assert field == "STAND" and "'2026-12-31'" in reason and "DD.MM.YYYY" in reason


def test_a_row_with_an_extra_column_keeps_its_id(tmp_path: Path, store_url: str) -> None:
    cfg = _hub_file(tmp_path, store_url, {"decimal": ","})
    export = tmp_path / "artikel_3.csv"
    export.write_text("ARTNR;BEZ;PREIS;KOSTEN\nC-1;x;1;1;extra\nC-2;y;2;1\n")
    _import(cfg, export)
    listed = json.loads(runner.invoke(app, ["exceptions", "list", "--json", "-c", str(cfg)]).stdout)
    (item,) = listed["items"]
    assert item["native_id"] == "C-1" and item["ref"] == "artikel_3.csv:2"
