"""The drop folder as a source: units, bad rows, idempotency keys, ack, rejects."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from crossdock.connectors.base import InboundUnit, SourceError
from crossdock.connectors.files import FilesConnector
from crossdock.connectors.files.source import FilesSource
from crossdock.errors import ErrorCode, InvalidInput, RetryableError
from crossdock.model.base import EntityType
from crossdock.model.change import Change, ChangeOp

BuildFiles = Callable[..., FilesConnector]
Drained = tuple[list[Change], list[SourceError]]
Read = Callable[..., Drained]
Drain = Callable[[InboundUnit], Drained]

STOCK: dict[str, Any] = {
    "entity": "inventory",
    "id": ["ITEMNO", "WHSE"],
    "columns": {"ITEMNO": "sku", "WHSE": "location", "ONHAND": "on_hand"},
    "values": {"location": {"W01": "DAL", "W02": "ATL"}},
}
STOCK_CSV = "ITEMNO,WHSE,ONHAND\nP-1,W01,10\nP-2,W02,20\nP-3,W01,30\n"
MAPPINGS: list[dict[str, Any]] = [
    {"pattern": "stock*.csv", **STOCK},
    {"pattern": "customers*.jsonl", "entity": "customer", "id": "account_number"},
]


def source(build: BuildFiles, inbox: Path, **settings: Any) -> FilesSource:
    s = build(inbox=str(inbox), mappings=MAPPINGS, **settings).source()
    assert isinstance(s, FilesSource)
    return s


def test_each_row_becomes_a_change(read: Read, inbox: Path) -> None:
    changes, errors = read("stock.csv", STOCK_CSV, **STOCK)
    assert errors == []
    first = changes[0]
    assert first.system == "erp"
    assert first.entity_type is EntityType.INVENTORY
    assert first.native_id == "P-1|W01"
    assert first.op is ChangeOp.UPSERT
    assert first.data == {"sku": "P-1", "location": "DAL", "on_hand": "10"}
    assert first.ref == "stock.csv:2"
    digest = hashlib.sha256(STOCK_CSV.encode()).hexdigest()[:16]
    assert [c.idempotency_key for c in changes] == [f"{digest}:{n}" for n in (2, 3, 4)]
    mtime = datetime.fromtimestamp((inbox / "stock.csv").stat().st_mtime, UTC)
    assert {c.source_ts for c in changes} == {mtime}


def test_malformed_rows_are_reported_and_the_rest_goes_on(read: Read) -> None:
    text = (
        "ITEMNO,WHSE,ONHAND\n"
        "P-1,W01,10\n"
        "P-2,W01,20,surplus\n"  # an extra field
        ",W01,30\n"  # missing id
        "P-4,W01\n"  # a field short
        "P-5,W09,50\n"  # an unmapped warehouse
        ",,\n"  # an empty row: nothing to say
        "P-6,W02,60\n"
    )
    changes, errors = read("stock.csv", text, **STOCK)
    assert [c.native_id for c in changes] == ["P-1|W01", "P-6|W02"]
    assert [c.ref for c in changes] == ["stock.csv:2", "stock.csv:8"]
    got = [(e.ref, e.code, e.field) for e in errors]
    assert got == [
        ("stock.csv:3", ErrorCode.MALFORMED_ROW, "column 4"),
        ("stock.csv:4", ErrorCode.MALFORMED_ROW, "ITEMNO"),
        ("stock.csv:5", ErrorCode.MALFORMED_ROW, "ONHAND"),
        ("stock.csv:6", ErrorCode.UNMAPPED_VALUE, "location"),
    ]
    extra, missing_id, short, unmapped = errors
    assert "expected 3 fields" in extra.reason
    assert extra.raw == "P-2,W01,20,surplus"
    assert missing_id.raw == {"ITEMNO": "", "WHSE": "W01", "ONHAND": "30"}
    assert "missing id" in missing_id.reason
    assert "got 2" in short.reason
    assert unmapped.native_id == "P-5|W09"
    assert unmapped.entity_type is EntityType.INVENTORY
    assert "'WHSE'" in unmapped.reason and "'W09'" in unmapped.reason
    assert all(e.system == "erp" for e in errors)


def test_line_numbers_count_physical_lines(read: Read) -> None:
    text = 'ITEMNO,WHSE,ONHAND\n"P-1\nsecond line",W01,1\n\nP-2,W02,2\n'
    changes, _ = read("stock.csv", text, **STOCK)
    assert changes[0].native_id == "P-1\nsecond line|W01"
    assert [c.ref for c in changes] == ["stock.csv:2", "stock.csv:5"]


def test_jsonl_bad_lines_are_reported_and_the_rest_goes_on(read: Read) -> None:
    lines = [
        json.dumps({"account_number": "C1", "name": "One", "credit_limit": 12.50}),
        '{"account_number": "C2", "name": ',
        "[1, 2]",
        json.dumps({"name": "no id"}),
        "",
        '{"account_number": "C5", "credit_limit": NaN}',
        json.dumps({"account_number": 6, "name": "Six", "credit_limit": "100.10"}),
    ]
    changes, errors = read(
        "customers.jsonl", "\n".join(lines), entity="customer", id="account_number"
    )
    assert [c.native_id for c in changes] == ["C1", "6"]
    assert changes[0].data["credit_limit"] == "12.5"  # JSON number text, never a float
    assert changes[1].idempotency_key is not None and changes[1].idempotency_key.endswith(":7")
    assert [(e.ref, e.field) for e in errors] == [
        ("customers.jsonl:2", None),
        ("customers.jsonl:3", None),
        ("customers.jsonl:4", "account_number"),
        ("customers.jsonl:6", None),
    ]
    assert "invalid JSON at column" in errors[0].reason
    assert errors[0].raw == lines[1].strip()
    assert "got list" in errors[1].reason
    assert errors[2].raw == {"name": "no id"}


def test_a_file_without_its_id_column_is_one_error(read: Read) -> None:
    changes, errors = read("stock.csv", "ITEM,WHSE\nP-1,W01\n", **STOCK)
    assert changes == []
    assert [(e.ref, e.field, e.code) for e in errors] == [
        ("stock.csv:1", "ITEMNO", ErrorCode.MALFORMED_ROW)
    ]


def test_an_empty_file_is_one_error(read: Read) -> None:
    changes, errors = read("stock.csv", "", **STOCK)
    assert changes == []
    assert len(errors) == 1 and "header" in errors[0].reason


def test_a_mapped_column_missing_from_the_header_is_reported_once(read: Read) -> None:
    changes, errors = read("stock.csv", "ITEMNO,WHSE\nP-1,W01\nP-2,W02\n", **STOCK)
    assert len(changes) == 2
    assert [(e.ref, e.field, e.code) for e in errors] == [
        ("stock.csv:1", "ONHAND", ErrorCode.MAPPING_FAILED)
    ]


def test_idempotency_keys_are_stable_across_reads_and_change_with_the_bytes(
    build: BuildFiles, inbox: Path, drain: Drain
) -> None:
    (inbox / "stock.csv").write_text(STOCK_CSV)
    s = source(build, inbox)
    first = [c.idempotency_key for c in drain(next(iter(s.pull())))[0]]
    again = [c.idempotency_key for c in drain(next(iter(s.pull())))[0]]  # no ack: a crash
    assert first == again
    (inbox / "stock.csv").write_text(STOCK_CSV.replace("10", "11"))
    edited = [c.idempotency_key for c in drain(next(iter(s.pull())))[0]]
    assert edited[0] != first[0]
    assert [k.split(":")[1] for k in edited if k] == ["2", "3", "4"]


def test_pull_yields_one_unit_per_file_and_ack_moves_it(
    build: BuildFiles, inbox: Path, drain: Drain
) -> None:
    (inbox / "stock.csv").write_text(STOCK_CSV)
    s = source(build, inbox)
    units = list(s.pull())
    assert [(u.name, u.total) for u in units] == [("stock.csv", 3)]
    assert len(drain(units[0])[0]) == 3
    units[0].ack()
    assert not (inbox / "stock.csv").exists()
    moved = list((inbox / "processed").iterdir())
    assert len(moved) == 1
    assert moved[0].name.startswith("stock.") and moved[0].name.endswith("Z.csv")
    assert moved[0].read_text() == STOCK_CSV
    assert list(s.pull()) == []
    units[0].ack()  # a second ack of a file already gone is harmless


def test_processed_names_never_collide(build: BuildFiles, inbox: Path) -> None:
    s = source(build, inbox)
    for _ in range(3):
        (inbox / "stock.csv").write_text(STOCK_CSV)
        for unit in s.pull():
            unit.ack()
    assert len(list((inbox / "processed").iterdir())) == 3


def test_an_unmatched_file_is_rejected_with_a_reason(build: BuildFiles, inbox: Path) -> None:
    (inbox / "prices.xml").write_text("<x/>")
    (inbox / "stock.csv").write_text(STOCK_CSV)
    s = source(build, inbox)
    assert [u.name for u in s.pull()] == ["stock.csv"]
    assert not (inbox / "prices.xml").exists()
    rejected = sorted(p.name for p in (inbox / "rejected").iterdir())
    assert len(rejected) == 2
    data_file, note = rejected
    assert data_file.startswith("prices.") and data_file.endswith(".xml")
    assert note == data_file + ".reason.txt"
    reason = (inbox / "rejected" / note).read_text()
    assert "prices.xml" in reason and "stock*.csv" in reason


def test_a_matched_file_of_unknown_format_is_rejected(build: BuildFiles, inbox: Path) -> None:
    (inbox / "stock.dat").write_text(STOCK_CSV)
    s = build(inbox=str(inbox), mappings=[{"pattern": "stock*", **STOCK}]).source()
    assert isinstance(s, FilesSource)
    assert list(s.pull()) == []
    assert any(p.name.endswith(".reason.txt") for p in (inbox / "rejected").iterdir())


def test_files_come_oldest_first_and_work_in_progress_is_left_alone(
    build: BuildFiles, inbox: Path
) -> None:
    for name, age in [("stock_b.csv", 10), ("stock_a.csv", 20), ("stock_c.csv", 30)]:
        path = inbox / name
        path.write_text(STOCK_CSV)
        os.utime(path, (1_700_000_000 - age, 1_700_000_000 - age))
    for name in (".stock_hidden.csv", "stock_x.csv.tmp", "stock_y.csv.part", "~$stock.csv"):
        (inbox / name).write_text(STOCK_CSV)
    (inbox / "stock_dir.csv").mkdir()
    s = source(build, inbox)
    assert [u.name for u in s.pull()] == ["stock_c.csv", "stock_a.csv", "stock_b.csv"]


def test_settle_seconds_waits_for_a_quiet_file(build: BuildFiles, inbox: Path) -> None:
    (inbox / "stock.csv").write_text(STOCK_CSV)
    assert list(source(build, inbox, settle_seconds=60).pull()) == []
    os.utime(inbox / "stock.csv", (1_700_000_000, 1_700_000_000))
    assert len(list(source(build, inbox, settle_seconds=60).pull())) == 1


def test_read_file_outside_the_inbox_does_not_move_it(
    build: BuildFiles, inbox: Path, tmp_path: Path, drain: Drain
) -> None:
    path = tmp_path / "stock_import.csv"
    path.write_text(STOCK_CSV)
    unit = source(build, inbox).read_file(path)
    assert len(drain(unit)[0]) == 3
    unit.ack()
    assert path.exists()


def test_read_file_without_a_mapping_is_invalid_input(
    build: BuildFiles, inbox: Path, tmp_path: Path
) -> None:
    path = tmp_path / "orders.csv"
    path.write_text("x\n")
    with pytest.raises(InvalidInput) as info:
        source(build, inbox).read_file(path)
    assert info.value.code is ErrorCode.MAPPING_FAILED
    assert "orders.csv" in str(info.value)


def test_broken_quoting_and_huge_fields_fail_only_their_records(read: Read) -> None:
    text = (
        "\n"  # a blank line before the header
        "ITEMNO,WHSE,ONHAND\n"
        'P-1,"W01"x,1\n'  # text after a closing quote
        "P-2,W01," + "9" * 200_000 + "\n"  # beyond the csv field limit
        "P-3,W02,3\n"
        'P-4,"W01,4\n'  # a quote never closed
        "P-5,W01,5\n"
    )
    changes, errors = read("stock.csv", text, **STOCK)
    assert [c.ref for c in changes] == ["stock.csv:5"]
    assert [e.ref for e in errors] == ["stock.csv:3", "stock.csv:4", "stock.csv:6"]
    assert all("unreadable CSV" in e.reason for e in errors)
    assert errors[0].raw == 'P-1,"W01"x,1'
    assert isinstance(errors[2].raw, str) and errors[2].raw.startswith('P-4,"W01,4')


def test_ack_recreates_a_removed_processed_folder_and_reports_a_blocked_one(
    build: BuildFiles, inbox: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    s = source(build, inbox)
    (inbox / "processed").rmdir()
    (inbox / "stock.csv").write_text(STOCK_CSV)
    for unit in s.pull():
        unit.ack()
    assert len(list((inbox / "processed").iterdir())) == 1

    def refused(src: str, dst: str) -> None:
        raise PermissionError(13, "Permission denied")

    (inbox / "stock.csv").write_text(STOCK_CSV)
    (unit,) = list(s.pull())
    monkeypatch.setattr("crossdock.connectors.kit.drop_folder.os.replace", refused)
    with pytest.raises(RetryableError, match=r"cannot move stock\.csv.*Permission denied"):
        unit.ack()
    assert (inbox / "stock.csv").exists()
