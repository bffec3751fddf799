"""What can be wrong with a dropped file, a row of it, or a setting, in Crossdock's terms.

Inside the connector a bad row raises :class:`RowProblem` and a file that
cannot be read at all raises :class:`FileProblem`; the source turns both into
:class:`~crossdock.connectors.base.SourceError` items (business exceptions a
person can act on) and carries on with the next row or file. Nothing of a
file system error escapes a destination except ``RetryableError``.
"""

from __future__ import annotations

from crossdock.connectors.base import config_invalid
from crossdock.errors import ErrorCode, RetryableError


class RowProblem(Exception):
    """One row cannot become a change; ``field`` names the column or field path at fault."""

    def __init__(
        self,
        code: ErrorCode,
        field: str | None,
        reason: str,
        *,
        native_id: str | None = None,
    ) -> None:
        super().__init__(reason)
        self.code = code
        self.field = field
        self.reason = reason
        self.native_id = native_id


class FileProblem(RowProblem):
    """The whole file cannot be read (no header, an id column missing, bad encoding)."""


def unmapped_value(column: str, path: str, value: str, known: list[str]) -> RowProblem:
    """A native value with no entry in a strict value map."""
    shown = ", ".join(repr(k) for k in known[:10]) + (", ..." if len(known) > 10 else "")
    return RowProblem(
        ErrorCode.UNMAPPED_VALUE,
        path,
        f"column {column!r} -> {path}: value {value!r} is not in the value map "
        f"(known: {shown or 'none'}); add it under values.{path} or list {path} in passthrough",
    )


def export_failed(where: str, exc: OSError) -> RetryableError:
    """Writing an export file failed (disk full, permissions, a missing mount): retry later."""
    return RetryableError(
        f"cannot write {where}: {exc.strerror or exc}", code=ErrorCode.DESTINATION_UNAVAILABLE
    )


__all__ = ["FileProblem", "RowProblem", "config_invalid", "export_failed", "unmapped_value"]
