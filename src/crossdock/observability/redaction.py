"""Secrets never reach a log line: every record is scrubbed before it is rendered.

Two nets, both applied to every log record whatever its level or origin
(structlog, the standard library, httpx, uvicorn):

- **Shapes of secrets**: the user-info of a URL (``https://user:pass@host``),
  the values of a query string (names are kept, values replaced), the value
  of an ``Authorization`` or ``X-API-Key`` header and of ``password=`` or
  ``secret=`` pairs, a bearer or basic credential, a Standard Webhooks secret
  (``whsec_...``) and a Crossdock API key (``cdk_...``); an IBAN (a
  customer's bank details), compact or in groups of four, when its mod-97
  check holds (so an order number that merely looks like one is kept).
- **The secrets themselves**: every value the hub read from the environment
  for its configuration (``${NAME}`` in the hub file, a connector's
  ``secret_env`` or ``password_env``) is registered with
  :func:`register_secret` and replaced wherever it appears, in any shape of
  text.

A redacted value reads ``***``. Query values are all redacted because a URL's
secret can hide under any parameter name; the names stay, so a reader still
sees which parameters were sent.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Mapping, MutableMapping
from typing import Any

from crossdock.model.customer import iban_valid

MASK = "***"
#: Shorter values are not registered: masking "1" or "yes" everywhere would wreck logs.
MIN_SECRET_LENGTH = 6

_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.\-]*://)[^\s/?#@'\"<>]*@")
_QUERY_VALUE = re.compile(r"([?&;][A-Za-z0-9_.\-\[\]%~+]*=)[^&;#\s'\"<>]+")
_CREDENTIAL = re.compile(r"(?i)\b(bearer|basic|digest|token)(\s+)[A-Za-z0-9._~+/=\-]{6,}")
_PAIR = re.compile(
    r"(?i)\b(authorization|proxy-authorization|x-api-key|api[_-]?key|access[_-]?token|"
    r"password|passwd|pwd|client[_-]?secret|secret)\b"
    r"(\s*[\"']?\s*[:=]\s*[\"']?)"
    r"(?!\*\*\*)(?:(?:bearer|basic|digest|token)\s+)?[^\s\"',;}&]+"
)
_TOKENS = re.compile(r"\b(whsec_|cdk_)[A-Za-z0-9+/=_\-]{6,}")
_IBAN = re.compile(r"\b[A-Z]{2}[0-9]{2}(?:[ ]?[A-Z0-9]){11,30}\b")


def _iban(match: re.Match[str]) -> str:
    return MASK if iban_valid(match.group(0).replace(" ", "")) else match.group(0)


class Redactor:
    """Masks the shapes of secrets, and the literal secrets registered with it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._secrets: frozenset[str] = frozenset()
        self._pattern: re.Pattern[str] | None = None

    def register(self, value: str | None) -> None:
        """Mask ``value`` from now on (values under 6 characters are ignored)."""
        if not value or len(value) < MIN_SECRET_LENGTH:
            return
        with self._lock:
            if value in self._secrets:
                return
            self._secrets = self._secrets | {value}
            # Longest first, so a secret that contains another is masked whole.
            ordered = sorted(self._secrets, key=len, reverse=True)
            self._pattern = re.compile("|".join(re.escape(s) for s in ordered))

    @property
    def secrets(self) -> frozenset[str]:
        return self._secrets

    def redact(self, text: str) -> str:
        """``text`` with every secret this redactor knows of replaced by ``***``."""
        pattern = self._pattern
        if pattern is not None:
            text = pattern.sub(MASK, text)
        if "://" in text:
            text = _USERINFO.sub(rf"\1{MASK}@", text)
        if "=" in text:
            text = _QUERY_VALUE.sub(rf"\1{MASK}", text)
        text = _PAIR.sub(rf"\1\2{MASK}", text)
        text = _CREDENTIAL.sub(rf"\1\2{MASK}", text)
        text = _IBAN.sub(_iban, text)
        return _TOKENS.sub(rf"\1{MASK}", text)


#: The process's redactor: what the hub read from the environment is registered here.
REDACTOR = Redactor()


def register_secret(value: str | None) -> None:
    """Mask ``value`` in every later log line of this process."""
    REDACTOR.register(value)


def redact_text(text: str) -> str:
    """``text`` with every secret the process's redactor knows of replaced by ``***``."""
    return REDACTOR.redact(text)


def redact_value(value: Any) -> Any:
    """A log value with its strings redacted; containers are copied, others kept."""
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, bytes):
        return redact_text(value.decode("utf-8", "replace"))
    if isinstance(value, Mapping):
        return {k: redact_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [redact_value(v) for v in value]
    if isinstance(value, int | float | bool) or value is None:
        return value
    return redact_text(str(value))


def redact_event(
    _logger: Any, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """A structlog processor: every value of the event, rendered exceptions included."""
    for key, value in list(event_dict.items()):
        if key.startswith("_"):
            continue  # structlog's own bookkeeping (the stdlib record, its formatter)
        event_dict[key] = redact_value(value)
    return event_dict


class RedactingFilter(logging.Filter):
    """For handlers outside structlog's chain: the message is formatted, then redacted."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, dict):
            return True  # structlog's event, redacted by redact_event in the formatter
        try:
            message = record.getMessage()
        except Exception:  # a broken format string must not lose the line
            message = str(record.msg)
        record.msg = redact_text(message)
        record.args = None
        return True


__all__ = [
    "MASK",
    "REDACTOR",
    "RedactingFilter",
    "Redactor",
    "redact_event",
    "redact_text",
    "redact_value",
    "register_secret",
]
