"""Routes that check the caller's key before they read the request body.

FastAPI parses a JSON body before it runs a route's dependencies, so without
this a request with no key and a malformed body was answered 400 "Malformed
request body": the parser spoke before the door did. :class:`AuthFirstRoute`
finds the scope the route's own ``require(scope)`` dependency demands and
checks the key (401/403) before anything of the body is parsed; the
dependency then finds the check in the key cache. Every router uses it, and
:class:`~crossdock.api.exactjson.ExactJSONRoute` builds on it.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import Response

from crossdock.api.auth import SCOPE_ATTRIBUTE, request_principal
from crossdock.api.keys import Scope


def required_scope(dependant: Dependant) -> Scope | None:
    """The scope a route's dependencies demand (``None``: the route takes no key)."""
    stack = [dependant]
    while stack:
        node = stack.pop()
        scope = getattr(node.call, SCOPE_ATTRIBUTE, None)
        if isinstance(scope, Scope):
            return scope
        stack.extend(node.dependencies)
    return None


class AuthFirstRoute(APIRoute):
    """An API route that authenticates and authorises before it parses the body."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        scope = required_scope(self.dependant)
        if scope is None:
            return handler

        async def auth_first(request: Request) -> Response:
            await request_principal(request, scope)
            return await handler(request)

        return auth_first


__all__ = ["AuthFirstRoute", "required_scope"]
