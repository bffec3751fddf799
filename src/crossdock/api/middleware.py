"""ASGI middleware: request body limits and the last line of defence against a 500 leak.

:class:`BodyLimit` reads a request body completely before the app sees it
and answers 413 (as a problem) past the limit, so no handler ever streams an
unbounded body. :class:`CatchAll` turns any exception that escaped every
handler into a generic 500 problem (the traceback goes to the log), without
Starlette's server-error middleware re-raising it into the server.
"""

from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from crossdock.api.handlers import problem_for
from crossdock.api.problems import ApiError
from crossdock.errors import ErrorCode

log = logging.getLogger(__name__)

MiB = 1024 * 1024


class CatchAll:
    """Answer any unhandled exception with a problem document, if nothing was sent yet."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as exc:
            if started:
                log.error("response already started when the app failed", exc_info=exc)
                raise
            request = Request(scope)
            response = problem_for(request, exc).response(request.url.path)
            await response(scope, receive, send)


class BodyLimit:
    """Buffer each request body up to a limit (a tighter one below given path prefixes)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_bytes: int = 16 * MiB,
        prefix_limits: dict[str, int] | None = None,
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.prefix_limits = prefix_limits or {}

    def limit_for(self, path: str) -> int:
        for prefix, limit in self.prefix_limits.items():
            if path.startswith(prefix):
                return limit
        return self.max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = str(scope.get("path", ""))
        limit = self.limit_for(path)
        problem = self._check_length(scope, limit)
        body = b""
        if problem is None:
            chunks: list[bytes] = []
            size = 0
            more = True
            while more:
                message = await receive()
                if message["type"] == "http.disconnect":
                    return
                chunk = message.get("body", b"")
                size += len(chunk)
                if size > limit:
                    problem = _too_large(limit)
                    break
                chunks.append(chunk)
                more = bool(message.get("more_body", False))
            body = b"".join(chunks)
        if problem is not None:
            await problem.response(path)(scope, receive, send)
            return

        await self.app(scope, replaying(body, receive), send)

    @staticmethod
    def _check_length(scope: Scope, limit: int) -> ApiError | None:
        for name, value in scope.get("headers", []):
            if name.lower() == b"content-length":
                try:
                    length = int(value)
                except ValueError:
                    return ApiError(
                        400,
                        ErrorCode.INVALID_INPUT,
                        "Content-Length is not a number.",
                        title="Malformed request",
                    )
                if length > limit:
                    return _too_large(limit)
        return None


def _too_large(limit: int) -> ApiError:
    return ApiError(
        413,
        ErrorCode.INVALID_INPUT,
        f"The request body is larger than this endpoint accepts ({limit} bytes).",
        title="Content too large",
    )


def replaying(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that hands ``body`` (already read) over once, then waits on the real one."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


__all__ = ["BodyLimit", "CatchAll", "MiB", "replaying"]
