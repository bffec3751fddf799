"""Product: an item a distributor sells, with its identifiers and per-item units of measure.

Every product has a base unit (``EA`` by default); ``units`` says how many
base units one of each other unit holds, per item (a case of this item may
hold 12, a case of that one 50). Quantities convert through
:meth:`Product.to_base`; an unknown unit is an error that names the unit and
the SKU.

Natural keys are the SKU and every GTIN the record carries (the item's own,
its UPC, and the GTIN of each packaging unit), each GTIN zero-padded to 14
digits so that a UPC-12 from one system meets the GTIN-14 of another.

``break_group`` puts the item in a mix-and-match family: the lines of one
order whose items share it reach quantity breaks together, in every price
list that prices them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, ClassVar

from pydantic import Field, ValidationInfo, field_validator

from crossdock.model.base import CanonicalEntity, CanonicalModel, EntityType
from crossdock.model.values import (
    CurrencyCode,
    NonNegativeDecimal,
    PositiveDecimal,
    UnitCode,
)

_GTIN = r"^[0-9]{8}$|^[0-9]{12,14}$"
_GTIN_RE = re.compile(_GTIN)
Gtin = Annotated[str, Field(pattern=_GTIN, description="GTIN-8, -12, -13 or -14")]


class UnknownUnitError(ValueError):
    """A unit of measure the item does not define; names the unit and the SKU."""

    def __init__(self, unit: str, sku: str, known: list[str] | None = None) -> None:
        hint = f" (it has: {', '.join(known)})" if known else ""
        super().__init__(f"unit {unit!r} is not defined for SKU {sku!r}{hint}")
        self.unit = unit
        self.sku = sku


class ProductStatus(StrEnum):
    ACTIVE = "active"
    INACTIVE = "inactive"
    DISCONTINUED = "discontinued"
    PENDING = "pending"


class WeightUnit(StrEnum):
    LB = "LB"
    KG = "KG"
    OZ = "OZ"
    G = "G"


class LengthUnit(StrEnum):
    IN = "IN"
    CM = "CM"
    MM = "MM"
    FT = "FT"
    M = "M"


class SupplierCode(CanonicalModel):
    supplier: str = Field(min_length=1)
    code: str = Field(min_length=1)


class Identifiers(CanonicalModel):
    gtin: Gtin | None = Field(default=None, description="the base unit's GTIN")
    upc: str | None = Field(default=None, pattern=r"^[0-9]{12}$")
    mpn: str | None = Field(default=None, description="manufacturer part number")
    supplier_codes: list[SupplierCode] = Field(default_factory=list)
    channel_ids: dict[str, str] = Field(
        default_factory=dict, description="channel -> that channel's listing id"
    )


class UnitConversion(CanonicalModel):
    code: UnitCode
    factor: PositiveDecimal = Field(description="base units in one of this unit")
    gtin: Gtin | None = None


class Weight(CanonicalModel):
    """Shipping weight of one base unit; no unit is assumed when none is stated."""

    value: NonNegativeDecimal | None = None
    unit: WeightUnit | None = None


class Dimensions(CanonicalModel):
    length: NonNegativeDecimal | None = None
    width: NonNegativeDecimal | None = None
    height: NonNegativeDecimal | None = None
    unit: LengthUnit | None = None


class RelationshipKind(StrEnum):
    SUBSTITUTE = "substitute"
    REPLACEMENT = "replacement"
    ACCESSORY = "accessory"


class ProductRelationship(CanonicalModel):
    """Another item related to this one: a substitute when this one is short, and so on."""

    kind: RelationshipKind
    sku: str = Field(min_length=1, max_length=64)


class Product(CanonicalEntity):
    entity_type: ClassVar[EntityType] = EntityType.PRODUCT
    id_prefix: ClassVar[str] = "prd"
    identity_fields: ClassVar[tuple[str, ...]] = ("sku",)

    sku: str = Field(min_length=1, max_length=64)
    identifiers: Identifiers | None = None
    description: str | None = None
    long_description: str | None = None
    brand: str | None = None
    category: str | None = None
    break_group: str | None = Field(
        default=None,
        description="a mix-and-match family: an order's lines of its products pool their "
        "quantity for the breaks of every price list (an entry's own break_group comes first)",
    )
    base_uom: UnitCode = "EA"
    units: list[UnitConversion] = Field(default_factory=list)
    weight: Weight | None = None
    dimensions: Dimensions | None = None
    status: ProductStatus | None = None
    channels: list[str] = Field(default_factory=list)
    cost: NonNegativeDecimal | None = None
    list_price: NonNegativeDecimal | None = None
    currency: CurrencyCode | None = None
    relationships: list[ProductRelationship] = Field(
        default_factory=list, description="related items, in order of preference"
    )
    min_order_quantity: PositiveDecimal | None = Field(
        default=None, description="the least an order line may ask, in base units"
    )
    order_multiple: PositiveDecimal | None = Field(
        default=None, description="an order line asks a whole multiple of this, in base units"
    )

    def substitutes(self) -> list[str]:
        """SKUs that may ship in this item's place when it is short, in preference order."""
        return [
            r.sku
            for r in self.relationships
            if r.kind in (RelationshipKind.SUBSTITUTE, RelationshipKind.REPLACEMENT)
        ]

    @field_validator("units")
    @classmethod
    def _check_units(
        cls, units: list[UnitConversion], info: ValidationInfo
    ) -> list[UnitConversion]:
        if len(units) > 1:
            codes = [u.code for u in units]
            dupes = sorted({c for c in codes if codes.count(c) > 1})
            if dupes:
                raise ValueError(f"unit codes must be unique; repeated: {', '.join(dupes)}")
        base = info.data.get("base_uom")  # absent when base_uom itself failed
        for u in units:
            if u.code == base and u.factor != 1:
                raise ValueError(f"the base unit {base} must have factor 1, not {u.factor}")
        return units

    def factor(self, unit: str) -> Decimal:
        """Base units in one ``unit`` of this item."""
        if unit == self.base_uom:
            return Decimal(1)
        for u in self.units:
            if u.code == unit:
                return u.factor
        raise UnknownUnitError(unit, self.sku, [self.base_uom] + [u.code for u in self.units])

    def to_base(self, quantity: Decimal, unit: str) -> Decimal:
        """``quantity`` of ``unit`` in base units: 2 CS of 12 is 24 EA."""
        return quantity * self.factor(unit)

    def order_quantity_problem(self, quantity: Decimal, unit: str) -> str | None:
        """Why ``quantity`` of ``unit`` is not a quantity this item is ordered in, if it is not.

        Checked in base units against ``min_order_quantity`` and ``order_multiple``.
        """
        base = self.to_base(quantity, unit)
        if self.min_order_quantity is not None and base < self.min_order_quantity:
            return (
                f"{base} {self.base_uom} is below the minimum order of "
                f"{self.min_order_quantity} {self.base_uom}"
            )
        if self.order_multiple is not None and base % self.order_multiple != 0:
            return (
                f"{base} {self.base_uom} is not a multiple of {self.order_multiple} {self.base_uom}"
            )
        return None

    @classmethod
    def natural_keys(cls, data: Mapping[str, Any]) -> list[tuple[str, str]]:
        keys: list[tuple[str, str]] = []
        sku = data.get("sku")
        if isinstance(sku, str) and sku.strip():
            keys.append(("sku", sku.strip()))
        gtins: list[object] = []
        ids = data.get("identifiers")
        if isinstance(ids, Mapping):
            gtins.append(ids.get("gtin"))
            gtins.append(ids.get("upc"))
        units = data.get("units")
        if isinstance(units, list):
            for u in units:
                if isinstance(u, Mapping) and "gtin" in u:
                    gtins.append(u["gtin"])
        for g in gtins:
            if isinstance(g, str) and _GTIN_RE.fullmatch(g.strip()):
                key = ("gtin", g.strip().zfill(14))
                if key not in keys:
                    keys.append(key)
        return keys


__all__ = [
    "Dimensions",
    "Gtin",
    "Identifiers",
    "LengthUnit",
    "Product",
    "ProductRelationship",
    "ProductStatus",
    "RelationshipKind",
    "SupplierCode",
    "UnitConversion",
    "UnknownUnitError",
    "Weight",
    "WeightUnit",
]
