"""Customer: a sold-to account with its ship-to and bill-to sites, terms and credit.

A customer's sites carry roles (sold-to, ship-to, bill-to); one site may
play several. Contract prices and sourcing can be per ship-to, so each site
has a code that other records refer to.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any, ClassVar

from pydantic import Field, field_validator

from crossdock.model.base import CanonicalEntity, CanonicalModel, EntityType
from crossdock.model.values import Address, Contact, CurrencyCode, NonNegativeDecimal


class CustomerStatus(StrEnum):
    PROSPECT = "prospect"
    ACTIVE = "active"
    INACTIVE = "inactive"
    BLOCKED = "blocked"


class SiteRole(StrEnum):
    SOLD_TO = "sold_to"
    SHIP_TO = "ship_to"
    BILL_TO = "bill_to"


class TaxId(CanonicalModel):
    scheme: str = Field(min_length=1, description="e.g. EIN, VAT, resale certificate")
    value: str = Field(min_length=1)


class Site(CanonicalModel):
    code: str = Field(min_length=1, max_length=64)
    roles: list[SiteRole] = Field(min_length=1)
    name: str | None = None
    address: Address | None = None
    default: bool = False
    tax_exempt: bool | None = None
    region: str | None = None
    active: bool | None = Field(
        default=None, description="false: the site takes no new orders (absent: active)"
    )


class Customer(CanonicalEntity):
    entity_type: ClassVar[EntityType] = EntityType.CUSTOMER
    id_prefix: ClassVar[str] = "cus"
    identity_fields: ClassVar[tuple[str, ...]] = ("account_number",)

    account_number: str | None = Field(default=None, min_length=1, max_length=64)
    name: str | None = None
    legal_name: str | None = None
    tax_ids: list[TaxId] = Field(default_factory=list)
    status: CustomerStatus | None = None
    currency: CurrencyCode | None = None
    payment_terms: str | None = None
    credit_limit: NonNegativeDecimal | None = None
    credit_hold: bool | None = None
    customer_group: str | None = None
    tier: str | None = None
    price_lists: list[str] = Field(default_factory=list)
    territory: str | None = None
    sales_rep: str | None = None
    sites: list[Site] = Field(default_factory=list)
    contacts: list[Contact] = Field(default_factory=list)

    @field_validator("sites")
    @classmethod
    def _unique_site_codes(cls, sites: list[Site]) -> list[Site]:
        codes = [s.code for s in sites]
        dupes = sorted({c for c in codes if codes.count(c) > 1})
        if dupes:
            raise ValueError(f"site codes must be unique; repeated: {', '.join(dupes)}")
        return sites

    def sites_with(self, role: SiteRole) -> list[Site]:
        return [s for s in self.sites if role in s.roles]

    @classmethod
    def natural_keys(cls, data: Mapping[str, Any]) -> list[tuple[str, str]]:
        acct = data.get("account_number")
        if isinstance(acct, str) and acct.strip():
            return [("account_number", acct.strip())]
        return []


__all__ = ["Customer", "CustomerStatus", "Site", "SiteRole", "TaxId"]
