"""The console's session: an API key exchanged for a signed cookie, and the CSRF token of each form.

Signing in checks the key like the API does; the cookie then keeps the key's
public prefix and SHA-256, never the key itself, with a random CSRF token and
the time it was issued, signed with HMAC (itsdangerous). Every page checks the
key again from those (:func:`crossdock.api.auth.authenticate_digest`), so a
revoked or expired key ends its sessions on the next request. A session lasts
:data:`SESSION_SECONDS`.

The cookie is ``HttpOnly`` and ``SameSite=Strict``, and ``Secure`` when the page
was asked for over HTTPS (behind a proxy, run uvicorn with ``--proxy-headers``).
The signing secret is ``CROSSDOCK_CONSOLE_SECRET``; without it each process
makes one at start, so sessions end when the process does and are not shared
between processes (set the variable when several serve one hub).

Every form carries the session's CSRF token (a hidden field; htmx sends it as
the ``X-CSRF-Token`` header): a POST without the token the session holds is
refused. The sign-in form, before any session exists, carries a token from a
separate short-lived signed cookie (double submit).
"""

from __future__ import annotations

import hmac
import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from html import escape

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.requests import Request
from starlette.responses import Response

from crossdock.api.auth import Principal, authenticate_digest
from crossdock.api.keys import Scope
from crossdock.api.problems import ApiError
from crossdock.app import Application

SECRET_ENV = "CROSSDOCK_CONSOLE_SECRET"  # noqa: S105 (a variable name, not a secret)
COOKIE = "crossdock_console"
LOGIN_COOKIE = "crossdock_console_login"
SESSION_SECONDS = 8 * 3600
"""How long a session lasts from sign-in (a working shift)."""
LOGIN_SECONDS = 3600
CSRF_FIELD = "csrf"
CSRF_HEADER = "x-csrf-token"


class NotSignedIn(Exception):
    """No live session: the page sends the browser to the sign-in form."""


class Refused(Exception):
    """A POST the console refuses: no or a wrong CSRF token, or a key without the scope."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Session:
    """Who is signed in, and the token their forms carry."""

    principal: Principal
    csrf: str

    @property
    def may_act(self) -> bool:
        """Whether the key may fix exceptions and parked deliveries (the API's ``operate``)."""
        return Scope.OPERATE in self.principal.scopes


class Signer:
    """Signs and reads the session and sign-in cookies with the process's secret."""

    def __init__(self, secret: str | None = None) -> None:
        secret = secret or os.environ.get(SECRET_ENV) or secrets.token_urlsafe(32)
        self.secret = secret
        self._session = URLSafeTimedSerializer(secret, salt="crossdock.console.session")
        self._login = URLSafeTimedSerializer(secret, salt="crossdock.console.login")

    def session_cookie(self, prefix: str, digest: str) -> tuple[str, str]:
        """(cookie value, its CSRF token) for a key just checked."""
        csrf = secrets.token_urlsafe(24)
        return self._session.dumps({"p": prefix, "h": digest, "c": csrf}), csrf

    def read_session(self, value: str) -> tuple[str, str, str] | None:
        try:
            doc = self._session.loads(value, max_age=SESSION_SECONDS)
        except BadSignature:
            return None
        if not isinstance(doc, dict) or not all(isinstance(doc.get(k), str) for k in "phc"):
            return None
        return doc["p"], doc["h"], doc["c"]

    def login_cookie(self) -> tuple[str, str]:
        token = secrets.token_urlsafe(24)
        return self._login.dumps(token), token

    def read_login(self, value: str) -> str | None:
        try:
            token = self._login.loads(value, max_age=LOGIN_SECONDS)
        except BadSignature:
            return None
        return token if isinstance(token, str) else None


def signer_of(request: Request) -> Signer:
    signer: Signer = request.app.state.console_signer
    return signer


def set_cookie(request: Request, response: Response, name: str, value: str, max_age: int) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path="/console",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )


def session_of(request: Request, application: Application) -> Session:
    """The request's live session; :class:`NotSignedIn` when there is none."""
    value = request.cookies.get(COOKIE)
    found = signer_of(request).read_session(value) if value else None
    if found is None:
        raise NotSignedIn
    prefix, digest, csrf = found
    hub = application.hub
    try:
        principal = authenticate_digest(hub.store, prefix, digest, hub.config.access)
    except ApiError as exc:  # 401: the key was revoked or expired meanwhile
        raise NotSignedIn from exc
    if Scope.READ not in principal.scopes:
        raise NotSignedIn
    return Session(principal, csrf)


async def check_post(request: Request, session: Session, *, act: bool = True) -> dict[str, str]:
    """The form of a POST that carries the session's CSRF token (and, if ``act``, a key that may).

    Refused with 403 otherwise; the token is checked first, so a forged request
    learns nothing about the key.
    """
    form = await request.form()
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    sent = fields.get(CSRF_FIELD) or request.headers.get(CSRF_HEADER) or ""
    if not hmac.compare_digest(sent.encode(), session.csrf.encode()):
        raise Refused(403, "This form's security token is missing or out of date; reload the page.")
    if act and not session.may_act:
        raise Refused(403, "This key may read but not act (it needs the operate scope).")
    if (name := control_in(fields)) is not None:
        raise Refused(
            400, f"The field {escape(repr(name))} holds a control character; remove it and retry."
        )
    return fields


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
"""Control characters no value a person types holds (tab and line breaks are allowed);
PostgreSQL cannot store NUL in text at all."""


def control_in(values: Mapping[str, str]) -> str | None:
    """The name of the first value holding a control character, if any."""
    return next((k for k, v in values.items() if _CONTROL.search(v)), None)


__all__ = [
    "COOKIE",
    "CSRF_FIELD",
    "LOGIN_COOKIE",
    "SECRET_ENV",
    "SESSION_SECONDS",
    "NotSignedIn",
    "Refused",
    "Session",
    "Signer",
    "check_post",
    "control_in",
    "session_of",
    "set_cookie",
    "signer_of",
]
