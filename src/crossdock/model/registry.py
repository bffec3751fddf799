"""Which model class is which entity type, and the JSON Schema of each."""

from __future__ import annotations

from typing import Any

from crossdock.model.base import CanonicalEntity, EntityType
from crossdock.model.customer import Customer
from crossdock.model.customer_price import CustomerPrice
from crossdock.model.inventory import InventoryPosition
from crossdock.model.invoice import Invoice
from crossdock.model.order import Order
from crossdock.model.price_list import PriceList
from crossdock.model.product import Product
from crossdock.model.shipment import Shipment

ENTITY_MODELS: dict[EntityType, type[CanonicalEntity]] = {
    EntityType.CUSTOMER: Customer,
    EntityType.PRODUCT: Product,
    EntityType.PRICE_LIST: PriceList,
    EntityType.INVENTORY: InventoryPosition,
    EntityType.ORDER: Order,
    EntityType.SHIPMENT: Shipment,
    EntityType.INVOICE: Invoice,
    EntityType.CUSTOMER_PRICE: CustomerPrice,
}


def model_for(entity_type: EntityType) -> type[CanonicalEntity]:
    """The model class of ``entity_type``."""
    return ENTITY_MODELS[entity_type]


def json_schemas() -> dict[str, dict[str, Any]]:
    """Entity type -> JSON Schema (draft 2020-12) of its canonical record."""
    return {et.value: m.model_json_schema(mode="validation") for et, m in ENTITY_MODELS.items()}


__all__ = ["ENTITY_MODELS", "json_schemas", "model_for"]
