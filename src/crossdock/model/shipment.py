"""Shipment: what left which warehouse for which order, with carrier and tracking."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar

from pydantic import Field

from crossdock.model.base import CanonicalEntity, CanonicalModel, EntityType
from crossdock.model.values import PositiveDecimal, UnitCode


class ShipmentStatus(StrEnum):
    PENDING = "pending"
    PICKED = "picked"
    PACKED = "packed"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"
    EXCEPTION = "exception"


class ShipmentLine(CanonicalModel):
    order_line_number: int | None = Field(default=None, ge=1)
    sku: str = Field(min_length=1)
    quantity: PositiveDecimal
    unit: UnitCode | None = None
    lot: str | None = None
    sscc: str | None = Field(
        default=None,
        pattern=r"^[0-9]{18}$",
        description="SSCC-18 of the carton the line was packed in (an 856 pack level)",
    )


class Shipment(CanonicalEntity):
    entity_type: ClassVar[EntityType] = EntityType.SHIPMENT
    id_prefix: ClassVar[str] = "shp"
    identity_fields: ClassVar[tuple[str, ...]] = ("shipment_number",)

    shipment_number: str = Field(min_length=1, max_length=64)
    order_number: str | None = None
    ship_from: str | None = Field(default=None, description="location code")
    ship_to: str | None = Field(default=None, description="site code")
    carrier: str | None = None
    service: str | None = None
    tracking_numbers: list[str] = Field(default_factory=list)
    status: ShipmentStatus | None = None
    shipped_at: datetime | None = None
    delivered_at: datetime | None = None
    lines: list[ShipmentLine] = Field(default_factory=list)

    @classmethod
    def natural_keys(cls, data: Mapping[str, Any]) -> list[tuple[str, str]]:
        num = data.get("shipment_number")
        return [("shipment_number", num.strip())] if isinstance(num, str) and num.strip() else []


__all__ = ["Shipment", "ShipmentLine", "ShipmentStatus"]
