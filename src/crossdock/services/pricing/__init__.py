"""Pricing: the price a customer really pays, explained, from the canonical price lists.

:class:`PricingService` keeps an in-memory :class:`PriceIndex` current with the
store and answers quotes (:class:`QuoteRequest` -> :class:`Quote`), price
books and price-change impacts; :class:`Engine` resolves against an index
without I/O (what the unit and property tests drive).
"""

from crossdock.services.pricing.book import BOOK_FIELDS, book_csv, book_jsonl, book_row
from crossdock.services.pricing.engine import Engine
from crossdock.services.pricing.index import PriceIndex
from crossdock.services.pricing.results import (
    Candidate,
    LineCode,
    LineProblem,
    Outcome,
    PricedLine,
    Quote,
    QuoteLine,
    QuoteRequest,
)
from crossdock.services.pricing.service import PRICE_ENTITIES, PriceChange, PricingService

__all__ = [
    "BOOK_FIELDS",
    "PRICE_ENTITIES",
    "Candidate",
    "Engine",
    "LineCode",
    "LineProblem",
    "Outcome",
    "PriceChange",
    "PriceIndex",
    "PricedLine",
    "PricingService",
    "Quote",
    "QuoteLine",
    "QuoteRequest",
    "book_csv",
    "book_jsonl",
    "book_row",
]
