"""The store's JSON: compact, key-sorted, Decimal-safe text (orjson: the outbox is a hot path)."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import orjson

_OPTS = orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def dumps(value: Any) -> str:
    try:
        return orjson.dumps(value, default=_default, option=_OPTS).decode()
    except TypeError:
        # orjson refuses integers beyond 64 bits; the stdlib encoder writes them exactly.
        return json.dumps(
            value, default=_default, sort_keys=True, separators=(",", ":"), ensure_ascii=False
        )


def loads(text: str | bytes) -> Any:
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)  # what the stdlib fallback of dumps wrote


__all__ = ["dumps", "loads"]
