"""The store's JSON: compact, key-sorted, Decimal-safe text (orjson: the outbox is a hot path)."""

from __future__ import annotations

import json
import re
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


_LONG_NUMBER = re.compile(r"\d{19}")


def loads(text: str | bytes) -> Any:
    raw = text.decode() if isinstance(text, bytes) else text
    if _LONG_NUMBER.search(raw):
        return json.loads(raw)  # orjson would turn an integer beyond 64 bits into a float
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        return json.loads(raw)  # escaped unpaired surrogates, as the stdlib fallback wrote


__all__ = ["dumps", "loads"]
