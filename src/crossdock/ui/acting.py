"""A console POST that needs a named scope (``admin`` for holds, ``approve`` for customers).

:func:`crossdock.ui.pages.act` lets any key with ``operate`` act; the hold queue
and the customer review queue ask for more, as their API routes do or the
operator policy says: :func:`act_as` is ``act`` naming the scope (a live
session, then the form's CSRF token, then the scope, 403 without it).
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.requests import Request
from starlette.responses import Response

from crossdock.api.keys import Scope
from crossdock.ui.pages import act
from crossdock.ui.session import Session


def may(session: Session, scope: Scope) -> bool:
    """Whether the signed-in key holds ``scope`` (``admin`` implies every scope)."""
    return scope in session.principal.scopes


async def act_as(
    request: Request,
    scope: Scope,
    where: Callable[[dict[str, str]], str],
    action: Callable[[Session, dict[str, str]], str],
) -> Response:
    """Run ``action`` for a key holding ``scope``; then back to ``where`` with its outcome."""
    return await act(request, where, action, scope=scope)


__all__ = ["act_as", "may"]
