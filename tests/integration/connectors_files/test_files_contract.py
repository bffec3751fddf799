"""The files connector keeps the connector contract: its drop folder and its export folder."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from crossdock.config.hub import HubConfig, SystemConfig
from crossdock.connectors.files import FilesConnector
from crossdock.connectors.kit.testing import DestinationContract, SourceContract
from crossdock.connectors.registry import build_connector
from crossdock.model.base import EntityType

pytestmark = pytest.mark.integration


def _connector(settings: dict[str, Any]) -> FilesConnector:
    system = SystemConfig(name="erp", kind="files", settings=settings)
    connector = build_connector(system, HubConfig(systems=[system]))
    assert isinstance(connector, FilesConnector)
    return connector


class _InboxHarness:
    def __init__(self, inbox: Path) -> None:
        mapping = {
            "pattern": "items*.csv",
            "entity": "product",
            "id": "SKU",
            "columns": {"SKU": "sku"},
        }
        self.inbox = inbox
        self.source = _connector({"inbox": str(inbox), "mappings": [mapping]}).source()
        self.n = 0

    def offer(self, native_ids: list[str]) -> list[str]:
        self.n += 1
        rows = "".join(f"{n}\n" for n in native_ids)
        (self.inbox / f"items_{self.n}.csv").write_text("SKU\n" + rows)
        return native_ids


class _ExportHarness:
    entity_type = EntityType.PRODUCT

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.destination = _connector({"export_dir": str(folder)}).destination()

    def data(self, n: int) -> dict[str, Any]:
        return {"sku": f"S-{n}", "description": f"item {n}"}

    def held(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for path in sorted(self.folder.rglob("*.jsonl")):
            for line in path.read_text().splitlines():
                doc = json.loads(line)
                out[doc["entity_id"]] = doc["data"]
        return out

    def break_(self, how: str) -> bool:
        if how != "retryable":
            return False  # an export folder refuses no record for good
        for child in self.folder.iterdir():  # the route's folder becomes a file: writes fail
            if child.is_dir():
                for f in child.iterdir():
                    f.unlink()
                child.rmdir()
        (self.folder / "contract").write_text("not a folder")
        return True


class TestFilesSource(SourceContract):
    @pytest.fixture
    def harness(self, tmp_path: Path) -> _InboxHarness:
        return _InboxHarness(tmp_path / "inbox")


class TestFilesDestination(DestinationContract):
    @pytest.fixture
    def harness(self, tmp_path: Path) -> _ExportHarness:
        return _ExportHarness(tmp_path / "export")
