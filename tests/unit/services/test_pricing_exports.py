"""The pricing package's public face is what we mean to export."""

from __future__ import annotations

import crossdock.services.pricing as pricing


def test_public_names() -> None:
    assert sorted(pricing.__all__) == sorted(
        [
            "BOOK_FIELDS", "PRICE_ENTITIES", "Candidate", "Engine", "LineCode", "LineProblem",
            "Outcome", "PriceChange", "PriceIndex", "PricedLine", "PricingService", "Quote",
            "QuoteLine", "QuoteRequest", "book_csv", "book_jsonl", "book_row",
        ]
    )  # fmt: skip
    for name in pricing.__all__:
        assert getattr(pricing, name) is not None
