"""Shared value types: money, quantities, units of measure, addresses, contacts, references.

Money and quantities are ``Decimal``: a float never enters the model. Input
floats are refused rather than silently rounded, because ``0.1`` as a float
is not the price anybody agreed to.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, PlainSerializer, WithJsonSchema

from crossdock.model.base import CanonicalModel


def _to_decimal(value: Any) -> Any:
    if isinstance(value, str):  # first: files and JSON send numbers as text
        try:
            dec = Decimal(value.strip())
        except InvalidOperation:
            raise ValueError(f"{value!r} is not a decimal number") from None
        if not dec.is_finite():
            raise ValueError(f"{value!r} is not a finite number")
        return dec
    if isinstance(value, bool):
        raise ValueError("a boolean is not a number")
    if isinstance(value, float):
        raise ValueError(
            "floats are not accepted for money or quantities; send a string or integer"
        )
    return value


def _dec_str(value: Decimal) -> str:
    return format(value, "f")


DecimalValue = Annotated[
    Decimal,
    WithJsonSchema(
        {
            "type": ["string", "integer"],
            "pattern": r"^-?(\d+(\.\d*)?|\.\d+)$",
            "description": "a decimal number, sent as text (floats are refused)",
        }
    ),
    BeforeValidator(_to_decimal),
    Field(allow_inf_nan=False),
    PlainSerializer(_dec_str, return_type=str, when_used="json"),
]
"""A finite decimal that serialises to a plain string (never exponent notation)."""

NonNegativeDecimal = Annotated[
    DecimalValue,
    Field(ge=0),
    WithJsonSchema(
        {
            "type": ["string", "integer"],
            "pattern": r"^(\d+(\.\d*)?|\.\d+)$",
            "minimum": 0,
            "description": "a decimal number >= 0, sent as text (floats are refused)",
        }
    ),
]
PositiveDecimal = Annotated[
    DecimalValue,
    Field(gt=0),
    WithJsonSchema(
        {
            "type": ["string", "integer"],
            "pattern": r"^(\d+(\.\d*)?|\.\d+)$",
            "exclusiveMinimum": 0,
            "description": "a decimal number > 0, sent as text (floats are refused)",
        }
    ),
]

CurrencyCode = Annotated[str, Field(pattern=r"^[A-Z]{3}$", description="ISO 4217 code")]
CountryCode = Annotated[str, Field(pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2")]
UnitCode = Annotated[
    str, Field(min_length=1, max_length=16, pattern=r"^[A-Za-z0-9_\-]+$", description="UoM code")
]


class Money(CanonicalModel):
    amount: DecimalValue
    currency: CurrencyCode


class Quantity(CanonicalModel):
    value: DecimalValue
    unit: UnitCode


class Address(CanonicalModel):
    line1: str | None = None
    line2: str | None = None
    city: str | None = None
    region: str | None = None
    postal_code: str | None = None
    country: CountryCode | None = None


class Contact(CanonicalModel):
    name: str | None = None
    email: str | None = None
    phone: str | None = None
    role: str | None = None


__all__ = [
    "Address",
    "Contact",
    "CountryCode",
    "CurrencyCode",
    "DecimalValue",
    "Money",
    "NonNegativeDecimal",
    "PositiveDecimal",
    "Quantity",
    "UnitCode",
]
