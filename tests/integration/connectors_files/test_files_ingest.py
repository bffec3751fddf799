"""An ERP drop folder through the files connector into a real store, and back out as files."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from crossdock.config.hub import EntityOwnership, HubConfig, SystemConfig
from crossdock.connectors.base import Delivery, SourceError
from crossdock.connectors.files import FilesConnector
from crossdock.connectors.files.source import FilesSource
from crossdock.connectors.registry import build_connector
from crossdock.errors import ErrorCode
from crossdock.model.base import EntityType
from crossdock.model.change import ChangeOp
from crossdock.store import Store
from crossdock.sync.ingest import Ingestor

pytestmark = pytest.mark.integration

PRODUCTS = (
    "ITEMNO;DESCR;UOM;CASE_QTY;PALLET_QTY;WEIGHT_LB;COST;STATUS\r\n"
    "BLT-1;Hex bolt Müller;EA;12;480;1.5;4.20;A\r\n"
    "BLT-2;Lag screw;EA;50;;0.25;0.35;A\r\n"
    "BLT-3;Anchor;BX;10;;;1.10;A\r\n"  # a unit the mapping does not know
    "BLT-4;Rivet;EA;;;;0.05;D\r\n"
)
STOCK = "ITEMNO,WHSE,ONHAND,ALLOC\nBLT-1,W01,100,5\nBLT-1,W02,40,0\nBLT-2,W09,7,0\n"
ERP_SETTINGS = {
    "mappings": [
        {
            "pattern": "erp_products*.csv",
            "entity": "product",
            "id": "ITEMNO",
            "columns": {
                "ITEMNO": "sku",
                "DESCR": "description",
                "UOM": "base_uom",
                "CASE_QTY": "units[1].factor",
                "PALLET_QTY": "units[2].factor",
                "WEIGHT_LB": "weight.value",
                "COST": "cost",
                "STATUS": "status",
            },
            "defaults": {
                "units[0].code": "EA",
                "units[0].factor": "1",
                "units[1].code": "CS",
                "units[2].code": "PL",
                "weight.unit": "LB",
                "currency": "USD",
            },
            "values": {
                "base_uom": {"EA": "EA", "CS": "CS"},
                "status": {"A": "active", "D": "discontinued"},
            },
        },
        {
            "pattern": "erp_stock*.csv",
            "entity": "inventory",
            "id": ["ITEMNO", "WHSE"],
            "columns": {
                "ITEMNO": "sku",
                "WHSE": "location",
                "ONHAND": "on_hand",
                "ALLOC": "allocated",
            },
            "values": {"location": {"W01": "DAL", "W02": "ATL"}},
        },
    ],
}


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    s = Store.open(store_url)
    yield s
    s.close()


def hub(tmp_path: Path) -> HubConfig:
    return HubConfig(
        systems=[
            SystemConfig(
                name="erp",
                kind="files",
                settings={"inbox": str(tmp_path / "inbox"), **ERP_SETTINGS},
            ),
            SystemConfig(
                name="wms", kind="files", settings={"export_dir": str(tmp_path / "export")}
            ),
        ],
        ownership={
            EntityType.PRODUCT: EntityOwnership(owner="erp"),
            EntityType.INVENTORY: EntityOwnership(owner="erp"),
        },
    )


def test_drop_folder_to_store_and_export(tmp_path: Path, store: Store) -> None:
    config = hub(tmp_path)
    erp = build_connector(config.system("erp"), config)
    assert isinstance(erp, FilesConnector)
    source = erp.source()
    assert isinstance(source, FilesSource)
    inbox = tmp_path / "inbox"
    (inbox / "erp_products.csv").write_bytes(PRODUCTS.encode("cp1252"))
    (inbox / "erp_stock.csv").write_text(STOCK)
    (inbox / "notes.txt").write_text("not for us")

    ingestor = Ingestor(store, config)
    units = list(source.pull())
    assert sorted(u.name for u in units) == ["erp_products.csv", "erp_stock.csv"]
    items = {u.name: list(u.items) for u in units}
    for u in units:
        report = ingestor.ingest(items[u.name])
        assert report.received == len(items[u.name])
    products = {r.data["sku"]: r.data for r in store.records.page(EntityType.PRODUCT)}
    assert sorted(products) == ["BLT-1", "BLT-2", "BLT-4"]
    assert products["BLT-1"]["description"] == "Hex bolt Müller"
    assert products["BLT-1"]["units"] == [
        {"code": "EA", "factor": "1"},
        {"code": "CS", "factor": "12"},
        {"code": "PL", "factor": "480"},
    ]
    assert products["BLT-2"]["units"] == [
        {"code": "EA", "factor": "1"},
        {"code": "CS", "factor": "50"},
    ]
    assert products["BLT-1"]["weight"] == {"value": "1.5", "unit": "LB"}
    assert products["BLT-4"].get("weight") is None  # no weight given: no "LB" alone
    assert products["BLT-4"]["status"] == "discontinued"
    stock = {r.data["location"]: r.data for r in store.records.page(EntityType.INVENTORY)}
    assert sorted(stock) == ["ATL", "DAL"]
    assert store.crosswalk.resolve("erp", EntityType.INVENTORY, "BLT-1|W01") is not None

    exceptions = store.exceptions.page(system="erp")
    got = sorted((e.ref, e.code, e.field) for e in exceptions)
    assert got == [
        ("erp_products.csv:4", ErrorCode.UNMAPPED_VALUE.value, "base_uom"),
        ("erp_stock.csv:4", ErrorCode.UNMAPPED_VALUE.value, "location"),
    ]

    # a crash before the ack reads the files again: ingest drops every change
    again = list(source.pull())
    for u in again:
        report = ingestor.ingest(u.items)
        assert report.duplicates == report.received - sum(
            1 for i in items[u.name] if isinstance(i, SourceError)
        )
        u.ack()
    assert sorted(p.name for p in inbox.iterdir() if p.is_file()) == []
    assert len(list((inbox / "processed").iterdir())) == 2
    assert len(list((inbox / "rejected").iterdir())) == 2  # notes.txt and its reason

    # and out again, as the WMS reads it
    wms = build_connector(config.system("wms"), config).destination()
    assert wms is not None
    record = store.records.page(EntityType.PRODUCT)[0]
    batch = [
        Delivery(
            f"items:{record.id}:{record.version}",
            "items",
            EntityType.PRODUCT,
            record.id,
            record.version,
            ChangeOp.UPSERT,
            record.data,
            None,
            datetime.now(UTC),
        )
    ]
    wms.push(batch)
    wms.push(batch)  # redelivered: the same file again
    (written,) = (tmp_path / "export" / "items").glob("items-*.jsonl")
    line = json.loads(written.read_text())
    assert line["data"]["sku"] == record.data["sku"]


@pytest.mark.slow
def test_mapping_rate_of_a_large_products_file(tmp_path: Path) -> None:
    """Prints the source's mapping rate for 200k demo-shaped rows (no timed assertion)."""
    rows = 200_000
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    lines = ["ITEMNO;DESCR;UOM;CASE_QTY;PALLET_QTY;WEIGHT_LB;COST;STATUS"]
    lines += [
        f"SKU-{i};Hex bolt Müller {i};EA;12;{'' if i % 3 else '480'};1.5;4.20;A"
        for i in range(rows)
    ]
    (inbox / "erp_products.csv").write_bytes(("\r\n".join(lines) + "\r\n").encode("cp1252"))
    system = SystemConfig(name="erp", kind="files", settings={"inbox": str(inbox), **ERP_SETTINGS})
    source = build_connector(system, HubConfig(systems=[system])).source()
    assert source is not None
    start = time.perf_counter()
    (unit,) = list(source.pull())
    opened = time.perf_counter()
    count = sum(1 for i in unit.items if not isinstance(i, SourceError))
    done = time.perf_counter()
    assert count == rows
    print(
        f"\nfiles source: {rows:,} rows; open+decode {opened - start:.2f}s, "
        f"map {done - opened:.2f}s = {rows / (done - opened):,.0f} rows/s mapping, "
        f"{rows / (done - start):,.0f} rows/s overall"
    )
