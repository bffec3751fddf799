"""Customer price: what one customer pays for one SKU through one channel, as published.

Not a price list: a *result* of the pricing rules (the price book line), kept
as a record so that routes can deliver it to channels like any entity and a
change of a list, a cost or a customer's assignment reaches them as events.
The pricing publisher writes these; nothing else should own them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from crossdock.model.base import CanonicalEntity, EntityType
from crossdock.model.values import CurrencyCode, DecimalValue, UnitCode


class PriceTier(BaseModel):
    """From ``min_quantity`` base units on, one base unit costs ``unit_price``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    min_quantity: DecimalValue
    unit_price: DecimalValue


class CustomerPrice(CanonicalEntity):
    entity_type: ClassVar[EntityType] = EntityType.CUSTOMER_PRICE
    id_prefix: ClassVar[str] = "cpr"
    identity_fields: ClassVar[tuple[str, ...]] = ("customer", "sku", "channel")

    customer: str = Field(min_length=1, description="the customer's account number")
    sku: str = Field(min_length=1)
    channel: str | None = Field(default=None, description="None: every channel")
    currency: CurrencyCode | None = None
    unit: UnitCode | None = Field(
        default=None, description="the unit the price is for (the item's base unit)"
    )
    unit_price: DecimalValue | None = None
    breaks: list[PriceTier] = Field(
        default_factory=list,
        description="quantity breaks above one unit, lowest first: where the price per base "
        "unit changes with the line's quantity (in base units)",
    )
    unit_prices: dict[UnitCode, DecimalValue] = Field(
        default_factory=dict,
        description="the price of one unit of a larger unit (a case) where a list prices that "
        "unit itself, not as its factor times the base unit's price",
    )
    rule: str | None = Field(
        default=None, description="the kind of rule that won: contract, promotion, base, ..."
    )
    list_code: str | None = Field(default=None, description="the price list that won")

    @classmethod
    def natural_keys(cls, data: Mapping[str, Any]) -> list[tuple[str, str]]:
        customer, sku = data.get("customer"), data.get("sku")
        if isinstance(customer, str) and isinstance(sku, str) and customer and sku:
            channel = data.get("channel") or "*"
            return [("customer_sku_channel", f"{customer}|{sku}|{channel}")]
        return []


__all__ = ["CustomerPrice", "PriceTier"]
