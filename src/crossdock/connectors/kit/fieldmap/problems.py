"""What can be wrong with a document or a row as a field map reads it.

A bad row raises :class:`RowProblem` naming the column or field at fault; a
document that cannot be read at all (no header, an id column missing) raises
:class:`FileProblem`. A source turns both into
:class:`~crossdock.connectors.base.SourceError` items and goes on.
"""

from __future__ import annotations

from crossdock.errors import ErrorCode


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


__all__ = ["FileProblem", "RowProblem", "unmapped_value"]
