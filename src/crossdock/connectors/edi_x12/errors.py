"""The EDI connector's errors: X12 that cannot be read at all, and partner settings."""

from __future__ import annotations

from crossdock.connectors.base import config_invalid
from crossdock.errors import ErrorCode, InvalidInput


class X12SyntaxError(InvalidInput):
    """Bytes that are not an X12 interchange (no ISA, a broken header)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, field="ISA", code=ErrorCode.DOCUMENT_REFUSED)


__all__ = ["X12SyntaxError", "config_invalid"]
