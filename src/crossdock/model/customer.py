"""Customer: a sold-to account with its ship-to and bill-to sites, terms and credit.

A customer's sites carry roles (sold-to, ship-to, bill-to); one site may
play several. Contract prices and sourcing can be per ship-to, so each site
has a code that other records refer to.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from enum import StrEnum
from typing import Any, ClassVar

from pydantic import Field, field_validator, model_validator

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
    region: str | None = Field(
        default=None, description="where it holds (an exemption certificate is per region)"
    )
    expires_on: date | None = Field(default=None, description="an exemption certificate's expiry")


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


def iban_valid(value: str) -> bool:
    """Whether ``value`` (upper case, no spaces) passes the IBAN check (ISO 13616, mod 97)."""
    if not (15 <= len(value) <= 34 and value[:2].isalpha() and value[2:4].isdigit()):
        return False
    if not value.isalnum() or not value.isascii():
        return False
    digits = "".join(str(int(ch, 36)) for ch in value[4:] + value[:4])
    return int(digits) % 97 == 1


class BankAccount(CanonicalModel):
    """Where the customer's payments come from (direct debit) or refunds go.

    Either an IBAN or a domestic account number with its bank code (routing
    number, sort code, BLZ). Every change of it waits for a second person
    when the hub file's ``customers.approvals`` lists ``bank_account``; it is
    hidden from the channels by default (``masking``, glob ``bank*``).
    """

    holder: str | None = Field(default=None, min_length=1, max_length=140)
    iban: str | None = Field(default=None, description="spaces dropped, upper case, checked")
    account_number: str | None = Field(default=None, min_length=1, max_length=34)
    bank_code: str | None = Field(
        default=None, min_length=1, max_length=34, description="BIC, routing number, sort code"
    )

    @field_validator("iban")
    @classmethod
    def _iban(cls, value: str | None) -> str | None:
        if value is None:
            return None
        compact = "".join(value.split()).upper()
        if not iban_valid(compact):
            raise ValueError("not a valid IBAN (country, check digits and mod-97 checksum)")
        return compact

    @model_validator(mode="after")
    def _some_account(self) -> BankAccount:
        if self.iban is None and self.account_number is None:
            raise ValueError("a bank account needs an iban or an account_number")
        return self


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
    bank_account: BankAccount | None = None

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


__all__ = ["BankAccount", "Customer", "CustomerStatus", "Site", "SiteRole", "TaxId", "iban_valid"]
