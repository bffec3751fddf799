"""One delivery's answer from the error that stopped it: what a destination's push loop reports.

A destination that pushes record by record catches the hub's errors per
delivery and answers with :func:`waiting_result` (what it needs is on its way),
:func:`retry_result` (a ``RetryableError``: try this
one again) or :func:`failed_result` (anything else: park it with the message;
a ``PermanentError`` or ``InvalidInput`` keeps its code, any other error is
``permanent``).
"""

from __future__ import annotations

from crossdock.connectors.base import DeliveryResult, DeliveryStatus
from crossdock.errors import CrossdockError, ErrorCode, InvalidInput, PermanentError, RetryableError


def retry_result(delivery_id: str, exc: RetryableError) -> DeliveryResult:
    """Try this delivery again (after ``retry_after`` if the error gave one)."""
    return DeliveryResult(
        delivery_id,
        DeliveryStatus.RETRY,
        error=exc.message,
        code=exc.code,
        retry_after=exc.retry_after,
    )


def waiting_result(delivery_id: str, reason: str) -> DeliveryResult:
    """Try again later: something this delivery needs is on its way (no one has to act)."""
    return DeliveryResult(delivery_id, DeliveryStatus.RETRY, error=reason, code=ErrorCode.TRANSIENT)


def failed_result(delivery_id: str, exc: CrossdockError) -> DeliveryResult:
    """Park this delivery with the error's message."""
    code = exc.code if isinstance(exc, PermanentError | InvalidInput) else ErrorCode.PERMANENT
    return DeliveryResult(delivery_id, DeliveryStatus.FAILED, error=exc.message, code=code)


__all__ = ["failed_result", "retry_result", "waiting_result"]
