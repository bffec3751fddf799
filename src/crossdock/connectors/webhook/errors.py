"""Translating HTTP and signature failures into Crossdock's error tree.

The rest of the connector never raises a vendor exception: an httpx
transport error, a throttled or failing destination, a bad signature or a
broken body leaves the connector as a :class:`~crossdock.errors.CrossdockError`
that says what the caller must do.

* statuses and transport failures: the connector kit's one classifier
  (:mod:`crossdock.connectors.kit.http`): 429, 408, 425 and 5xx, timeouts and
  broken connections are ``RetryableError`` with ``retry_after``; the destination
  turns any other non-2xx answer into a ``FAILED`` result per delivery, code
  ``REJECTED_BY_DESTINATION``.
* inbound signature problems: ``BadSignature`` (code ``bad_signature``).
* an inbound body that is not a JSON object: ``InvalidInput`` with code
  ``VALIDATION_FAILED``.
"""

from __future__ import annotations

from crossdock.connectors.base import config_invalid
from crossdock.errors import BadSignature, ErrorCode, InvalidInput


def bad_signature(field: str, reason: str) -> InvalidInput:
    """An inbound request whose Standard Webhooks headers do not check out."""
    return BadSignature(f"{field}: {reason}", field=field, reason=reason)


def malformed_body(field: str, reason: str) -> InvalidInput:
    """An inbound body that is not the documented JSON shape as a whole."""
    return InvalidInput(
        f"{field}: {reason}", field=field, reason=reason, code=ErrorCode.VALIDATION_FAILED
    )


__all__ = ["bad_signature", "config_invalid", "malformed_body"]
