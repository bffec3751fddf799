"""Translating HTTP and signature failures into Crossdock's error tree.

The rest of the connector never raises a vendor exception: an httpx
transport error, a throttled or failing destination, a bad signature or a
broken body leaves the connector as a :class:`~crossdock.errors.CrossdockError`
that says what the caller must do.

* 429, 408, 5xx, timeouts, refused or reset connections: ``RetryableError``
  (with ``retry_after`` from a ``Retry-After`` header, seconds or HTTP date).
* other non-2xx answers: a ``FAILED`` result per delivery (built by the
  destination), code ``REJECTED_BY_DESTINATION``.
* inbound signature problems: ``InvalidInput`` with code ``BAD_SIGNATURE``.
* an inbound body that is not a JSON object: ``InvalidInput`` with code
  ``VALIDATION_FAILED``.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx

from crossdock.connectors.base import config_invalid
from crossdock.errors import ErrorCode, InvalidInput, RetryableError

#: Statuses that mean "try again later" rather than "this request is wrong".
RETRYABLE_STATUSES = frozenset({408, 429})


def is_retryable_status(status: int) -> bool:
    """Whether an HTTP status asks the sender to come back later."""
    return status in RETRYABLE_STATUSES or 500 <= status <= 599


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from ``Retry-After`` (delta-seconds or HTTP date); ``None`` if unreadable."""
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return max(0.0, seconds) if math.isfinite(seconds) else None
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    current = now or datetime.now(UTC)
    return max(0.0, (when - current).total_seconds())


def from_transport(exc: httpx.RequestError, where: str) -> RetryableError:
    """A timeout, refused or reset connection: the whole batch may be retried."""
    if isinstance(exc, httpx.TimeoutException):
        kind = type(exc).__name__
        return RetryableError(
            f"{where} did not answer in time ({kind}): {exc}", code=ErrorCode.TRANSIENT
        )
    return RetryableError(
        f"{where} is unreachable ({type(exc).__name__}): {exc}",
        code=ErrorCode.DESTINATION_UNAVAILABLE,
    )


def from_status(
    status: int, reason: str, text: str, retry_after: float | None, where: str
) -> RetryableError:
    """A 429, 408 or 5xx answer: back off and retry the whole batch."""
    code = ErrorCode.RATE_LIMITED if status == 429 else ErrorCode.DESTINATION_UNAVAILABLE
    detail = f": {text[:200]}" if text.strip() else ""
    return RetryableError(
        f"{where} answered {status} {reason}{detail}".rstrip(),
        retry_after=retry_after,
        code=code,
    )


def bad_signature(field: str, reason: str) -> InvalidInput:
    """An inbound request whose Standard Webhooks headers do not check out."""
    return InvalidInput(
        f"{field}: {reason}", field=field, reason=reason, code=ErrorCode.BAD_SIGNATURE
    )


def malformed_body(field: str, reason: str) -> InvalidInput:
    """An inbound body that is not the documented JSON shape as a whole."""
    return InvalidInput(
        f"{field}: {reason}", field=field, reason=reason, code=ErrorCode.VALIDATION_FAILED
    )


__all__ = [
    "RETRYABLE_STATUSES",
    "bad_signature",
    "config_invalid",
    "from_status",
    "from_transport",
    "is_retryable_status",
    "malformed_body",
    "parse_retry_after",
]
