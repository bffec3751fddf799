"""Translating Medusa's answers into Crossdock's error tree, keeping Medusa's message.

Medusa v2 answers a refused request with ``{"type": …, "message": …}``:

* 400 (``invalid_data``, ``not_allowed``, a duplicate handle or SKU):
  :class:`MedusaValidationError` (``InvalidInput``, code ``validation_failed``)
  with Medusa's message; the record is parked, the data needs fixing.
* 401: ``RetryableError`` code ``unauthorized``. Every record would fail the
  same way, so the route's circuit opens (nothing is parked) and the route's
  status says the key was refused; once the key is fixed delivery carries on.
* 429, 5xx, timeouts and refused connections: the connector kit's one
  classifier (:mod:`crossdock.connectors.kit.http`): ``RetryableError``.
* any other status: the kit's ``PermanentError`` with Medusa's message.
"""

from __future__ import annotations

import json

from crossdock.connectors.kit.http import Answer, status_error
from crossdock.errors import CrossdockError, ErrorCode, InvalidInput, RetryableError


class MedusaValidationError(InvalidInput):
    """Medusa refused the data (a 400): park the record with Medusa's message."""

    def __init__(self, action: str, message: str) -> None:
        super().__init__(
            f"Medusa refused {action}: {message}",
            field=None,
            reason=message,
            code=ErrorCode.VALIDATION_FAILED,
        )
        self.medusa_message = message


class Waiting(Exception):
    """The delivery may succeed later without anyone acting (what it needs is on the way)."""


def medusa_message(answer: Answer) -> str:
    """Medusa's ``message`` member, else the start of the body."""
    try:
        body = json.loads(answer.body)
    except ValueError:
        body = None
    if isinstance(body, dict) and isinstance(body.get("message"), str):
        return str(body["message"])
    return answer.text.strip()[:200] or f"HTTP {answer.status}"


def from_answer(answer: Answer, where: str, action: str, key_env: str) -> CrossdockError:
    """The Crossdock error for a non-2xx answer from Medusa."""
    if answer.status == 400:
        return MedusaValidationError(action, medusa_message(answer))
    if answer.status == 401:
        return RetryableError(
            f"{where} refused the secret API key (401) to {action}: the key in "
            f"${key_env} is wrong, revoked or not a secret key (sk_…); fix it and delivery resumes",
            code=ErrorCode.UNAUTHORIZED,
        )
    return status_error(answer, where, action=action)


__all__ = ["MedusaValidationError", "Waiting", "from_answer", "medusa_message"]
