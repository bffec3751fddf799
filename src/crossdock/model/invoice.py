"""Invoice: what the customer owes for an order, line by line, and when."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any, ClassVar

from pydantic import Field, model_validator

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

    invoice_number: str = Field(min_length=1, max_length=64)
    order_number: str | None = None
    customer_account: str | None = None
    bill_to: str | None = None
    currency: CurrencyCode | None = None
    invoice_date: date | None = None
    due_date: date | None = None
    status: InvoiceStatus = InvoiceStatus.OPEN
    lines: list[InvoiceLine] = Field(default_factory=list)
    totals: Totals | None = None

    @model_validator(mode="after")
    def _subtotal_matches_lines(self) -> Invoice:
        if self.lines and self.totals and self.totals.subtotal is not None:
            total = sum((ln.extended_price for ln in self.lines), start=Decimal(0))
            if total != self.totals.subtotal:
                raise ValueError(
                    f"totals.subtotal {self.totals.subtotal} differs from the sum of the lines' "
                    f"extended_price {total}"
                )
        if self.due_date and self.invoice_date and self.due_date < self.invoice_date:
            raise ValueError("due_date is before invoice_date")
        return self

    @classmethod
    def natural_keys(cls, data: Mapping[str, Any]) -> list[tuple[str, str]]:
        num = data.get("invoice_number")
        return [("invoice_number", num.strip())] if isinstance(num, str) and num.strip() else []


__all__ = ["Invoice", "InvoiceLine", "InvoiceStatus"]
