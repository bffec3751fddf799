"""`crossdock pricing book`: a customer's price book from a hub file's store, JSONL or CSV."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from crossdock.cli import app
from crossdock.model.base import EntityType
from crossdock.model.change import Change
from crossdock.sync.runtime import Hub, load_checked

pytestmark = pytest.mark.integration
runner = CliRunner()


def hub_file(tmp_path: Path) -> Path:
    cfg = tmp_path / "crossdock.yaml"
    cfg.write_text(
        f"""
store: {{url: "sqlite:///{tmp_path / "hub.sqlite"}"}}
systems:
  - name: erp
    kind: files
ownership:
  product: {{owner: erp}}
  price_list: {{owner: erp}}
  customer: {{owner: erp}}
pricing:
  mode: lowest
  margin_floor_percent: "5"
  rates:
    - {{from: USD, to: CAD, rate: "1.35"}}
""",
        encoding="utf-8",
    )
    config = load_checked(cfg)
    hub = Hub.open(config)
    try:
        hub.ingestor.ingest(
            [
                Change("erp", EntityType.PRODUCT, "A", {"sku": "A", "cost": "1"}),
                Change("erp", EntityType.PRODUCT, "B", {"sku": "B", "status": "discontinued"}),
                Change("erp", EntityType.CUSTOMER, "ACME", {"account_number": "ACME"}),
                Change(
                    "erp",
                    EntityType.PRICE_LIST,
                    "BASE",
                    {
                        "code": "BASE",
                        "entries": [
                            {"sku": s, "breaks": [{"min_quantity": "1", "value": "2.50"}]}
                            for s in ("A", "B")
                        ],
                    },
                ),
            ]
        )
    finally:
        hub.close()
    return cfg


def test_price_book_jsonl_and_csv(tmp_path: Path) -> None:
    cfg = hub_file(tmp_path)
    assert load_checked(cfg).pricing.mode.value == "lowest"
    result = runner.invoke(app, ["pricing", "book", "ACME", "--config", str(cfg)])
    assert result.exit_code == 0, result.output
    rows = [json.loads(x) for x in result.stdout.splitlines()]
    assert rows == [
        {
            "sku": "A",
            "unit": "EA",
            "unit_price": "2.50",
            "currency": "USD",
            "rule_kind": "base",
            "list_code": "BASE",
            "method": "fixed",
            "problem": None,
        }
    ]  # B is discontinued: not sellable
    out = tmp_path / "book.csv"
    result = runner.invoke(
        app,
        ["pricing", "book", "ACME", "--format", "csv", "--currency", "CAD", "--out", str(out),
         "--config", str(cfg)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    lines = out.read_text().splitlines()
    assert lines[0].startswith("sku,unit,unit_price") and "3.38,CAD" in lines[1]
    bad = runner.invoke(app, ["pricing", "book", "WHO", "--config", str(cfg)])
    assert bad.exit_code == 2 and "unknown customer" in bad.output
