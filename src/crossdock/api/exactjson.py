"""Exact JSON request bodies: numbers with a fraction or exponent arrive as their decimal text.

The canonical model holds money and quantities as ``Decimal`` and refuses
floats (``0.1`` as a float is not the price anybody agreed to), while JSON
has one number type. Routes built with :class:`ExactJSONRoute` parse their
bodies with ``parse_float=str``, so ``12.50`` reaches the model as
``"12.50"``, exactly as the webhook connector maps inbound bodies.
``NaN`` and ``Infinity`` (which Python's parser would otherwise accept) and
anything else the parser refuses become a JSON decode error: a 400 problem.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine
from typing import Any, NoReturn

from starlette.requests import Request
from starlette.responses import Response

from crossdock.api.routing import AuthFirstRoute


def _no_constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not valid JSON")


def loads_exact(body: bytes) -> Any:
    """Parse JSON keeping fractional numbers as text; every failure is a ``JSONDecodeError``."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise json.JSONDecodeError(f"not UTF-8 text ({exc.reason})", "", exc.start) from None
    try:
        return json.loads(text, parse_float=str, parse_constant=_no_constant)
    except json.JSONDecodeError:
        raise
    except (ValueError, RecursionError) as exc:
        reason = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)
        raise json.JSONDecodeError(reason, text, 0) from None


class ExactJSONRequest(Request):
    """A request whose ``json()`` is :func:`loads_exact`."""

    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            self._json = loads_exact(await self.body())
        return self._json


class ExactJSONRoute(AuthFirstRoute):
    """An API route whose JSON body is parsed by :class:`ExactJSONRequest` (after the key check)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def exact_handler(request: Request) -> Response:
            return await handler(ExactJSONRequest(request.scope, request.receive))

        return exact_handler


__all__ = ["ExactJSONRequest", "ExactJSONRoute", "loads_exact"]
