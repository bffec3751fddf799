"""The console's plumbing: templates, the signed-in session of a page, flash messages, answers.

Every page goes through :func:`page`: no live session sends the browser to
the sign-in form; every POST goes through :func:`act`, which checks the CSRF
token and the key's scope, runs the action, and redirects back with a
message (post/redirect/get, so a reload does not repeat the action). A
:class:`~crossdock.errors.CrossdockError` the action raises (not found, not
open, invalid input) becomes that message, never an error page.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from html import escape
from importlib.resources import files
from typing import Annotated, Any, cast
from urllib.parse import urlencode

from fastapi import Path
from fastapi.templating import Jinja2Templates
from itsdangerous import BadSignature, URLSafeSerializer
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from crossdock import __version__
from crossdock.api.keys import Scope
from crossdock.app import Application
from crossdock.errors import CrossdockError
from crossdock.ui.session import (
    NotSignedIn,
    Refused,
    Session,
    check_post,
    control_in,
    session_of,
)

PREFIX = "/console"
SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    # everything the pages load is the app's own; no page may be framed (clickjacking)
    "Content-Security-Policy": (
        "default-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
    ),
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
}
templates = Jinja2Templates(directory=str(files("crossdock.ui") / "templates"))


def _ago(value: datetime | None, now: datetime | None = None) -> str:
    """'3 min ago' style, for the tables (the exact time is in the title attribute)."""
    if value is None:
        return "never"
    seconds = ((now or datetime.now(UTC)) - value).total_seconds()
    if seconds < 0:
        return "just now"
    for size, unit in ((86400, "d"), (3600, "h"), (60, "min")):
        if seconds >= size:
            return f"{int(seconds // size)} {unit} ago"
    return f"{int(seconds)} s ago"


templates.env.filters["ago"] = _ago
templates.env.globals["version"] = __version__
templates.env.globals["prefix"] = PREFIX


def application_of(request: Request) -> Application:
    return cast(Application, request.app.state.application)


def _flash(request: Request) -> URLSafeSerializer:
    signer = request.app.state.console_signer
    return URLSafeSerializer(signer.secret, salt="crossdock.console.flash")


def render(
    request: Request, template: str, session: Session | None, status: int = 200, **context: Any
) -> HTMLResponse:
    message = None
    sent = request.query_params.get("msg")
    if sent:
        try:
            message = _flash(request).loads(sent)
        except BadSignature:
            message = None
    return templates.TemplateResponse(
        request,
        template,
        {"session": session, "message": message, **context},
        status_code=status,
        headers=SECURITY_HEADERS,
    )


def to_sign_in(request: Request) -> RedirectResponse:
    nxt = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"{PREFIX}/login?{urlencode({'next': nxt})}", status_code=303)


def page(request: Request, build: Callable[[Session], Response]) -> Response:
    """``build(session)`` for a signed-in request; the sign-in form otherwise."""
    try:
        session = session_of(request, application_of(request))
    except NotSignedIn:
        if request.headers.get("hx-request"):
            return Response(status_code=204, headers={"HX-Redirect": f"{PREFIX}/login"})
        return to_sign_in(request)
    if (name := control_in(request.query_params)) is not None:
        return HTMLResponse(
            f"The address's {escape(repr(name))} holds a control character.",
            status_code=400,
            headers=SECURITY_HEADERS,
        )
    return build(session)


def back(request: Request, where: str, message: tuple[str, str]) -> RedirectResponse:
    """Redirect to ``where`` (a console path) showing ``(kind, text)`` once."""
    token = _flash(request).dumps(list(message))
    sep = "&" if "?" in where else "?"
    return RedirectResponse(f"{where}{sep}{urlencode({'msg': token})}", status_code=303)


async def act(
    request: Request,
    where: Callable[[dict[str, str]], str],
    action: Callable[[Session, dict[str, str]], str],
    *,
    needs_scope: bool = True,
    scope: Scope | None = None,
) -> Response:
    """Run a POST's ``action`` for a key allowed to; then back to ``where`` with its outcome.

    Allowed: any key with ``operate`` (``needs_scope``), or, when ``scope`` is named,
    a key holding that scope. The CSRF token is checked before the key's rights, so a
    forged request learns nothing about the key.
    """
    # the store calls run in the worker pool, as the API's plain routes do: an action
    # (a retry, a whole route's parked records) must not hold up the event loop
    try:
        session = await run_in_threadpool(session_of, request, application_of(request))
    except NotSignedIn:
        return HTMLResponse("Not signed in.", status_code=401)
    try:
        fields = await check_post(request, session, act=needs_scope and scope is None)
    except Refused as refused:
        return HTMLResponse(refused.reason, status_code=refused.status)
    if scope is not None and scope not in session.principal.scopes:
        return HTMLResponse(f"This key may not do this (it needs the {scope} scope).", 403)
    try:
        done = ("ok", await run_in_threadpool(action, session, fields))
    except CrossdockError as exc:
        done = ("error", str(exc))
    return back(request, where(fields), done)


def safe_next(value: str | None) -> str:
    """Where to go after signing in: a console path only (no open redirect)."""
    if value and value.startswith(f"{PREFIX}/") and not value.startswith("//"):
        return value
    return f"{PREFIX}/overview"


RowId = Annotated[int, Path(ge=1, le=2**63 - 1, description="row id")]
"""A row id in a console path: a number the store can hold (else 422, never an overflow)."""


__all__ = [
    "PREFIX",
    "RowId",
    "act",
    "application_of",
    "back",
    "page",
    "render",
    "safe_next",
    "templates",
    "to_sign_in",
]
