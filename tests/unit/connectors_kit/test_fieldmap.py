"""The kit's field map maps a JSON document the way a file mapping maps a row."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from crossdock.connectors.kit.fieldmap import FieldMap, RowProblem, plan_for_json
from crossdock.model.change import ChangeOp

VARIANT = {
    "id": "variant_01",
    "sku": "BLT-1",
    "title": "Hex bolt",
    "prices": {"amount": "1.234,50"},
    "inventory": {"unit": "each"},
    "updated_at": "2026-12-01T10:00:00Z",
}


def _map() -> FieldMap:
    return FieldMap.model_validate(
        {
            "entity": "product",
            "id": "sku",
            "columns": {
                "sku": "sku",
                "title": "description",
                "prices.amount": "list_price",
                "inventory.unit": "base_uom",
            },
            "values": {"base_uom": {"each": "EA", "case": "CS"}},
            "defaults": {"currency": "EUR"},
            "timestamp": "updated_at",
            "number": {"decimal": ",", "thousands": "."},
        }
    )


def test_a_json_document_becomes_a_partial_record() -> None:
    nid, op, data, ts = plan_for_json(_map()).map_object(dict(VARIANT))
    assert (nid, op) == ("BLT-1", ChangeOp.UPSERT)
    assert data == {
        "sku": "BLT-1",
        "description": "Hex bolt",
        "list_price": "1234.50",
        "base_uom": "EA",
        "currency": "EUR",
    }
    assert ts is not None and ts.isoformat().startswith("2026-12-01T10:00:00")


def test_an_unmapped_value_names_the_field() -> None:
    doc = {**VARIANT, "inventory": {"unit": "pallet"}}
    with pytest.raises(RowProblem) as info:
        plan_for_json(_map()).map_object(doc)
    assert info.value.field == "base_uom" and "'pallet'" in info.value.reason


def test_a_path_the_model_lacks_is_refused_when_the_map_is_read() -> None:
    with pytest.raises(ValidationError, match="'titel' is not a field of Product"):
        FieldMap.model_validate({"entity": "product", "id": "sku", "columns": {"t": "titel"}})
