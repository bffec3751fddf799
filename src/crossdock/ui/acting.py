"""A console POST that needs a named scope (``admin`` for holds, ``approve`` for customers).

:func:`crossdock.ui.pages.act` lets any key with ``operate`` act; the hold queue
and the customer review queue ask for more, as their API routes do or the
operator policy says. :func:`act_as` checks in the same order as ``act``:
a live session, then the form's CSRF token (so a forged request learns nothing
about the key), then the scope (403 without it), then runs the action in the
worker pool and redirects back with its outcome.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from crossdock.api.keys import Scope
from crossdock.errors import CrossdockError
from crossdock.ui.pages import application_of, back
from crossdock.ui.session import NotSignedIn, Refused, Session, check_post, session_of


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
    try:
        session = await run_in_threadpool(session_of, request, application_of(request))
    except NotSignedIn:
        return HTMLResponse("Not signed in.", status_code=401)
    try:
        fields = await check_post(request, session, act=False)
    except Refused as refused:
        return HTMLResponse(refused.reason, status_code=refused.status)
    if not may(session, scope):
        return HTMLResponse(f"This key may not do this (it needs the {scope} scope).", 403)
    try:
        done = ("ok", await run_in_threadpool(action, session, fields))
    except CrossdockError as exc:
        done = ("error", str(exc))
    return back(request, where(fields), done)


__all__ = ["act_as", "may"]
