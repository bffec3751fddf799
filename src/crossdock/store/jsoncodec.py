"""The store's JSON: compact, key-sorted, Decimal-safe text."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


_encoder = json.JSONEncoder(separators=(",", ":"), sort_keys=True, default=_default, ensure_ascii=False)
dumps = _encoder.encode
loads = json.loads

__all__ = ["dumps", "loads"]
