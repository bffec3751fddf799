"""The compiled mapping: paths, list items, value maps, defaults, deletes, ids (no files)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from crossdock.connectors.files.config import FileMapping
from crossdock.connectors.kit.fieldmap.objects import JsonColumnsPlan, ObjectPlan
from crossdock.connectors.kit.fieldmap.problems import FileProblem, RowProblem
from crossdock.connectors.kit.fieldmap.rows import RowPlan
from crossdock.errors import ErrorCode
from crossdock.model.change import ChangeOp

HEADER = ["ITEMNO", "DESCR", "UOM", "CASE_QTY", "PALLET_QTY", "WEIGHT_LB", "COST", "STATUS"]
PRODUCTS: dict[str, Any] = {
    "pattern": "products*.csv",
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
        "base_uom": {"EA": "EA", "EACH": "EA", "CS": "CS"},
        "status": {"A": "active", "D": "discontinued"},
    },
}


def plan(header: list[str] = HEADER, **overrides: Any) -> RowPlan:
    return RowPlan(FileMapping.model_validate({**PRODUCTS, **overrides}), header)


def row(**cells: str) -> list[str]:
    base = {
        "ITEMNO": "P-1",
        "DESCR": "Hex bolt",
        "UOM": "EA",
        "CASE_QTY": "12",
        "PALLET_QTY": "480",
        "WEIGHT_LB": "1.50",
        "COST": "4.20",
        "STATUS": "A",
    }
    base.update(cells)
    return [base[h] for h in HEADER]


def test_a_full_row_builds_nested_fields_and_a_unit_list() -> None:
    nid, op, data, ts = plan().map_row(row())
    assert (nid, op, ts) == ("P-1", ChangeOp.UPSERT, None)
    assert data == {
        "sku": "P-1",
        "description": "Hex bolt",
        "base_uom": "EA",
        "units": [
            {"code": "EA", "factor": "1"},
            {"code": "CS", "factor": "12"},
            {"code": "PL", "factor": "480"},
        ],
        "weight": {"value": "1.50", "unit": "LB"},
        "cost": "4.20",
        "status": "active",
        "currency": "USD",
    }


def test_values_stay_the_strings_the_file_holds() -> None:
    data = plan().build(row(COST="0.10", WEIGHT_LB="1e3"))
    assert data["cost"] == "0.10"
    assert data["weight"]["value"] == "1e3"
    assert all(isinstance(v, str) for u in data["units"] for v in u.values())


def test_an_empty_list_item_is_left_out_with_its_defaults() -> None:
    data = plan().build(row(PALLET_QTY=""))
    assert data["units"] == [{"code": "EA", "factor": "1"}, {"code": "CS", "factor": "12"}]
    data = plan().build(row(CASE_QTY="", PALLET_QTY="60"))
    assert data["units"] == [{"code": "EA", "factor": "1"}, {"code": "PL", "factor": "60"}]


def test_a_nested_default_needs_a_value_in_its_object() -> None:
    data = plan().build(row(WEIGHT_LB=""))
    assert "weight" not in data
    assert data["currency"] == "USD"  # top-level defaults always apply


def test_defaults_fill_empty_cells_but_never_override_a_value() -> None:
    p = plan(columns={**PRODUCTS["columns"], "CUR": "currency"}, header=[*HEADER, "CUR"])
    assert p.build([*row(), ""])["currency"] == "USD"
    assert p.build([*row(), "EUR"])["currency"] == "EUR"


def test_a_default_object_is_copied_per_row() -> None:
    p = plan(defaults={"channels": ["web"], "identifiers.supplier_codes": []})
    first = p.build(row())
    first["channels"].append("edi")
    assert p.build(row())["channels"] == ["web"]


def test_strict_value_map_names_column_field_and_value() -> None:
    with pytest.raises(RowProblem) as info:
        plan().map_row(row(UOM="BX"))
    problem = info.value
    assert problem.code is ErrorCode.UNMAPPED_VALUE
    assert problem.field == "base_uom"
    assert problem.native_id == "P-1"
    assert "'UOM'" in problem.reason
    assert "'BX'" in problem.reason
    assert "values.base_uom" in problem.reason


def test_value_map_translates_and_empty_values_are_not_checked() -> None:
    assert plan().build(row(UOM="EACH"))["base_uom"] == "EA"
    assert "status" not in plan().build(row(STATUS=""))


def test_passthrough_lets_unmapped_values_through() -> None:
    p = plan(passthrough=["base_uom"])
    assert p.build(row(UOM="BX"))["base_uom"] == "BX"
    assert p.build(row(UOM="EACH"))["base_uom"] == "EA"
    with pytest.raises(RowProblem):
        p.build(row(STATUS="Z"))  # status is still strict


def test_a_wildcard_value_map_covers_every_list_item() -> None:
    header = ["ITEMNO", "U1", "F1", "U2", "F2"]
    p = RowPlan(
        FileMapping.model_validate(
            {
                "pattern": "x.csv",
                "entity": "product",
                "id": "ITEMNO",
                "columns": {
                    "ITEMNO": "sku",
                    "U1": "units[0].code",
                    "F1": "units[0].factor",
                    "U2": "units[1].code",
                    "F2": "units[1].factor",
                },
                "values": {"units[*].code": {"KS": "CS", "PAL": "PL"}},
            }
        ),
        header,
    )
    assert p.build(["P", "KS", "12", "PAL", "480"])["units"] == [
        {"code": "CS", "factor": "12"},
        {"code": "PL", "factor": "480"},
    ]
    with pytest.raises(RowProblem) as info:
        p.build(["P", "KS", "12", "BOX", "480"])
    assert info.value.field == "units[1].code"


def test_delete_rows_carry_no_data() -> None:
    p = plan(delete_column="STATUS", delete_values=["X", "deleted"])
    nid, op, data, _ = p.map_row(row(STATUS="x"))
    assert (nid, op, data) == ("P-1", ChangeOp.DELETE, {})
    assert p.map_row(row(STATUS=" DELETED ".strip()))[1] is ChangeOp.DELETE
    assert p.map_row(row(STATUS="A"))[1] is ChangeOp.UPSERT


def test_composite_ids_join_with_a_bar_and_name_the_missing_column() -> None:
    header = ["ITEMNO", "WHSE", "ONHAND"]
    p = RowPlan(
        FileMapping.model_validate(
            {
                "pattern": "stock*.csv",
                "entity": "inventory",
                "id": ["ITEMNO", "WHSE"],
                "columns": {"ITEMNO": "sku", "WHSE": "location", "ONHAND": "on_hand"},
                "values": {"location": {"W01": "DAL"}},
            }
        ),
        header,
    )
    nid, _, data, _ = p.map_row(["P-1", "W01", "7"])
    assert nid == "P-1|W01"
    assert data == {"sku": "P-1", "location": "DAL", "on_hand": "7"}
    with pytest.raises(RowProblem) as info:
        p.map_row(["P-1", "", "7"])
    assert info.value.code is ErrorCode.MALFORMED_ROW
    assert info.value.field == "WHSE"
    assert "missing id" in info.value.reason


def test_skip_empty_false_clears_fields_and_lists() -> None:
    p = plan(skip_empty=False, defaults={"currency": "USD"})
    data = p.build(row(DESCR="", WEIGHT_LB="", CASE_QTY="", PALLET_QTY="", STATUS=""))
    assert data["description"] is None
    assert data["status"] is None
    assert data["weight"] == {"value": None}
    assert data["units"] == []
    assert data["currency"] == "USD"


def test_timestamp_column_is_parsed_as_utc() -> None:
    p = plan(header=[*HEADER, "CHANGED"], timestamp="CHANGED")
    assert p.map_row([*row(), "2026-03-01T12:00:00"])[3] == datetime(2026, 3, 1, 12, tzinfo=UTC)
    assert p.map_row([*row(), "2026-03-01T13:00:00+01:00"])[3] == datetime(
        2026, 3, 1, 12, tzinfo=UTC
    )
    assert p.map_row([*row(), ""])[3] is None
    with pytest.raises(RowProblem) as info:
        p.map_row([*row(), "yesterday"])
    assert (info.value.code, info.value.field) == (ErrorCode.VALIDATION_FAILED, "CHANGED")


def test_headers_match_stripped_and_case_insensitively() -> None:
    p = plan(header=[f" {h.lower()} " for h in HEADER])
    assert p.map_row(row())[2]["sku"] == "P-1"


def test_a_missing_id_column_fails_the_file_a_missing_other_column_is_reported() -> None:
    with pytest.raises(FileProblem) as info:
        plan(header=["DESCR", "COST"])
    assert info.value.field == "ITEMNO"
    assert "not in the header" in info.value.reason
    p = plan(header=["ITEMNO", "COST"])
    assert p.missing == ["DESCR", "UOM", "CASE_QTY", "PALLET_QTY", "WEIGHT_LB", "STATUS"]
    assert p.map_row(["P-1", "1"])[2] == {
        "sku": "P-1",
        "cost": "1",
        "currency": "USD",
        "units": [{"code": "EA", "factor": "1"}],
    }


def test_without_columns_headers_are_field_paths() -> None:
    mapping = FileMapping.model_validate(
        {"pattern": "x.csv", "entity": "product", "id": "sku", "timestamp": "changed"}
    )
    p = RowPlan(mapping, ["sku", "weight.value", "units[0].code", "units[0].factor", "changed"])
    _, _, data, ts = p.map_row(["P-1", "2", "EA", "1", "2026-01-01T00:00:00Z"])
    assert data == {
        "sku": "P-1",
        "weight": {"value": "2"},
        "units": [{"code": "EA", "factor": "1"}],
    }
    assert ts == datetime(2026, 1, 1, tzinfo=UTC)
    with pytest.raises(FileProblem, match="header"):
        RowPlan(mapping, ["sku", "Item Description"])


def test_json_objects_are_canonical_as_they_are() -> None:
    p = ObjectPlan(
        FileMapping.model_validate(
            {
                "pattern": "c.jsonl",
                "entity": "customer",
                "id": "account_number",
                "timestamp": "updated",
                "delete_column": "deleted",
                "delete_values": ["true"],
                "values": {"sites[*].address.country": {"USA": "US"}},
                "defaults": {"currency": "USD", "sites[0].name": "main"},
            }
        )
    )
    obj = {
        "account_number": "C1",
        "name": "Müller",
        "note": "",
        "updated": "2026-02-01T00:00:00Z",
        "credit_limit": "5000.00",
        "deleted": False,
        "sites": [{"code": "BT", "address": {"country": "USA", "city": ""}}],
    }
    nid, op, data, ts = p.map_object(obj)
    assert (nid, op) == ("C1", ChangeOp.UPSERT)
    assert ts == datetime(2026, 2, 1, tzinfo=UTC)
    assert data == {
        "account_number": "C1",
        "name": "Müller",
        "credit_limit": "5000.00",
        "currency": "USD",
        "sites": [{"code": "BT", "name": "main", "address": {"country": "US"}}],
    }
    assert p.map_object({"account_number": "C2", "deleted": True})[1:3] == (ChangeOp.DELETE, {})
    with pytest.raises(RowProblem) as info:
        p.map_object({"account_number": "C3", "sites": [{"address": {"country": "XX"}}]})
    assert (info.value.code, info.value.native_id) == (ErrorCode.UNMAPPED_VALUE, "C3")
    with pytest.raises(RowProblem, match="missing id"):
        p.map_object({"name": "nobody"})


def test_json_columns_read_keys_and_keep_json_types() -> None:
    p = JsonColumnsPlan(
        FileMapping.model_validate(
            {
                "pattern": "s.jsonl",
                "entity": "inventory",
                "id": ["item", "wh.code"],
                "columns": {
                    "item": "sku",
                    "wh.code": "location",
                    "qty": "on_hand",
                    "held": "on_hold",
                },
                "values": {"location": {"1": "DAL"}},
            }
        )
    )
    nid, _, data, _ = p.map_object({"item": " P-1 ", "wh": {"code": 1}, "qty": 12, "held": None})
    assert nid == "P-1|1"
    assert data == {"sku": "P-1", "location": "DAL", "on_hand": 12}
