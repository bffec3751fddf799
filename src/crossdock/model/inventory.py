"""Inventory position: one SKU at one location, in buckets, with inbound receipts.

The buckets are what the availability service subtracts from on hand; the
inbound receipts are what it projects forward by date.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, ClassVar

from pydantic import Field

from crossdock.model.base import CanonicalEntity, CanonicalModel, EntityType
from crossdock.model.values import DecimalValue, NonNegativeDecimal, PositiveDecimal, UnitCode

#: What available-to-promise subtracts from on hand: ATP = on_hand - each of these.
#: The one statement of the rule; the service's arithmetic and the store's SQL use it.
ATP_CLAIMS = ("allocated", "reserved", "safety_stock", "on_hold")


class InboundKind(StrEnum):
    PURCHASE_ORDER = "purchase_order"
    TRANSFER = "transfer"
    RETURN = "return"


class InboundReceipt(CanonicalModel):
    reference: str = Field(min_length=1)
    quantity: PositiveDecimal
    eta: date
    kind: InboundKind = InboundKind.PURCHASE_ORDER


class InventoryPosition(CanonicalEntity):
    entity_type: ClassVar[EntityType] = EntityType.INVENTORY
    id_prefix: ClassVar[str] = "inv"
    identity_fields: ClassVar[tuple[str, ...]] = ("sku", "location")

    sku: str = Field(min_length=1)
    location: str = Field(min_length=1, description="warehouse or location code")
    unit: UnitCode | None = Field(default=None, description="None: the item's base unit")
    on_hand: DecimalValue = Field(default=Decimal(0), description="may go negative in some WMSs")
    allocated: NonNegativeDecimal = Decimal(0)
    reserved: NonNegativeDecimal = Decimal(0)
    in_transit: NonNegativeDecimal = Decimal(0)
    safety_stock: NonNegativeDecimal = Decimal(0)
    on_hold: NonNegativeDecimal = Decimal(0)
    inbound: list[InboundReceipt] = Field(default_factory=list)
    as_of: datetime | None = None
    available: NonNegativeDecimal | None = Field(
        default=None, description="ATP as the availability service last published it"
    )
    available_by_channel: dict[str, NonNegativeDecimal] = Field(
        default_factory=dict, description="channel -> what that channel may promise here"
    )

    @classmethod
    def natural_keys(cls, data: Mapping[str, Any]) -> list[tuple[str, str]]:
        sku, loc = data.get("sku"), data.get("location")
        if isinstance(sku, str) and isinstance(loc, str) and sku.strip() and loc.strip():
            return [("sku_location", f"{sku.strip()}@{loc.strip()}")]
        return []


__all__ = ["ATP_CLAIMS", "InboundKind", "InboundReceipt", "InventoryPosition"]
