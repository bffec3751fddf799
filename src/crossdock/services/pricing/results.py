"""What a quote asks and answers: lines in; priced lines (explained) or problems out."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from crossdock.config.pricing import RuleKind


class Outcome(StrEnum):
    """Why a candidate won or lost."""

    WON = "won"
    EXPIRED = "expired"
    NOT_YET_VALID = "not_yet_valid"
    OTHER_SCOPE = "other_scope"
    LOWER_PRIORITY = "lower_priority"
    HIGHER_PRICE = "higher_price"
    TIE_BREAK = "tie_break"
    BELOW_FLOOR = "below_floor"
    BELOW_MIN_QUANTITY = "below_min_quantity"
    NO_RATE = "no_rate"
    NO_BASE_PRICE = "no_base_price"
    NO_COST = "no_cost"


class LineCode(StrEnum):
    """Stable codes of a line's problem."""

    UNKNOWN_SKU = "unknown_sku"
    UNKNOWN_UNIT = "unknown_unit"
    BAD_QUANTITY = "bad_quantity"
    NO_PRICE = "no_price"


@dataclass(frozen=True, slots=True)
class QuoteLine:
    sku: str
    quantity: Decimal
    unit: str | None = None


@dataclass(frozen=True, slots=True)
class QuoteRequest:
    """Who buys, where, through which channel, in which currency, when; and the lines.

    ``at`` is an instant; ``on`` a calendar day, evaluated for each list at
    00:00 of that day in the list's own time zone. Neither: now.
    """

    customer: str
    lines: Sequence[QuoteLine]
    ship_to: str | None = None
    channel: str | None = None
    currency: str | None = None
    at: datetime | None = None
    on: date | None = None


@dataclass(slots=True)
class Candidate:
    """One rule that could price a line, and how it fared."""

    kind: RuleKind
    outcome: Outcome
    list_code: str | None = None
    list_id: str | None = None
    priority: int = 0
    method: str | None = None
    unit_price: Decimal | None = None
    currency: str | None = None
    break_min_quantity: Decimal | None = None
    detail: str | None = None


@dataclass(slots=True)
class PricedLine:
    index: int
    sku: str
    quantity: Decimal
    unit: str
    base_quantity: Decimal
    unit_price: Decimal
    extended_price: Decimal
    currency: str
    rule: Candidate
    candidates: list[Candidate] | None = None


@dataclass(frozen=True, slots=True)
class LineProblem:
    index: int
    field: str
    code: LineCode
    reason: str


@dataclass(slots=True)
class Quote:
    customer: str
    customer_id: str
    ship_to: str | None
    channel: str | None
    currency: str
    at: datetime | None
    on: date | None
    lines: list[PricedLine | LineProblem] = field(default_factory=list)

    @property
    def priced(self) -> list[PricedLine]:
        return [x for x in self.lines if isinstance(x, PricedLine)]

    @property
    def problems(self) -> list[LineProblem]:
        return [x for x in self.lines if isinstance(x, LineProblem)]


__all__ = [
    "Candidate",
    "LineCode",
    "LineProblem",
    "Outcome",
    "PricedLine",
    "Quote",
    "QuoteLine",
    "QuoteRequest",
]
