"""The error tree: every Crossdock error says what the caller must do.

``RetryableError``: back off (honour ``retry_after``) and try again.
``PermanentError``: park the record; a person must act.
``InvalidInput``: reject the input, naming the field and the reason.
``ConflictError``: ownership or version conflict.
``NotFound``: the thing asked for does not exist.

Each error carries a stable ``code`` (an :class:`ErrorCode`). Only ``api/``
turns them into HTTP statuses.
"""

from __future__ import annotations

from enum import StrEnum


class ErrorCode(StrEnum):
    """Stable machine-readable codes; never renamed once shipped."""

    INTERNAL = "internal"
    TRANSIENT = "transient"
    RATE_LIMITED = "rate_limited"
    DESTINATION_UNAVAILABLE = "destination_unavailable"
    PERMANENT = "permanent"
    MAPPING_FAILED = "mapping_failed"
    REJECTED_BY_DESTINATION = "rejected_by_destination"
    INVALID_INPUT = "invalid_input"
    VALIDATION_FAILED = "validation_failed"
    UNKNOWN_UNIT = "unknown_unit"
    UNMAPPED_VALUE = "unmapped_value"
    MALFORMED_ROW = "malformed_row"
    BAD_SIGNATURE = "bad_signature"
    CONFIG_INVALID = "config_invalid"
    CONFLICT = "conflict"
    OWNERSHIP_CONFLICT = "ownership_conflict"
    WAITING_FOR_RECORD = "waiting_for_record"
    VERSION_CONFLICT = "version_conflict"
    NOT_FOUND = "not_found"
    INSUFFICIENT_STOCK = "insufficient_stock"
    RESERVATION_EXPIRED = "reservation_expired"
    UNAUTHORIZED = "unauthorized"
    FORBIDDEN = "forbidden"
    MISSING_DEPENDENCY = "missing_dependency"
    FILE_REFUSED = "file_refused"
    DOCUMENT_REFUSED = "document_refused"
    ILLEGAL_TRANSITION = "illegal_transition"


class CrossdockError(Exception):
    """Root of every error Crossdock raises on purpose."""

    code: ErrorCode = ErrorCode.INTERNAL

    def __init__(self, message: str, *, code: ErrorCode | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code


class RetryableError(CrossdockError):
    """A transient failure: try again later, after ``retry_after`` seconds if given."""

    code = ErrorCode.TRANSIENT

    def __init__(
        self, message: str, *, retry_after: float | None = None, code: ErrorCode | None = None
    ) -> None:
        super().__init__(message, code=code)
        self.retry_after = retry_after


class PermanentError(CrossdockError):
    """A failure retrying cannot fix: park the record, a person must act."""

    code = ErrorCode.PERMANENT


class InvalidInput(CrossdockError):
    """Input that breaks a rule; names the field (a dotted path) and the reason."""

    code = ErrorCode.INVALID_INPUT

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        reason: str | None = None,
        code: ErrorCode | None = None,
    ) -> None:
        super().__init__(message, code=code)
        self.field = field
        self.reason = reason or message


class ConflictError(CrossdockError):
    """An ownership or version conflict."""

    code = ErrorCode.CONFLICT


class NotFound(CrossdockError):
    """The record, route or key asked for does not exist."""

    code = ErrorCode.NOT_FOUND


class MissingDependency(CrossdockError):
    """An optional backend was asked for but its extra is not installed."""

    code = ErrorCode.MISSING_DEPENDENCY

    def __init__(self, what: str, extra: str) -> None:
        super().__init__(f"{what} needs the '{extra}' extra: pip install 'crossdock[{extra}]'")
        self.extra = extra


__all__ = [
    "ConflictError",
    "CrossdockError",
    "ErrorCode",
    "InvalidInput",
    "MissingDependency",
    "NotFound",
    "PermanentError",
    "RetryableError",
]
