"""How deep and how large a JSON document may be, and what it may hold: the one rule.

Pure, so every room can apply it: connectors and the API at the door (through
:mod:`crossdock.connectors.kit.limits`, which raises the hub's error), the
store when it keeps raw input on an exception row.
"""

from __future__ import annotations

import math
from typing import Any

#: Levels of objects and arrays a document may nest (the document itself is level 0).
MAX_DEPTH = 32
#: Bytes one document may take (a webhook body, a JSON Lines row, a posted change set).
MAX_BYTES = 5 * 1024 * 1024


def _text_ok(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def problem_in(value: Any, path: str = "", *, max_depth: int = MAX_DEPTH) -> tuple[str, str] | None:
    """``(path, reason)`` of the first thing in ``value`` that cannot be kept, else ``None``.

    Iterative, so a document far deeper than Python's recursion limit is
    reported, not crashed on.
    """
    too_deep = f"nested deeper than {max_depth} levels (limit: max_depth {max_depth})"
    stack: list[tuple[Any, str, int]] = [(value, path, 0)]
    while stack:
        item, where, depth = stack.pop()
        if isinstance(item, dict):
            if depth >= max_depth and item:
                return where, too_deep
            for key, child in item.items():
                if not isinstance(key, str) or not _text_ok(key):
                    return where, "object keys must be valid text"
                stack.append((child, f"{where}.{key}" if where else key, depth + 1))
        elif isinstance(item, list):
            if depth >= max_depth and item:
                return where, too_deep
            for i, child in enumerate(item):
                stack.append((child, f"{where}.{i}" if where else str(i), depth + 1))
        elif isinstance(item, str):
            if not _text_ok(item):
                return where, "text contains an unpaired surrogate (such as \\ud800)"
        elif isinstance(item, float):
            if not math.isfinite(item):
                return where, "numbers must be finite (no NaN or Infinity)"
        elif item is not None and not isinstance(item, bool | int):
            return where, f"unsupported JSON value of type {type(item).__name__}"
    return None


__all__ = ["MAX_BYTES", "MAX_DEPTH", "problem_in"]
