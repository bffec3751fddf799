"""Files settings: shape, validation, registration, folders and the documented examples."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

import crossdock.connectors.files as files_pkg
import crossdock.connectors.files.config as config_module
from crossdock.config.example import EXAMPLE_HUB
from crossdock.config.hub import HubConfig, SystemConfig
from crossdock.connectors.files import FileMapping, FilesConnector, FilesSettings
from crossdock.connectors.files.connector import FilesConnector as Impl
from crossdock.connectors.files.destination import FilesDestination
from crossdock.connectors.files.source import FilesSource
from crossdock.connectors.registry import build_connector, connector_class
from crossdock.demo.config import demo_hub_document
from crossdock.errors import ErrorCode, InvalidInput

BuildFiles = Callable[..., FilesConnector]
PRODUCTS: dict[str, Any] = {"pattern": "products*.csv", "entity": "product", "id": "ITEMNO"}


def test_public_face() -> None:
    assert sorted(files_pkg.__all__) == ["FileMapping", "FilesConnector", "FilesSettings"]
    assert connector_class("files") is Impl
    assert FilesConnector.Settings is FilesSettings
    assert FilesConnector.kind == "files"


def test_no_settings_is_neither_source_nor_destination(build: BuildFiles) -> None:
    c = build()
    assert c.source() is None
    assert c.destination() is None


def test_inbox_makes_a_source_and_creates_its_folders(build: BuildFiles, tmp_path: Path) -> None:
    inbox = tmp_path / "drop" / "erp"
    c = build(inbox=str(inbox), mappings=[PRODUCTS])
    assert isinstance(c.source(), FilesSource)
    assert c.destination() is None
    assert (inbox / "processed").is_dir()
    assert (inbox / "rejected").is_dir()


def test_export_dir_makes_a_destination(build: BuildFiles, tmp_path: Path) -> None:
    c = build(export_dir=str(tmp_path / "out" / "wms"), export_format="csv")
    dest = c.destination()
    assert isinstance(dest, FilesDestination)
    assert c.source() is None
    assert (tmp_path / "out" / "wms").is_dir()


def test_relative_paths_resolve_against_the_working_directory_at_construction(
    build: BuildFiles, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    c = build(inbox="drop", mappings=[PRODUCTS], export_dir="export")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    source = c.source()
    dest = c.destination()
    assert isinstance(source, FilesSource)
    assert isinstance(dest, FilesDestination)
    assert source.drop.inbox == tmp_path / "drop"
    assert dest.export_dir == tmp_path / "export"


def test_a_folder_that_cannot_exist_is_a_config_error(build: BuildFiles, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(InvalidInput) as info:
        build(export_dir=str(blocker / "sub"))
    assert info.value.code is ErrorCode.CONFIG_INVALID
    assert info.value.field == "settings.export_dir"


def test_mapping_defaults_and_coercions() -> None:
    m = FileMapping.model_validate(
        {**PRODUCTS, "delimiter": "tab", "values": {"status": {7: "active", True: "inactive"}}}
    )
    assert m.id == ("ITEMNO",)
    assert m.format.value == "auto"
    assert m.skip_empty is True
    assert m.encoding == "auto"
    assert m.delimiter == "\t"
    assert m.values == {"status": {"7": "active", "true": "inactive"}}
    composite = FileMapping.model_validate({**PRODUCTS, "id": [" ITEMNO ", "WHSE"]})
    assert composite.id == ("ITEMNO", "WHSE")


def test_mapping_matches_names_case_insensitively() -> None:
    m = FileMapping.model_validate(PRODUCTS)
    assert m.matches("PRODUCTS_2024.CSV")
    assert not m.matches("stock.csv")
    assert m.format_of("products.csv").value == "csv"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("mapping", "where", "words"),
    [
        ({"columns": {"A": "units[x].code"}}, "columns", "not a field path"),
        ({"columns": {"A": "sku", "B": "sku"}}, "columns", "several columns map to 'sku'"),
        ({"columns": {"A": "sku", "a": "description"}}, "columns", "differ only in case"),
        ({"columns": {"A": "weight", "B": "weight.value"}}, "columns", "cannot"),
        ({"columns": {"A": "units.code", "B": "units[0].code"}}, "columns", "list"),
        ({"columns": {"A": "units[*].code"}}, "columns", "[*]"),
        ({"columns": {"A": "units[100].code"}}, "columns", "above 99"),
        ({"columns": {"A": "sku"}, "values": {"status": {"A": "active"}}}, "", "no column maps"),
        ({"values": {"status": {"A": "x"}}, "passthrough": ["base_uom"]}, "", "passthrough"),
        ({"delete_column": "DEL"}, "", "delete_column and delete_values go together"),
        ({"delete_values": ["X"]}, "", "go together"),
        ({"defaults": {"cost": 1.5}}, "defaults", "float"),
        ({"columns": {"A": "weight"}, "defaults": {"weight.unit": "LB"}}, "", "clash"),
        ({"encoding": "klingon"}, "encoding", "unknown encoding"),
        ({"delimiter": ";;"}, "delimiter", "cannot be a delimiter"),
        ({"pattern": "items*.xlsx"}, "", "format auto cannot read"),
        ({"pattern": "in/items.csv"}, "pattern", "file names only"),
        ({"id": []}, "id", "at least 1"),
        ({"id": [" "]}, "id", "must not be empty"),
    ],
)
def test_bad_mappings_are_config_errors(
    build: BuildFiles, tmp_path: Path, mapping: dict[str, Any], where: str, words: str
) -> None:
    with pytest.raises(InvalidInput) as info:
        build(inbox=str(tmp_path / "in"), mappings=[{**PRODUCTS, **mapping}])
    assert info.value.code is ErrorCode.CONFIG_INVALID
    assert info.value.field is not None
    assert info.value.field.startswith("settings.mappings[0]" + (f".{where}" if where else ""))
    assert words in str(info.value)


def test_mappings_need_an_inbox_and_an_inbox_needs_mappings(
    build: BuildFiles, tmp_path: Path
) -> None:
    with pytest.raises(InvalidInput, match="inbox is not"):
        build(mappings=[PRODUCTS])
    with pytest.raises(InvalidInput, match="no mappings"):
        build(inbox=str(tmp_path / "in"))


def test_unknown_settings_are_refused(build: BuildFiles) -> None:
    with pytest.raises(InvalidInput) as info:
        build(export_dir="x", exprot_format="csv")
    assert info.value.field == "settings.exprot_format"


def _files_systems(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for s in doc["systems"] if s["kind"] == "files"]


def test_the_module_docstring_example_builds(tmp_path: Path) -> None:
    doc = config_module.__doc__ or ""
    block = doc.split("Example (``crossdock.yaml``)::", 1)[1].split("\n\n", 2)[1]
    systems = yaml.safe_load(textwrap.dedent(block))
    assert [s["name"] for s in systems] == ["erp", "wms"]
    for s in systems:
        for key in ("inbox", "export_dir"):
            if key in s["settings"]:
                s["settings"][key] = str(tmp_path / s["settings"][key])
    hub = HubConfig(systems=[SystemConfig(**s) for s in systems])
    for system in hub.systems:
        assert isinstance(build_connector(system, hub), FilesConnector)


def test_the_example_hub_and_the_demo_settings_validate(tmp_path: Path) -> None:
    found = _files_systems(yaml.safe_load(EXAMPLE_HUB))
    found += _files_systems(demo_hub_document(tmp_path, "http://127.0.0.1:1/hooks"))
    assert len(found) == 4
    for system in found:
        FilesSettings.model_validate(system["settings"])
