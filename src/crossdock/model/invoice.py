"""Invoice: what the customer owes for an order, line by line, and when."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any, ClassVar

from pydantic import Field, ValidationInfo, field_validator

from crossdock.model.base import CanonicalEntity, CanonicalModel, EntityType
from crossdock.model.order import Totals
from crossdock.model.values import CurrencyCode, DecimalValue, UnitCode


class InvoiceStatus(StrEnum):
    DRAFT = "draft"
    OPEN = "open"
    PARTIALLY_PAID = "partially_paid"
    PAID = "paid"
    OVERDUE = "overdue"
    VOID = "void"


class InvoiceLine(CanonicalModel):
    line_number: int = Field(ge=1)
    sku: str | None = None
    description: str | None = None
    quantity: DecimalValue
    unit: UnitCode | None = None
    unit_price: DecimalValue
    extended_price: DecimalValue
    tax: DecimalValue | None = None


class Invoice(CanonicalEntity):
    entity_type: ClassVar[EntityType] = EntityType.INVOICE
    id_prefix: ClassVar[str] = "ivc"
    identity_fields: ClassVar[tuple[str, ...]] = ("invoice_number",)

    invoice_number: str = Field(min_length=1, max_length=64)
    order_number: str | None = None
    customer_account: str | None = Field(default=None, description="the customer's account_number")
    bill_to: str | None = Field(default=None, description="a site code of the customer")
    currency: CurrencyCode | None = None
    invoice_date: date | None = None
    due_date: date | None = None
    status: InvoiceStatus | None = None
    lines: list[InvoiceLine] = Field(default_factory=list)
    totals: Totals | None = None
    amount_due: DecimalValue | None = Field(
        default=None,
        ge=0,
        description="what is still owed (a partly paid invoice); absent: its total until paid",
    )

    @field_validator("lines")
    @classmethod
    def _unique_lines(cls, lines: list[InvoiceLine]) -> list[InvoiceLine]:
        nums = [ln.line_number for ln in lines]
        dupes = sorted({n for n in nums if nums.count(n) > 1})
        if dupes:
            raise ValueError(f"line numbers must be unique; repeated: {dupes}")
        return lines

    @field_validator("totals")
    @classmethod
    def _subtotal_matches_lines(cls, totals: Totals | None, info: ValidationInfo) -> Totals | None:
        lines: list[InvoiceLine] = info.data.get("lines") or []  # absent when lines failed
        if lines and totals is not None and totals.subtotal is not None:
            total = sum((ln.extended_price for ln in lines), start=Decimal(0))
            if total != totals.subtotal:
                raise ValueError(
                    f"totals.subtotal {totals.subtotal} differs from the sum of the lines' "
                    f"extended_price {total}"
                )
        return totals

    @field_validator("due_date")
    @classmethod
    def _due_after_invoiced(cls, due: date | None, info: ValidationInfo) -> date | None:
        invoiced = info.data.get("invoice_date")
        if due is not None and invoiced is not None and due < invoiced:
            raise ValueError(f"due_date {due} is before invoice_date {invoiced}")
        return due

    @classmethod
    def natural_keys(cls, data: Mapping[str, Any]) -> list[tuple[str, str]]:
        num = data.get("invoice_number")
        return [("invoice_number", num.strip())] if isinstance(num, str) and num.strip() else []


__all__ = ["Invoice", "InvoiceLine", "InvoiceStatus"]
