r"""Limits on every inbound document, checked before anything of it is stored.

A document (a webhook body, a change posted to the API, a JSON Lines row, and
later an EDI interchange or a broker message) is refused when it nests deeper
than :data:`MAX_DEPTH` levels or is larger than :data:`MAX_BYTES`, and when
it holds a value no store or receiver can keep faithfully: ``NaN`` or
``Infinity``, an unpaired UTF-16 surrogate (``"\ud800"``), a key that is not
text. The refusal names the place and the limit, so the sender can fix it.

Why a depth limit at all: every layer after the door (the store's JSON
columns, the API's JSON encoder, a receiver's parser) has its own recursion
limit, and a document that passes the door but not one of them becomes a row
that breaks whatever reads it later. One limit, well below all of theirs,
checked first, keeps every stored document readable.
"""

from __future__ import annotations

from typing import Any

from crossdock.errors import ErrorCode, InvalidInput
from crossdock.model.limits import MAX_BYTES, MAX_DEPTH, problem_in


class DocumentRefused(InvalidInput):
    """A document past a limit or holding a value that cannot be kept; names where."""

    def __init__(self, path: str, reason: str) -> None:
        where = path or "(document)"
        super().__init__(f"{where}: {reason}", field=path or None, reason=reason)
        self.code = ErrorCode.DOCUMENT_REFUSED


def check_document(value: Any, path: str = "", *, max_depth: int = MAX_DEPTH) -> None:
    """Raise :class:`DocumentRefused` naming the first place ``value`` breaks a limit."""
    found = problem_in(value, path, max_depth=max_depth)
    if found is not None:
        raise DocumentRefused(*found)


def check_size(size: int, path: str = "", *, max_bytes: int = MAX_BYTES) -> None:
    """Raise :class:`DocumentRefused` when a document of ``size`` bytes is over the limit."""
    if size > max_bytes:
        raise DocumentRefused(
            path, f"{size} bytes is larger than the limit of {max_bytes} bytes (max_bytes)"
        )


__all__ = [
    "MAX_BYTES",
    "MAX_DEPTH",
    "DocumentRefused",
    "check_document",
    "check_size",
    "problem_in",
]
