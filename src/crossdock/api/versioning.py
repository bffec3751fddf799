"""Deprecation: a route or a request field on its way out says so, in headers and the document.

A deprecated route is marked ``deprecated`` in the OpenAPI document and every
answer it gives carries ``Deprecation`` (RFC 9745: ``@`` and the Unix time it
was deprecated), ``Sunset`` (RFC 8594: the HTTP date it goes away) and a
``Link`` with ``rel="deprecation"`` to what replaces it. A deprecated request
field is marked in the schema, and the headers come with every answer to a
request that used it. Clients and gateways can alert on the headers before a
sunset breaks them.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from email.utils import format_datetime
from typing import Any

from fastapi import Depends
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

STATE_KEY = "crossdock_deprecation"


@dataclass(frozen=True, slots=True)
class Deprecation:
    since: date
    sunset: date
    instead: str
    """What to use instead, in a sentence."""
    link: str = "/v1/docs"

    def headers(self) -> dict[str, str]:
        since = datetime(self.since.year, self.since.month, self.since.day, tzinfo=UTC)
        sunset = datetime(self.sunset.year, self.sunset.month, self.sunset.day, tzinfo=UTC)
        return {
            "Deprecation": f"@{int(since.timestamp())}",
            "Sunset": format_datetime(sunset, usegmt=True),
            "Link": f'<{self.link}>; rel="deprecation"',
        }

    def note(self) -> str:
        return f"Deprecated since {self.since}, removed on {self.sunset}: {self.instead}"


def mark(request: Request, deprecation: Deprecation) -> None:
    """Say that ``request`` used something deprecated: its answer carries the headers."""
    request.scope.setdefault("state", {})[STATE_KEY] = deprecation


def deprecated_route(deprecation: Deprecation) -> dict[str, Any]:
    """Keyword arguments for a route decorator that deprecate the route."""

    async def _mark(request: Request) -> None:
        mark(request, deprecation)

    return {
        "deprecated": True,
        "dependencies": [Depends(_mark)],
        "description": deprecation.note(),
    }


class DeprecationHeaders:
    """ASGI middleware: adds the headers to the answer of a request marked deprecated."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state: MutableMapping[str, Any] = scope.setdefault("state", {})

        async def send_with_headers(message: Message) -> None:
            found = state.get(STATE_KEY)
            if message["type"] == "http.response.start" and isinstance(found, Deprecation):
                extra = [(k.lower().encode(), v.encode()) for k, v in found.headers().items()]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, send_with_headers)


__all__ = ["Deprecation", "DeprecationHeaders", "deprecated_route", "mark"]
