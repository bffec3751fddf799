"""The error tree: every Crossdock error says what the caller must do.

``RetryableError``: back off (honour ``retry_after``) and try again.
``PermanentError``: park the record; a person must act.
``InvalidInput``: reject the input, naming the field and the reason.
``ConflictError``: ownership or version conflict.
``NotFound``: the thing asked for does not exist.

Each error class carries its stable ``code`` (an :class:`ErrorCode`) and the
HTTP status the API answers it with (``http_status``); ``api/`` reads them, it
never decides by code. A refusal with its own status has its own class:
:class:`BadSignature` (401), :class:`ConfigInvalid` (the hub's own
configuration is wrong: 500).
"""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar


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
    OVER_SHIPPED = "over_shipped"
    ORDER_UNKNOWN = "order_unknown"


class CrossdockError(Exception):
    """Root of every error Crossdock raises on purpose."""

    code: ErrorCode = ErrorCode.INTERNAL
    http_status: ClassVar[int] = 500

    def __init__(self, message: str, *, code: ErrorCode | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code


class RetryableError(CrossdockError):
    """A transient failure: try again later, after ``retry_after`` seconds if given."""

    code = ErrorCode.TRANSIENT
    http_status = 503

    def __init__(
        self, message: str, *, retry_after: float | None = None, code: ErrorCode | None = None
    ) -> None:
        super().__init__(message, code=code)
        self.retry_after = retry_after


class PermanentError(CrossdockError):
    """A failure retrying cannot fix: park the record, a person must act."""

    code = ErrorCode.PERMANENT
    http_status = 422


class InvalidInput(CrossdockError):
    """Input that breaks a rule; names the field (a dotted path) and the reason."""

    code = ErrorCode.INVALID_INPUT
    http_status = 422

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


class BadSignature(InvalidInput):
    """An inbound request whose signature does not check out: the sender is not proven."""

    code = ErrorCode.BAD_SIGNATURE
    http_status = 401

    def __init__(self, message: str, *, field: str | None = None, reason: str | None = None):
        super().__init__(message, field=field, reason=reason, code=ErrorCode.BAD_SIGNATURE)


class ConfigInvalid(InvalidInput):
    """The hub's own configuration is wrong (a setting, a connector kind, the store URL)."""

    code = ErrorCode.CONFIG_INVALID
    http_status = 500

    def __init__(self, message: str, *, field: str | None = None, reason: str | None = None):
        super().__init__(message, field=field, reason=reason, code=ErrorCode.CONFIG_INVALID)


class ConflictError(CrossdockError):
    """An ownership or version conflict."""

    code = ErrorCode.CONFLICT
    http_status = 409


class NotFound(CrossdockError):
    """The record, route or key asked for does not exist."""

    code = ErrorCode.NOT_FOUND
    http_status = 404


class MissingDependency(CrossdockError):
    """An optional backend was asked for but its extra is not installed."""

    code = ErrorCode.MISSING_DEPENDENCY

    def __init__(self, what: str, extra: str) -> None:
        super().__init__(f"{what} needs the '{extra}' extra: pip install 'crossdock[{extra}]'")
        self.extra = extra


__all__ = [
    "BadSignature",
    "ConfigInvalid",
    "ConflictError",
    "CrossdockError",
    "ErrorCode",
    "InvalidInput",
    "MissingDependency",
    "NotFound",
    "PermanentError",
    "RetryableError",
]
