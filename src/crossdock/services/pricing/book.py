"""Priced lines as plain JSON-ready dicts, and a customer's price book as JSON Lines or CSV.

Decimals leave as strings (never floats), in the plain notation the model
uses. The price book streams one row per sellable SKU; a SKU that no list
prices for this customer becomes a row with an empty price and the reason.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import Any

import orjson

from crossdock.services.pricing.results import Candidate, LineProblem, PricedLine

BOOK_FIELDS = (
    "sku",
    "unit",
    "unit_price",
    "currency",
    "rule_kind",
    "list_code",
    "method",
    "problem",
)


def _d(value: Decimal | None) -> str | None:
    return None if value is None else format(value, "f")


def candidate_dict(c: Candidate) -> dict[str, Any]:
    out: dict[str, Any] = {
        "kind": c.kind.value,
        "outcome": c.outcome.value,
        "list_code": c.list_code,
        "list_id": c.list_id,
        "priority": c.priority,
        "method": c.method,
        "unit_price": _d(c.unit_price),
        "currency": c.currency,
        "break_min_quantity": _d(c.break_min_quantity),
    }
    if c.detail is not None:
        out["detail"] = c.detail
    return out


def line_dict(line: PricedLine | LineProblem) -> dict[str, Any]:
    """One answered line: a priced line, or a problem naming the field."""
    if isinstance(line, LineProblem):
        return {
            "index": line.index,
            "problem": {"field": line.field, "code": line.code.value, "reason": line.reason},
        }
    src = line.source
    price = format(line.unit_price, "f")
    if src is not None and line.candidates is None:  # the fast path's winner, undescribed yet
        e, brk = src
        pl = e.plist
        rule: dict[str, Any] = {
            "kind": pl.kind,
            "outcome": "won",
            "list_code": pl.code,
            "list_id": pl.id,
            "priority": pl.priority,
            "method": e.method,
            "unit_price": price,
            "currency": line.currency,
            "break_min_quantity": format(e.mins[brk], "f") if brk >= 0 else None,
        }
    else:
        rule = candidate_dict(line.rule)
    quantity = format(line.quantity, "f")
    out: dict[str, Any] = {
        "index": line.index,
        "sku": line.sku,
        "quantity": quantity,
        "unit": line.unit,
        # in the base unit the two are one Decimal (the common case): format it once
        "base_quantity": (
            quantity if line.base_quantity is line.quantity else format(line.base_quantity, "f")
        ),
        "unit_price": price,
        "extended_price": format(line.extended_price, "f"),
        "currency": line.currency,
        "rule": rule,
    }
    if line.candidates is not None:
        out["candidates"] = [candidate_dict(c) for c in line.candidates]
    return out


def book_row(line: PricedLine | LineProblem, sku: str | None = None) -> dict[str, str | None]:
    if isinstance(line, LineProblem):
        return {f: None for f in BOOK_FIELDS} | {"sku": sku, "problem": line.reason}
    return {
        "sku": line.sku,
        "unit": line.unit,
        "unit_price": _d(line.unit_price),
        "currency": line.currency,
        "rule_kind": line.rule.kind.value,
        "list_code": line.rule.list_code,
        "method": line.rule.method,
        "problem": None,
    }


BookItem = tuple[str, PricedLine | LineProblem]
"""A SKU and its answer, as :meth:`PricingService.book` yields them."""


def _rows(items: Iterable[BookItem]) -> Iterator[dict[str, str | None]]:
    for sku, line in items:
        yield book_row(line, sku)


def book_jsonl(items: Iterable[BookItem]) -> Iterator[bytes]:
    """One JSON object per line."""
    for row in _rows(items):
        yield orjson.dumps(row) + b"\n"


def book_csv(items: Iterable[BookItem]) -> Iterator[str]:
    """A header row, then one row per SKU (empty cells for nulls)."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=BOOK_FIELDS, lineterminator="\n")
    writer.writeheader()
    yield buf.getvalue()
    for row in _rows(items):
        buf.seek(0)
        buf.truncate()
        writer.writerow(row)
        yield buf.getvalue()


__all__ = [
    "BOOK_FIELDS",
    "BookItem",
    "book_csv",
    "book_jsonl",
    "book_row",
    "candidate_dict",
    "line_dict",
]
