"""Translating Tryton's errors into Crossdock's error tree, keeping Tryton's message.

A JSON-RPC answer ``{"error": [name, args]}`` and HTTP failures leave the
client as a :class:`~crossdock.errors.CrossdockError` that says what to do:

* ``ConcurrencyException`` (a record changed under us), a locked database,
  429, 5xx, timeouts and refused connections: ``RetryableError``.
* ``UserError`` that is an access error ("not allowed"): ``PermanentError``
  (code ``forbidden``): give the Crossdock user the access right.
* any other ``UserError`` (a required field missing, a domain or a digits
  validation failing): ``InvalidInput`` (code ``validation_failed``) with
  Tryton's message and description; the record is parked, the data needs fixing.
* ``UserWarning`` (e.g. a sale over the customer's credit limit): ``PermanentError``;
  a person decides in Tryton.
* ``LoginException`` or a refused login: ``PermanentError`` (code ``unauthorized``).
* HTTP statuses and transport failures: the connector kit's one classifier
  (:mod:`crossdock.connectors.kit.http`), with :data:`HTTP_HINTS` for what to
  check in Tryton.
* a server-side exception Tryton did not classify: ``RetryableError`` with its
  message (retries exhausted park the record, with the message, for a person).
"""

from __future__ import annotations

from typing import Any

from crossdock.connectors.base import config_invalid
from crossdock.errors import (
    CrossdockError,
    ErrorCode,
    InvalidInput,
    PermanentError,
    RetryableError,
)

_TRANSIENT_TEXT = ("database is locked", "could not serialize", "deadlock", "timeout")


class TrytonUserError(InvalidInput):
    """A Tryton ``UserError``: the data breaks one of Tryton's rules."""

    def __init__(self, method: str, message: str, description: str) -> None:
        text = message + (f" ({description})" if description else "")
        super().__init__(
            f"Tryton refused {method}: {text}",
            field=None,
            reason=text,
            code=ErrorCode.VALIDATION_FAILED,
        )
        self.tryton_message = message
        self.description = description


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def from_rpc_error(method: str, error: Any) -> CrossdockError:
    """The Crossdock error for one JSON-RPC ``error`` member."""
    if not isinstance(error, list | tuple) or not error:
        return RetryableError(f"Tryton {method} failed: {error!r}", code=ErrorCode.TRANSIENT)
    name = error[0]
    args = error[1] if len(error) > 1 else None
    if name == "ConcurrencyException":
        return RetryableError(
            f"Tryton {method}: concurrent change: {_text(args)}", code=ErrorCode.CONFLICT
        )
    if name == "UserError" and isinstance(args, list | tuple):
        message, description = _text(args[0]), _text(args[1] if len(args) > 1 else "")
        if "not allowed" in message.lower() or "access" in message.lower():
            return PermanentError(
                f"Tryton denied {method}: {message} {description}".rstrip()
                + " (grant the Crossdock user access to this model in Tryton)",
                code=ErrorCode.FORBIDDEN,
            )
        return TrytonUserError(method, message, description)
    if name == "UserWarning" and isinstance(args, list | tuple):
        message = _text(args[1] if len(args) > 1 else "")
        description = _text(args[2] if len(args) > 2 else "")
        return PermanentError(
            f"Tryton warned on {method}: {message} {description}".rstrip()
            + " (a person must decide in Tryton)",
            code=ErrorCode.REJECTED_BY_DESTINATION,
        )
    if name == "LoginException":
        return PermanentError(
            f"Tryton asks for a login parameter on {method}: {args!r}",
            code=ErrorCode.UNAUTHORIZED,
        )
    text = name if isinstance(name, str) else repr(name)
    if any(s in text.lower() for s in _TRANSIENT_TEXT):
        return RetryableError(f"Tryton {method}: {text}", code=ErrorCode.TRANSIENT)
    return RetryableError(f"Tryton {method} failed on the server: {text}", code=ErrorCode.TRANSIENT)


#: What to check in Tryton when its server answers these statuses.
HTTP_HINTS = {
    401: "check the user, password and database, and that the method is callable over RPC",
    403: "check the user, password and database, and that the method is callable over RPC",
    404: "no such database or method",
}


__all__ = ["HTTP_HINTS", "TrytonUserError", "config_invalid", "from_rpc_error"]
