"""Product: an item a distributor sells, with its identifiers and per-item units of measure.

Every product has a base unit (``EA`` by default); ``units`` says how many
base units one of each other unit holds, per item (a case of this item may
hold 12, a case of that one 50). Quantities convert through
:meth:`Product.to_base`; an unknown unit is an error that names the unit and
the SKU.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from enum import StrEnum
from typing import Any, ClassVar

from pydantic import Field, field_validator, model_validator

from crossdock.model.base import CanonicalEntity, CanonicalModel, EntityType
from crossdock.model.values import (
    CurrencyCode,
    NonNegativeDecimal,
    PositiveDecimal,
    UnitCode,
)


class UnknownUnitError(ValueError):
    """A unit of measure the item does not define."""

    def __init__(self, unit: str, sku: str) -> None:
        super().__init__(f"unit {unit!r} is not defined for SKU {sku!r}")
        self.unit = unit
        self.sku = sku


class ProductStatus(StrEnum):
    ACTIVE = "active"
    INACTIVE = "inactive"
    DISCONTINUED = "discontinued"
    PENDING = "pending"


class SupplierCode(CanonicalModel):
    supplier: str
    code: str


class Identifiers(CanonicalModel):
    gtin: str | None = Field(default=None, pattern=r"^\d{8}$|^\d{12,14}$")
    upc: str | None = Field(default=None, pattern=r"^\d{12}$")
    mpn: str | None = None
    supplier_codes: list[SupplierCode] = Field(default_factory=list)
    channel_ids: dict[str, str] = Field(default_factory=dict)


class UnitConversion(CanonicalModel):
    code: UnitCode
    factor: PositiveDecimal = Field(description="base units in one of this unit")
    gtin: str | None = Field(default=None, pattern=r"^\d{8}$|^\d{12,14}$")


class Weight(CanonicalModel):
    value: NonNegativeDecimal
    unit: str = Field(default="LB", pattern=r"^(LB|KG|OZ|G)$")


class Dimensions(CanonicalModel):
    length: NonNegativeDecimal | None = None
    width: NonNegativeDecimal | None = None
    height: NonNegativeDecimal | None = None
    unit: str = Field(default="IN", pattern=r"^(IN|CM|MM|FT|M)$")


class Product(CanonicalEntity):
    entity_type: ClassVar[EntityType] = EntityType.PRODUCT
    id_prefix: ClassVar[str] = "prd"

    sku: str = Field(min_length=1, max_length=64)
    identifiers: Identifiers | None = None
    description: str | None = None
    long_description: str | None = None
    brand: str | None = None
    category: str | None = None
    base_uom: UnitCode = "EA"
    units: list[UnitConversion] = Field(default_factory=list)
    weight: Weight | None = None
    dimensions: Dimensions | None = None
    status: ProductStatus | None = None
    channels: list[str] = Field(default_factory=list)
    cost: NonNegativeDecimal | None = None
    list_price: NonNegativeDecimal | None = None
    currency: CurrencyCode | None = None

    @field_validator("units")
    @classmethod
    def _unique_units(cls, units: list[UnitConversion]) -> list[UnitConversion]:
        codes = [u.code for u in units]
        if len(set(codes)) == len(codes):
            return units
        dupes = sorted({c for c in codes if codes.count(c) > 1})
        if dupes:
            raise ValueError(f"unit codes must be unique; repeated: {', '.join(dupes)}")
        return units

    @model_validator(mode="after")
    def _base_unit_is_one(self) -> Product:
        for u in self.units:
            if u.code == self.base_uom and u.factor != 1:
                raise ValueError(
                    f"units: the base unit {self.base_uom} must have factor 1, not {u.factor}"
                )
        return self

    def factor(self, unit: str) -> Decimal:
        """Base units in one ``unit`` of this item."""
        if unit == self.base_uom:
            return Decimal(1)
        for u in self.units:
            if u.code == unit:
                return u.factor
        raise UnknownUnitError(unit, self.sku)

    def to_base(self, quantity: Decimal, unit: str) -> Decimal:
        """``quantity`` of ``unit`` in base units: 2 CS of 12 is 24 EA."""
        return quantity * self.factor(unit)

    @classmethod
    def natural_keys(cls, data: Mapping[str, Any]) -> list[tuple[str, str]]:
        keys: list[tuple[str, str]] = []
        sku = data.get("sku")
        if isinstance(sku, str) and sku.strip():
            keys.append(("sku", sku.strip()))
        ids = data.get("identifiers")
        if isinstance(ids, Mapping):
            gtin = ids.get("gtin")
            if isinstance(gtin, str) and gtin.strip():
                keys.append(("gtin", gtin.strip()))
        return keys


__all__ = [
    "Dimensions",
    "Identifiers",
    "Product",
    "ProductStatus",
    "SupplierCode",
    "UnitConversion",
    "UnknownUnitError",
    "Weight",
]
