"""What can be wrong with a dropped file, a row of it, or a setting, in Crossdock's terms.

Inside the connector a bad row raises :class:`RowProblem` and a file that
cannot be read at all raises :class:`FileProblem`; the source turns both into
:class:`~crossdock.connectors.base.SourceError` items (business exceptions a
person can act on) and carries on with the next row or file. Nothing of a
file system error escapes a destination except ``RetryableError``.
"""

from __future__ import annotations

from crossdock.connectors.base import config_invalid
from crossdock.connectors.kit.fieldmap.problems import FileProblem, RowProblem, unmapped_value
from crossdock.errors import ErrorCode, RetryableError


def export_failed(where: str, exc: OSError) -> RetryableError:
    """Writing an export file failed (disk full, permissions, a missing mount): retry later."""
    return RetryableError(
        f"cannot write {where}: {exc.strerror or exc}", code=ErrorCode.DESTINATION_UNAVAILABLE
    )


__all__ = ["FileProblem", "RowProblem", "config_invalid", "export_failed", "unmapped_value"]
