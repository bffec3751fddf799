r"""Checks on free-form JSON the API accepts (record data): finite, shallow enough, real text.

Python's JSON parser accepts ``NaN`` and ``Infinity`` and unpaired UTF-16
surrogates (``"\ud800"``); none of them can be stored or sent on faithfully,
so they are refused at the door, naming where they are.
"""

from __future__ import annotations

import math
from typing import Any

MAX_DEPTH = 32


def _text_ok(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def check_json(value: Any, path: str = "", depth: int = 0) -> None:
    """Raise ``ValueError`` naming the first place ``value`` cannot be kept as JSON."""
    where = f" at {path}" if path else ""
    if depth > MAX_DEPTH:
        raise ValueError(f"nested deeper than {MAX_DEPTH} levels{where}")
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"numbers must be finite (no NaN or Infinity){where}")
    elif isinstance(value, str):
        if not _text_ok(value):
            raise ValueError(f"text contains an unpaired surrogate{where}")
    elif isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str) or not _text_ok(key):
                raise ValueError(f"object keys must be valid text{where}")
            check_json(item, f"{path}.{key}" if path else key, depth + 1)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            check_json(item, f"{path}.{i}" if path else str(i), depth + 1)
    elif value is not None and not isinstance(value, bool | int):
        raise ValueError(f"unsupported JSON value of type {type(value).__name__}{where}")


__all__ = ["MAX_DEPTH", "check_json"]
