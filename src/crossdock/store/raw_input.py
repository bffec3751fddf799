"""Raw input kept on an exception row: bounded, so no stored row can break a listing.

An exception keeps the input it was made from so a person can read it, fix it
and replay it. Input is untrusted: a row could hold a document nested deeper
than any JSON encoder after the store will follow, or megabytes of it, and
then every listing that includes the row would fail. So the store keeps raw
input only within :data:`MAX_KEPT_BYTES` and the document limits of
:mod:`crossdock.model.limits`; past them it keeps a marker instead::

    {"truncated": true, "reason": "...", "original_bytes": 812345, "text": "<first bytes>"}

A truncated payload cannot be replayed (it is no longer the change); the row
still lists and shows. Reading applies the same rule, so a row written before
the rule existed reads as a marker too.
"""

from __future__ import annotations

from typing import Any

from crossdock.model.limits import problem_in
from crossdock.store.jsoncodec import dumps, loads

#: Bytes of raw input an exception row keeps; past this it keeps the first ones as text.
MAX_KEPT_BYTES = 256 * 1024


def _marker(text: str, reason: str) -> dict[str, Any]:
    data = text.encode("utf-8", "replace")
    return {
        "truncated": True,
        "reason": reason,
        "original_bytes": len(data),
        "text": data[:MAX_KEPT_BYTES].decode("utf-8", "ignore"),
    }


def _too_large(size: int) -> str:
    return f"raw input of {size} bytes is over the {MAX_KEPT_BYTES} bytes an exception keeps"


def keep(payload: dict[str, Any] | None) -> str | None:
    """The text to store for ``payload``: itself, or a marker when it breaks a limit."""
    if payload is None:
        return None
    text = dumps(payload)
    found = problem_in(payload)
    if found is not None:
        return dumps(_marker(text, f"raw input not kept whole: {found[1]} at {found[0]}"))
    if len(text) > MAX_KEPT_BYTES:
        return dumps(_marker(text, _too_large(len(text.encode("utf-8", "replace")))))
    return text


def show(text: str | None) -> dict[str, Any] | None:
    """The stored payload, or a marker for a row stored before the limits existed."""
    if not text:
        return None
    if len(text) > 2 * MAX_KEPT_BYTES:
        return _marker(text, _too_large(len(text.encode("utf-8", "replace"))))
    value = loads(text)
    found = problem_in(value)
    if found is not None:
        return _marker(text, f"raw input not kept whole: {found[1]} at {found[0]}")
    return value if isinstance(value, dict) else {"raw": value}


__all__ = ["MAX_KEPT_BYTES", "keep", "show"]
