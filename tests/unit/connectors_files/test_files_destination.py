"""The export folder as a destination: atomic batch files, idempotent redelivery, CSV."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from crossdock.connectors.base import Delivery, DeliveryStatus
from crossdock.connectors.files import FilesConnector
from crossdock.connectors.files.destination import FilesDestination, batch_key
from crossdock.errors import ErrorCode, RetryableError
from crossdock.model.base import EntityType
from crossdock.model.change import ChangeOp

BuildFiles = Callable[..., FilesConnector]
T0 = datetime(2026, 3, 1, 12, tzinfo=UTC)


def delivery(n: int, route: str = "items-to-wms", **data: Any) -> Delivery:
    return Delivery(
        delivery_id=f"{route}:prd_{n}:1",
        route=route,
        entity_type=EntityType.PRODUCT,
        entity_id=f"prd_{n}",
        version=1,
        op=ChangeOp.UPSERT,
        data=data or {"sku": f"P-{n}"},
        native_id=None if n % 2 else f"W-{n}",
        event_time=T0,
    )


def destination(build: BuildFiles, tmp_path: Path, fmt: str = "jsonl") -> FilesDestination:
    d = build(export_dir=str(tmp_path / "export"), export_format=fmt).destination()
    assert isinstance(d, FilesDestination)
    return d


def files_in(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*")) if folder.exists() else []


def test_a_batch_becomes_one_jsonl_file_named_after_its_delivery_ids(
    build: BuildFiles, tmp_path: Path
) -> None:
    dest = destination(build, tmp_path)
    batch = [
        delivery(1, sku="P-1", cost=Decimal("4.20"), units=[{"code": "CS", "factor": "12"}]),
        delivery(2),
    ]
    results = dest.push(batch)
    assert [(r.delivery_id, r.status, r.native_id) for r in results] == [
        ("items-to-wms:prd_1:1", DeliveryStatus.DELIVERED, None),
        ("items-to-wms:prd_2:1", DeliveryStatus.DELIVERED, "W-2"),
    ]
    joined = "\n".join(sorted(d.delivery_id for d in batch))
    key = hashlib.sha1(joined.encode(), usedforsecurity=False).hexdigest()[:16]
    path = tmp_path / "export" / "items-to-wms" / f"items-to-wms-{key}.jsonl"
    assert files_in(tmp_path / "export") == [path.parent, path]
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert lines[0] == {
        "id": "items-to-wms:prd_1:1",
        "type": "product",
        "entity_id": "prd_1",
        "version": 1,
        "op": "upsert",
        "native_id": None,
        "data": {"sku": "P-1", "cost": "4.20", "units": [{"code": "CS", "factor": "12"}]},
    }
    assert lines[1]["native_id"] == "W-2"


def test_redelivering_a_batch_overwrites_its_file(build: BuildFiles, tmp_path: Path) -> None:
    dest = destination(build, tmp_path)
    batch = [delivery(1), delivery(2)]
    dest.push(batch)
    dest.push(list(reversed(batch)))
    assert len([p for p in files_in(tmp_path / "export") if p.is_file()]) == 1
    dest.push([delivery(3)])
    assert len([p for p in files_in(tmp_path / "export") if p.is_file()]) == 2
    assert batch_key(["b", "a"]) == batch_key(["a", "b", "a"])


def test_each_route_of_a_batch_gets_its_own_file(build: BuildFiles, tmp_path: Path) -> None:
    dest = destination(build, tmp_path)
    dest.push([delivery(1, route="items-to-wms"), delivery(2, route="stock-to-wms")])
    written = [p.relative_to(tmp_path / "export") for p in files_in(tmp_path / "export")]
    assert [p.parts[0] for p in written if p.suffix] == ["items-to-wms", "stock-to-wms"]


def test_deletes_and_empty_batches(build: BuildFiles, tmp_path: Path) -> None:
    dest = destination(build, tmp_path)
    assert dest.push([]) == []
    assert files_in(tmp_path / "export") == []
    gone = Delivery(
        "r:prd_9:2", "r", EntityType.PRODUCT, "prd_9", 2, ChangeOp.DELETE, {}, "W-9", T0
    )
    dest.push([gone])
    (path,) = [p for p in files_in(tmp_path / "export") if p.is_file()]
    assert json.loads(path.read_text())["op"] == "delete"


def test_csv_export_flattens_data_into_field_path_columns(
    build: BuildFiles, tmp_path: Path
) -> None:
    dest = destination(build, tmp_path, "csv")
    dest.push(
        [
            delivery(
                1,
                sku="P-1",
                weight={"value": Decimal("1.50"), "unit": "LB"},
                units=[{"code": "CS", "factor": "12"}],
                description='Bolt, hex "M8"',
            ),
            delivery(2, sku="P-2", id="clash", channels=[], active=True),
        ]
    )
    (path,) = [p for p in files_in(tmp_path / "export") if p.is_file()]
    assert path.suffix == ".csv"
    rows = list(csv.reader(io.StringIO(path.read_text(), newline="")))
    assert rows[0] == [
        "id",
        "type",
        "entity_id",
        "version",
        "op",
        "native_id",
        "active",
        "channels",
        "description",
        "data.id",
        "sku",
        "units",
        "weight.unit",
        "weight.value",
    ]
    one = dict(zip(rows[0], rows[1], strict=True))
    assert one["id"] == "items-to-wms:prd_1:1"
    assert one["weight.value"] == "1.50"
    assert one["description"] == 'Bolt, hex "M8"'
    assert json.loads(one["units"]) == [{"code": "CS", "factor": "12"}]
    assert one["active"] == "" and one["native_id"] == ""
    two = dict(zip(rows[0], rows[2], strict=True))
    assert (two["data.id"], two["channels"], two["active"]) == ("clash", "[]", "true")


def test_a_write_failure_is_retryable_and_leaves_no_temp_files(
    build: BuildFiles, tmp_path: Path
) -> None:
    dest = destination(build, tmp_path)
    (tmp_path / "export" / "items-to-wms").write_text("a file where the route folder goes")
    with pytest.raises(RetryableError) as info:
        dest.push([delivery(1)])
    assert info.value.code is ErrorCode.DESTINATION_UNAVAILABLE
    assert "items-to-wms" in str(info.value)
    assert [p.name for p in files_in(tmp_path / "export")] == ["items-to-wms"]


def test_no_temp_file_survives_a_write(
    build: BuildFiles, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dest = destination(build, tmp_path)

    def broken_replace(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("crossdock.connectors.kit.drop_folder.os.replace", broken_replace)
    with pytest.raises(RetryableError, match="No space left"):
        dest.push([delivery(1)])
    assert [p for p in files_in(tmp_path / "export") if p.is_file()] == []
