"""Authentication by API key and authorisation by scope.

A request presents its key as ``Authorization: Bearer <key>`` or
``X-API-Key: <key>``. The key's public prefix finds its row; the SHA-256 of
the whole key is compared in constant time with the stored hash (a missing
row is compared against a dummy hash, so timing does not reveal which
prefixes exist). Revoked keys are refused. ``require(scope)`` is the
dependency a route declares; a missing or bad key answers 401 with a
``WWW-Authenticate`` challenge, a missing scope 403.

A live key's check is kept in process for one second (:class:`KeyCache`,
one per app, keyed by the SHA-256 of the presented key, at most 4,096
entries): a busy client's requests skip the store lookup. The bound this
sets: **a revoked key keeps working for at most one second** on each API
process that checked it just before (:data:`KEY_CACHE_TTL_SECONDS`). A
refusal is never kept, so a key that was unknown or revoked is looked up
again on every request, and a new key works at once.
"""

from __future__ import annotations

import hmac
import math
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import Depends
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from crossdock.api.deps import application_of
from crossdock.api.keys import Scope, effective_scopes, hash_key, parse_key
from crossdock.api.problems import ApiError
from crossdock.api.throttle import InboundThrottle
from crossdock.config.access import AccessConfig
from crossdock.config.masking import Viewer
from crossdock.errors import ErrorCode
from crossdock.model.paths import any_glob_matches
from crossdock.store import Store
from crossdock.store.write import AUDIT_ORIGIN
from crossdock.sync.runtime import Hub

_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="bearerKey",
    description="An API key as a bearer token: `Authorization: Bearer cdk_...`",
)
_header = APIKeyHeader(
    name="X-API-Key",
    auto_error=False,
    scheme_name="apiKeyHeader",
    description="An API key in the `X-API-Key` header.",
)
_DUMMY_HASH = hash_key("cdk_00000000_" + "0" * 32)

SCOPE_ATTRIBUTE = "crossdock_scope"
"""Set on each ``require(scope)`` dependency, so a route can check the key first."""

KEY_CACHE_TTL_SECONDS = 1.0
"""How long a live key's check is kept: the longest a revoked key keeps working."""
KEY_CACHE_MAX = 4096
"""How many checked keys an app keeps at most."""


LAST_USE_EVERY = timedelta(minutes=1)
"""A key's last use is written at most this often (``keys list`` shows it)."""


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: the key's name (the actor in the audit log), owner and scopes."""

    name: str
    prefix: str
    scopes: frozenset[Scope]
    system: str | None = None
    """A system's key sends as that system and no other."""
    role: str | None = None
    entities: tuple[str, ...] = ("*",)
    """Entity type globs the key's system or role is limited to."""

    @property
    def viewer(self) -> Viewer:
        """Whom data is masked for when it leaves through this key."""
        return Viewer(system=self.system, role=self.role, admin=Scope.ADMIN in self.scopes)

    def may_use(self, entity_type: str) -> bool:
        return any_glob_matches(self.entities, entity_type)

    @property
    def actor(self) -> str:
        """How the audit log names the caller."""
        owner = f"system:{self.system}" if self.system else f"role:{self.role}" if self.role else ""
        tail = f" [{self.prefix}" + (f", {owner}]" if owner else "]")
        return self.name[: 128 - len(tail)] + tail


class KeyCache:
    """Principals of keys found live, each for ``ttl`` seconds from its check; never refusals.

    Keyed by the SHA-256 of the presented key (the plaintext is not kept). At
    ``max_size`` entries the expired ones go, then the oldest. ``clock`` is a
    monotonic clock in seconds (a test passes its own).
    """

    def __init__(
        self,
        ttl: float = KEY_CACHE_TTL_SECONDS,
        max_size: int = KEY_CACHE_MAX,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl = ttl
        self.max_size = max_size
        self.clock = clock
        self._entries: dict[str, tuple[float, Principal]] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, digest: str) -> Principal | None:
        """The principal checked for ``digest`` less than ``ttl`` ago, else ``None``."""
        found = self._entries.get(digest)
        if found is None:
            return None
        if self.clock() >= found[0]:
            with self._lock:
                if self._entries.get(digest) is found:
                    del self._entries[digest]
            return None
        return found[1]

    def put(self, digest: str, principal: Principal) -> None:
        """Keep a live key's principal (only ever called after a successful check)."""
        now = self.clock()
        with self._lock:
            if digest not in self._entries and len(self._entries) >= self.max_size:
                for k in [k for k, (until, _) in self._entries.items() if until <= now]:
                    del self._entries[k]
                while len(self._entries) >= self.max_size:
                    del self._entries[next(iter(self._entries))]
            self._entries[digest] = (now + self.ttl, principal)


def unauthorized(detail: str, *, error: str | None = None) -> ApiError:
    challenge = 'Bearer realm="crossdock"'
    if error:
        challenge += f', error="{error}"'
    return ApiError(401, ErrorCode.UNAUTHORIZED, detail, headers={"WWW-Authenticate": challenge})


def authenticate(
    store: Store,
    key: str,
    digest: str | None = None,
    access: AccessConfig | None = None,
    now: datetime | None = None,
) -> Principal:
    """The principal behind ``key``; :class:`ApiError` 401 when it is not a live key.

    ``digest`` is ``hash_key(key)`` when the caller has it already. A system's or
    a role's operations are read from ``access`` (the hub file's section).
    """
    digest = hash_key(key) if digest is None else digest
    return authenticate_digest(store, parse_key(key), digest, access, now)


def authenticate_digest(
    store: Store,
    prefix: str | None,
    digest: str,
    access: AccessConfig | None = None,
    now: datetime | None = None,
) -> Principal:
    """:func:`authenticate` for a key known by its prefix and SHA-256 only.

    The console's session cookie keeps these rather than the key (see
    :mod:`crossdock.ui.session`), so every page checks the key as it stands:
    a revoked or expired key ends the session at once.
    """
    row = store.keys.by_prefix(prefix) if prefix is not None else None
    matches = hmac.compare_digest(digest, row.key_hash if row else _DUMMY_HASH)
    if row is None or not matches:
        raise unauthorized("The API key is not valid.", error="invalid_token")
    if row.revoked:
        raise unauthorized("The API key has been revoked.", error="invalid_token")
    now = now or datetime.now(UTC)
    if row.expires_at is not None and row.expires_at <= now:
        raise unauthorized(
            f"The API key expired at {row.expires_at.isoformat()}.", error="invalid_token"
        )
    if row.last_used_at is None or now - row.last_used_at >= LAST_USE_EVERY:
        store.keys.touch(row.prefix, now)
    access = access or AccessConfig()
    rule = (
        access.for_system(row.system)
        if row.system
        else access.for_role(row.role)
        if row.role
        else None
    )
    if rule is None:
        scopes = frozenset() if row.role else effective_scopes(row.scopes)
        return Principal(row.name, row.prefix, scopes, row.system, row.role)
    return Principal(
        row.name,
        row.prefix,
        effective_scopes(op.value for op in rule.operations),
        row.system,
        row.role,
        tuple(rule.entities),
    )


def presented_key(
    request: Request, bearer: HTTPAuthorizationCredentials | None, header: str | None
) -> str:
    """The key a request presents, preferring the bearer token."""
    if bearer is not None:
        return bearer.credentials
    if header:
        return header
    if request.headers.get("authorization"):
        raise unauthorized(
            "Authorization must use the Bearer scheme with an API key.", error="invalid_request"
        )
    raise unauthorized(
        "An API key is required: send 'Authorization: Bearer <key>' or 'X-API-Key: <key>'."
    )


async def principal_of(
    request: Request,
    scope: Scope,
    bearer: HTTPAuthorizationCredentials | None,
    header: str | None,
) -> Principal:
    """The principal of a request that must hold ``scope``; :class:`ApiError` 401/403 if not.

    On SQLite the key's row is read on the event loop: a primary-key read of an
    embedded file takes microseconds, and a worker-thread hop cost ten times
    that (it was the largest part of a reservation's answer). A PostgreSQL
    store is a network round trip away, so there it runs in the worker pool.
    Either way only when the app's :class:`KeyCache` has no live check of it.
    """
    key = presented_key(request, bearer, header)
    hub: Hub = application_of(request).hub
    cache: KeyCache | None = getattr(request.app.state, "key_cache", None)
    digest = hash_key(key)
    principal = cache.get(digest) if cache is not None else None
    if principal is None:
        access = hub.config.access
        if hub.store.is_embedded:
            principal = authenticate(hub.store, key, digest, access)
        else:
            principal = await run_in_threadpool(authenticate, hub.store, key, digest, access)
        if cache is not None:  # reached only when the key was found live
            cache.put(digest, principal)
    if scope not in principal.scopes:
        granted = ", ".join(sorted(principal.scopes)) or "none"
        whose = (
            f" (system {principal.system})"
            if principal.system
            else f" (role {principal.role})"
            if principal.role
            else ""
        )
        raise ApiError(
            403,
            ErrorCode.FORBIDDEN,
            f"This API key{whose} lacks the '{scope.value}' scope (it has: {granted}).",
        )
    throttle: InboundThrottle | None = getattr(request.app.state, "throttle", None)
    # A route that checks the key before its body (AuthFirstRoute), or a hot route's
    # request that falls through to its FastAPI route, comes here twice: one admitted
    # request takes one token. A refusal takes none and is refused again.
    if throttle is not None and not getattr(request.state, "admitted", False):
        wait = await throttle.admit(principal.prefix, principal.system)
        if wait > 0:
            raise ApiError(
                429,
                ErrorCode.RATE_LIMITED,
                "Too many requests for this API key"
                + (f" or system {principal.system}" if principal.system else "")
                + f"; try again in {math.ceil(wait)} s (throttle in the hub file).",
                headers={"Retry-After": str(max(1, math.ceil(wait)))},
            )
        request.state.admitted = True
    request.state.principal = principal
    client = request.client
    AUDIT_ORIGIN.set(f"api {client.host}" if client else "api")
    return principal


async def request_principal(request: Request, scope: Scope) -> Principal:
    """:func:`principal_of` reading the credentials as the route dependencies do."""
    return await principal_of(request, scope, await _bearer(request), await _header(request))


def require(scope: Scope) -> Callable[..., Awaitable[Principal]]:
    """A dependency admitting only keys that hold ``scope`` (or a scope implying it).

    It declares both ways of presenting a key, so the OpenAPI document names them
    as the operation's security; see :func:`principal_of` for the check.
    """

    async def dependency(
        request: Request,
        bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
        header: Annotated[str | None, Depends(_header)],
    ) -> Principal:
        return await principal_of(request, scope, bearer, header)

    dependency.__name__ = f"require_{scope.value}"
    setattr(dependency, SCOPE_ATTRIBUTE, scope)
    return dependency


Reader = Annotated[Principal, Depends(require(Scope.READ))]
Writer = Annotated[Principal, Depends(require(Scope.WRITE))]
Operator = Annotated[Principal, Depends(require(Scope.OPERATE))]
Approver = Annotated[Principal, Depends(require(Scope.APPROVE))]
Admin = Annotated[Principal, Depends(require(Scope.ADMIN))]


def forbidden(detail: str) -> ApiError:
    return ApiError(403, ErrorCode.FORBIDDEN, detail)


def require_entity(who: Principal, entity_type: str) -> None:
    """403 unless the key's system or role may use ``entity_type``."""
    if not who.may_use(entity_type):
        raise forbidden(
            f"This API key may not use {entity_type} records "
            f"(it may use: {', '.join(who.entities)})."
        )


__all__ = [
    "KEY_CACHE_MAX",
    "KEY_CACHE_TTL_SECONDS",
    "LAST_USE_EVERY",
    "SCOPE_ATTRIBUTE",
    "Admin",
    "Approver",
    "KeyCache",
    "Operator",
    "Principal",
    "Reader",
    "Writer",
    "authenticate",
    "authenticate_digest",
    "forbidden",
    "principal_of",
    "request_principal",
    "require",
    "require_entity",
    "unauthorized",
]
