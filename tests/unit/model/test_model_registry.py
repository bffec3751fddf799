"""The model's public face: registry, JSON Schemas, exports, imports and decimals in JSON."""

from __future__ import annotations

import ast
import json
from decimal import Decimal
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

import crossdock.model as model
from crossdock.model import (
    ENTITY_MODELS,
    CanonicalEntity,
    EntityType,
    Product,
    flatten_record,
    json_schemas,
    model_for,
    unflatten,
)

NATURAL_KEY_FIELDS = {
    EntityType.CUSTOMER: set(),
    EntityType.PRODUCT: {"sku"},
    EntityType.PRICE_LIST: {"code"},
    EntityType.INVENTORY: {"sku", "location"},
    EntityType.ORDER: {"order_number"},
    EntityType.SHIPMENT: {"shipment_number"},
    EntityType.INVOICE: {"invoice_number"},
    EntityType.CUSTOMER_PRICE: {"customer", "sku"},
}
PREFIXES = {"cus", "prd", "prl", "inv", "ord", "shp", "ivc", "cpr"}


def test_every_entity_type_has_a_model() -> None:
    assert set(ENTITY_MODELS) == set(EntityType)
    for et in EntityType:
        m = model_for(et)
        assert issubclass(m, CanonicalEntity) and m.entity_type is et
    assert {m.id_prefix for m in ENTITY_MODELS.values()} == PREFIXES


def test_json_schemas_cover_every_entity_and_require_only_natural_keys() -> None:
    schemas = json_schemas()
    assert set(schemas) == {et.value for et in EntityType}
    for et in EntityType:
        schema = schemas[et.value]
        assert schema["type"] == "object" and schema["additionalProperties"] is False
        assert set(schema.get("required", [])) == NATURAL_KEY_FIELDS[et], et
    json.dumps(schemas)  # plain JSON, ready to publish


def test_the_public_face() -> None:
    exported = set(model.__all__)
    assert len(exported) == len(model.__all__)
    for name in exported:
        assert hasattr(model, name), name
    for must in (
        "CanonicalEntity",
        "Change",
        "ChangeOp",
        "EntityType",
        "ENTITY_MODELS",
        "model_for",
        "json_schemas",
        "flatten",
        "unflatten",
        "UnknownUnitError",
        "DecimalValue",
        "Money",
        "Customer",
        "Product",
        "PriceList",
        "InventoryPosition",
        "Order",
        "Shipment",
        "Invoice",
        "OrderStatus",
        "ALLOWED_TRANSITIONS",
        "can_transition",
    ):
        assert must in exported, must
    assert {m.__name__ for m in ENTITY_MODELS.values()} <= exported


def test_the_model_imports_nothing_else_of_the_project() -> None:
    for path in Path(model.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names: list[str] = []
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""] if node.level == 0 else []
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            for name in names:
                if name.split(".")[0] == "crossdock":
                    assert name.startswith("crossdock.model"), f"{path.name} imports {name}"


@given(
    st.decimals(allow_nan=False, allow_infinity=False, min_value=0, max_value=10**12, places=6)
    | st.decimals(allow_nan=False, allow_infinity=False, min_value=0, max_value=10**30)
)
def test_decimals_travel_as_plain_strings(value: Decimal) -> None:
    p = Product.model_validate({"sku": "X", "cost": value})
    doc = p.model_dump(mode="json", exclude_none=True)
    text = doc["cost"]
    assert isinstance(text, str) and "E" not in text.upper()
    assert Decimal(text) == value
    assert Product.model_validate(doc) == p
    assert Product.model_validate_json(p.model_dump_json()) == p


def test_flatten_record_expands_cleared_objects_by_schema() -> None:
    flat = flatten_record(Product, {"sku": "A", "weight": None, "identifiers": {"gtin": None}})
    assert flat == {"sku": "A", "weight.value": None, "weight.unit": None, "identifiers.gtin": None}
    assert flatten_record(Product, {"identifiers": {"channel_ids": {"amazon": "B0"}}}) == {
        "identifiers.channel_ids": {"amazon": "B0"}
    }
    assert unflatten({"a.b": 1, "a.c": 2, "d": 3}) == {"a": {"b": 1, "c": 2}, "d": 3}
