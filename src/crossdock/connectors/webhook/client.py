"""The HTTP client for outbound webhook POSTs: one keep-alive ``httpx.Client`` per connector.

It sends bytes and returns what came back (status, headers, at most
``MAX_ANSWER_BYTES`` of the body); a timeout or a refused, reset or broken
connection leaves it as ``RetryableError``. What a status means for the
deliveries is the destination's business. Redirects are not followed: a POST
must not silently turn into something else.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import httpx

from crossdock import __version__
from crossdock.connectors.webhook.errors import from_transport

#: How much of an answer body is read; the rest is discarded.
MAX_ANSWER_BYTES = 1 << 20
USER_AGENT = f"crossdock-webhook/{__version__}"


@dataclass(frozen=True, slots=True)
class Answer:
    """One HTTP answer, as far as the connector needs it."""

    status: int
    reason: str
    body: bytes = b""
    headers: Mapping[str, str] = field(default_factory=dict)
    truncated: bool = False

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")


def redact(url: str) -> str:
    """The URL without user info, query or fragment, fit for error messages and logs."""
    u = httpx.URL(url)
    port = f":{u.port}" if u.port is not None else ""
    return f"{u.scheme}://{u.host}{port}{u.path}"


class WebhookClient:
    """POSTs to one URL over a pooled, keep-alive connection; close it when done."""

    def __init__(
        self,
        url: str,
        *,
        timeout_seconds: float,
        headers: Mapping[str, str] | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.url = url
        self.where = redact(url)
        self._http = httpx.Client(
            timeout=httpx.Timeout(timeout_seconds),
            headers={"User-Agent": USER_AGENT, **(headers or {})},
            follow_redirects=False,
            transport=transport,
        )

    def post(self, body: bytes, headers: Mapping[str, str]) -> Answer:
        """POST ``body``; raise ``RetryableError`` when no HTTP answer arrived."""
        try:
            with self._http.stream("POST", self.url, content=body, headers=dict(headers)) as r:
                chunks: list[bytes] = []
                size = 0
                truncated = False
                for chunk in r.iter_bytes():
                    chunks.append(chunk)
                    size += len(chunk)
                    if size > MAX_ANSWER_BYTES:
                        truncated = True
                        break
                return Answer(
                    status=r.status_code,
                    reason=r.reason_phrase,
                    body=b"".join(chunks)[:MAX_ANSWER_BYTES],
                    headers={k.lower(): v for k, v in r.headers.items()},
                    truncated=truncated,
                )
        except httpx.RequestError as exc:
            raise from_transport(exc, self.where) from exc

    def close(self) -> None:
        self._http.close()

    @property
    def closed(self) -> bool:
        return self._http.is_closed


__all__ = ["MAX_ANSWER_BYTES", "USER_AGENT", "Answer", "WebhookClient", "redact"]
