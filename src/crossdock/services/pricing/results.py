"""What a quote asks and answers: lines in; priced lines (explained) or problems out."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

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


class PricedLine:
    """A priced line: the price, the rule that won and (explained) every other candidate.

    On the fast path the winning rule is described only when asked for
    (``rule``): ``source`` holds the winning entry and break until then.
    """

    __slots__ = (
        "_rule",
        "base_quantity",
        "candidates",
        "currency",
        "extended_price",
        "index",
        "quantity",
        "sku",
        "source",
        "unit",
        "unit_price",
    )

    def __init__(
        self,
        index: int,
        sku: str,
        quantity: Decimal,
        unit: str,
        base_quantity: Decimal,
        unit_price: Decimal,
        extended_price: Decimal,
        currency: str,
        rule: Candidate | None,
        candidates: list[Candidate] | None = None,
        source: tuple[Any, int] | None = None,
    ) -> None:
        self.index = index
        self.sku = sku
        self.quantity = quantity
        self.unit = unit
        self.base_quantity = base_quantity
        self.unit_price = unit_price
        self.extended_price = extended_price
        self.currency = currency
        self._rule = rule
        self.candidates = candidates
        self.source = source

    @property
    def rule(self) -> Candidate:
        if self._rule is None:
            assert self.source is not None
            e, brk = self.source
            pl = e.plist
            self._rule = Candidate(
                pl.kind,
                Outcome.WON,
                list_code=pl.code,
                list_id=pl.id,
                priority=pl.priority,
                method=e.method.value,
                unit_price=self.unit_price,
                currency=self.currency,
                break_min_quantity=e.mins[brk] if brk >= 0 else None,
            )
        return self._rule

    def __repr__(self) -> str:
        return f"PricedLine({self.index}, {self.sku!r}, {self.unit_price} {self.currency})"


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
