"""Authentication by API key and authorisation by scope.

A request presents its key as ``Authorization: Bearer <key>`` or
``X-API-Key: <key>``. The key's public prefix finds its row; the SHA-256 of
the whole key is compared in constant time with the stored hash (a missing
row is compared against a dummy hash, so timing does not reveal which
prefixes exist). Revoked keys are refused. ``require(scope)`` is the
dependency a route declares; a missing or bad key answers 401 with a
``WWW-Authenticate`` challenge, a missing scope 403.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from crossdock.api.deps import HubDep
from crossdock.api.keys import Scope, effective_scopes, hash_key, parse_key
from crossdock.api.problems import ApiError
from crossdock.errors import ErrorCode
from crossdock.store import Store

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


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: the key's name (the actor in the audit log) and its scopes."""

    name: str
    prefix: str
    scopes: frozenset[Scope]


def unauthorized(detail: str, *, error: str | None = None) -> ApiError:
    challenge = 'Bearer realm="crossdock"'
    if error:
        challenge += f', error="{error}"'
    return ApiError(401, ErrorCode.UNAUTHORIZED, detail, headers={"WWW-Authenticate": challenge})


def authenticate(store: Store, key: str) -> Principal:
    """The principal behind ``key``; :class:`ApiError` 401 when it is not a live key."""
    prefix = parse_key(key)
    row = store.api_key_by_prefix(prefix) if prefix is not None else None
    matches = hmac.compare_digest(hash_key(key), row.key_hash if row else _DUMMY_HASH)
    if row is None or not matches:
        raise unauthorized("The API key is not valid.", error="invalid_token")
    if row.revoked:
        raise unauthorized("The API key has been revoked.", error="invalid_token")
    return Principal(row.name, row.prefix, effective_scopes(row.scopes))


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


def require(scope: Scope) -> Callable[..., Awaitable[Principal]]:
    """A dependency admitting only keys that hold ``scope`` (or a scope implying it).

    On SQLite the key's row is read on the event loop: a primary-key read of an
    embedded file takes microseconds, and a worker-thread hop cost ten times
    that (it was the largest part of a reservation's answer). A PostgreSQL
    store is a network round trip away, so there it runs in the worker pool.
    """

    async def dependency(
        request: Request,
        hub: HubDep,
        bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
        header: Annotated[str | None, Depends(_header)],
    ) -> Principal:
        key = presented_key(request, bearer, header)
        if hub.store.backend == "sqlite":
            principal = authenticate(hub.store, key)
        else:
            principal = await run_in_threadpool(authenticate, hub.store, key)
        if scope not in principal.scopes:
            granted = ", ".join(sorted(principal.scopes)) or "none"
            raise ApiError(
                403,
                ErrorCode.FORBIDDEN,
                f"This API key lacks the '{scope.value}' scope (it has: {granted}).",
            )
        request.state.principal = principal
        return principal

    dependency.__name__ = f"require_{scope.value}"
    return dependency


Reader = Annotated[Principal, Depends(require(Scope.READ))]
Writer = Annotated[Principal, Depends(require(Scope.WRITE))]
Admin = Annotated[Principal, Depends(require(Scope.ADMIN))]

__all__ = ["Admin", "Principal", "Reader", "Writer", "authenticate", "require", "unauthorized"]
