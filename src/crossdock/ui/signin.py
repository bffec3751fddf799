"""Signing in with an API key (read or better) and signing out."""

from __future__ import annotations

import hmac

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from crossdock.api.auth import authenticate
from crossdock.api.keys import Scope, hash_key, parse_key
from crossdock.api.problems import ApiError
from crossdock.ui.pages import PREFIX, act, application_of, render, safe_next
from crossdock.ui.session import (
    COOKIE,
    CSRF_FIELD,
    LOGIN_COOKIE,
    LOGIN_SECONDS,
    SESSION_SECONDS,
    set_cookie,
    signer_of,
)

router = APIRouter()


def _form(request: Request, error: str | None = None, status: int = 200) -> Response:
    value, token = signer_of(request).login_cookie()
    response = render(
        request,
        "login.html",
        None,
        status=status,
        csrf=token,
        error=error,
        next=safe_next(request.query_params.get("next")),
    )
    set_cookie(request, response, LOGIN_COOKIE, value, LOGIN_SECONDS)
    return response


@router.get("/login")
def login_form(request: Request) -> Response:
    return _form(request)


@router.post("/login")
async def login(request: Request) -> Response:
    form = await request.form()
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    cookie = request.cookies.get(LOGIN_COOKIE)
    token = signer_of(request).read_login(cookie) if cookie else None
    sent = fields.get(CSRF_FIELD, "")
    if token is None or not hmac.compare_digest(sent.encode(), token.encode()):
        return HTMLResponse(
            "This form's security token is missing or out of date; reload the page.",
            status_code=403,
        )
    key = fields.get("key", "").strip()
    hub = application_of(request).hub
    try:
        principal = await run_in_threadpool(authenticate, hub.store, key, access=hub.config.access)
    except ApiError as exc:
        return _form(request, exc.detail, status=401)
    if Scope.READ not in principal.scopes:
        return _form(request, "This key may not read: the console needs a read key.", 403)
    prefix = parse_key(key)
    assert prefix is not None  # authenticate found its row
    value, _csrf = signer_of(request).session_cookie(prefix, hash_key(key))
    response = RedirectResponse(safe_next(fields.get("next")), status_code=303)
    set_cookie(request, response, COOKIE, value, SESSION_SECONDS)
    response.delete_cookie(LOGIN_COOKIE, path=PREFIX)
    return response


@router.post("/logout")
async def logout(request: Request) -> Response:
    response = await act(
        request, lambda _f: f"{PREFIX}/login", lambda _s, _f: "Signed out.", needs_scope=False
    )
    if response.status_code == 303:
        response.delete_cookie(COOKIE, path=PREFIX)
    return response


__all__ = ["router"]
