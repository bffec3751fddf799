"""HTTP for connectors: one keep-alive client and one way of reading what an answer means.

Every HTTP connector (webhook, Tryton, and the ones after them) sends through
:class:`HttpClient` and turns a failed exchange into the hub's error tree with
:func:`status_error` and :func:`transport_error`, so "is this worth retrying?"
has one answer in the code base:

* no answer (timeout, refused, reset, broken TLS): ``RetryableError``
  (``transient`` for a timeout, ``destination_unavailable`` otherwise);
* 429: ``RetryableError`` code ``rate_limited`` (back-pressure, not a failure of
  the record), ``retry_after`` from ``Retry-After``;
* 408, 425 and every 5xx (the statuses in :attr:`StatusPolicy.retryable`):
  ``RetryableError`` code ``destination_unavailable``, with ``retry_after``;
* 401: ``PermanentError`` code ``unauthorized`` (the credentials are wrong);
  403: code ``forbidden``; 404: code ``not_found``;
* any other status: ``PermanentError`` code ``rejected_by_destination``.

The retryable statuses are data on a :class:`StatusPolicy`, so a connector
whose peer speaks differently changes the data, not the code. Messages name
the peer by :func:`redact`-ed URL: no user-info, query or fragment.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx

from crossdock.errors import CrossdockError, ErrorCode, PermanentError, RetryableError

#: How much of an answer body is read; the rest is discarded.
MAX_ANSWER_BYTES = 1 << 20
#: How much of an answer body an error message quotes.
QUOTED_CHARS = 200


@dataclass(frozen=True, slots=True)
class StatusPolicy:
    """Which HTTP statuses ask the sender to come back later."""

    retryable: frozenset[int] = frozenset({408, 425, 429})
    server_errors_retryable: bool = True

    def is_retryable(self, status: int) -> bool:
        if status in self.retryable:
            return True
        return self.server_errors_retryable and 500 <= status <= 599


DEFAULT_POLICY = StatusPolicy()


@dataclass(frozen=True, slots=True)
class Answer:
    """One HTTP answer, as far as a connector needs it."""

    status: int
    reason: str
    body: bytes = b""
    headers: Mapping[str, str] = field(default_factory=dict)
    truncated: bool = False

    @property
    def ok(self) -> bool:
        return 200 <= self.status <= 299

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    @property
    def retry_after(self) -> float | None:
        return parse_retry_after(self.headers.get("retry-after"))


def redact(url: str) -> str:
    """The URL without user info, query or fragment, fit for error messages and logs."""
    u = httpx.URL(url)
    port = f":{u.port}" if u.port is not None else ""
    return f"{u.scheme}://{u.host}{port}{u.path}"


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


def _doing(action: str | None) -> str:
    return f" to {action}" if action else ""


def status_error(
    answer: Answer,
    where: str,
    *,
    action: str | None = None,
    policy: StatusPolicy = DEFAULT_POLICY,
    hints: Mapping[int, str] | None = None,
) -> CrossdockError:
    """The hub's error for a non-2xx answer (see the module docstring for the table).

    ``hints`` adds a connector's advice for a status (what to check in that system).
    """
    status = answer.status
    detail = answer.text.strip()[:QUOTED_CHARS]
    said = f"{where} answered {status} {answer.reason}".rstrip() + _doing(action)
    said += f": {detail}" if detail else ""
    hint = (hints or {}).get(status)
    if hint:
        said += f" ({hint})"
    if status == 429:
        return RetryableError(said, retry_after=answer.retry_after, code=ErrorCode.RATE_LIMITED)
    if policy.is_retryable(status):
        return RetryableError(
            said, retry_after=answer.retry_after, code=ErrorCode.DESTINATION_UNAVAILABLE
        )
    if status == 401:
        advice = "" if hint else " (the credentials were refused: check the key or password)"
        return PermanentError(said + advice, code=ErrorCode.UNAUTHORIZED)
    if status == 403:
        return PermanentError(said + ("" if hint else " (access denied)"), code=ErrorCode.FORBIDDEN)
    if status == 404:
        return PermanentError(said, code=ErrorCode.NOT_FOUND)
    return PermanentError(said, code=ErrorCode.REJECTED_BY_DESTINATION)


def transport_error(
    exc: httpx.RequestError, where: str, *, action: str | None = None
) -> RetryableError:
    """A timeout, refused or reset connection: nothing was answered, try again."""
    kind = type(exc).__name__
    if isinstance(exc, httpx.TimeoutException):
        return RetryableError(
            f"{where} did not answer{_doing(action)} in time ({kind})", code=ErrorCode.TRANSIENT
        )
    return RetryableError(
        f"{where} is unreachable ({kind}): {exc}", code=ErrorCode.DESTINATION_UNAVAILABLE
    )


class HttpClient:
    """A pooled keep-alive client for one peer; never follows redirects; close it when done.

    :meth:`send` returns the :class:`Answer` whatever its status (what a status
    means is the caller's business, usually :func:`status_error`) and raises
    :func:`transport_error`'s ``RetryableError`` when no answer came.
    """

    def __init__(
        self,
        base_url: str,
        *,
        timeout_seconds: float,
        headers: Mapping[str, str] | None = None,
        user_agent: str,
        transport: httpx.BaseTransport | None = None,
        max_answer_bytes: int = MAX_ANSWER_BYTES,
    ) -> None:
        self.url = base_url
        self.where = redact(base_url)
        self.max_answer_bytes = max_answer_bytes
        self._http = httpx.Client(
            timeout=httpx.Timeout(timeout_seconds),
            headers={"User-Agent": user_agent, **(headers or {})},
            follow_redirects=False,
            transport=transport,
        )

    def send(
        self,
        method: str,
        url: str | None = None,
        *,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        action: str | None = None,
    ) -> Answer:
        """One exchange with ``url`` (default: the base URL); the body is read up to the cap."""
        target = self.url if url is None else url
        try:
            with self._http.stream(
                method, target, content=content, headers=dict(headers or {})
            ) as r:
                chunks: list[bytes] = []
                size = 0
                truncated = False
                for chunk in r.iter_bytes():
                    chunks.append(chunk)
                    size += len(chunk)
                    if size > self.max_answer_bytes:
                        truncated = True
                        break
                return Answer(
                    status=r.status_code,
                    reason=r.reason_phrase,
                    body=b"".join(chunks)[: self.max_answer_bytes],
                    headers={k.lower(): v for k, v in r.headers.items()},
                    truncated=truncated,
                )
        except httpx.RequestError as exc:
            raise transport_error(exc, self.where, action=action) from exc

    def close(self) -> None:
        self._http.close()

    @property
    def closed(self) -> bool:
        return self._http.is_closed


__all__ = [
    "DEFAULT_POLICY",
    "MAX_ANSWER_BYTES",
    "Answer",
    "HttpClient",
    "StatusPolicy",
    "parse_retry_after",
    "redact",
    "status_error",
    "transport_error",
]
