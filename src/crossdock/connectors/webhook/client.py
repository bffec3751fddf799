"""The HTTP client for outbound webhook POSTs: the kit's client, one per connector.

It sends bytes and returns what came back (status, headers, at most
:data:`~crossdock.connectors.kit.http.MAX_ANSWER_BYTES` of the body); a timeout
or a refused, reset or broken connection leaves it as ``RetryableError``. What a
status means for the deliveries is the destination's business. Redirects are not
followed: a POST must not silently turn into something else.
"""

from __future__ import annotations

from collections.abc import Mapping

import httpx

from crossdock import __version__
from crossdock.connectors.kit.http import MAX_ANSWER_BYTES, Answer, HttpClient, redact

USER_AGENT = f"crossdock-webhook/{__version__}"


class WebhookClient(HttpClient):
    """POSTs to one URL over a pooled, keep-alive connection; close it when done."""

    def __init__(
        self,
        url: str,
        *,
        timeout_seconds: float,
        headers: Mapping[str, str] | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        super().__init__(
            url,
            timeout_seconds=timeout_seconds,
            headers=headers,
            user_agent=USER_AGENT,
            transport=transport,
        )

    def post(self, body: bytes, headers: Mapping[str, str]) -> Answer:
        """POST ``body``; raise ``RetryableError`` when no HTTP answer arrived."""
        return self.send("POST", content=body, headers=headers)


__all__ = ["MAX_ANSWER_BYTES", "USER_AGENT", "Answer", "WebhookClient", "redact"]
