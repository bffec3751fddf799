"""Exception handlers: every error leaves the API as a problem document.

Handled here: the API's own :class:`~crossdock.api.problems.ApiError`,
Crossdock's error tree, FastAPI request validation (422 naming each field,
400 for a body that is not JSON), Starlette's HTTP errors (unknown path,
wrong method), a database that is busy or away (503), and, as a backstop,
anything else (500 with a generic detail; the traceback goes to the log only).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.responses import Response

from crossdock.api.problems import (
    ApiError,
    FieldProblem,
    from_crossdock_error,
    internal_problem,
    retry_after_header,
)
from crossdock.errors import CrossdockError, ErrorCode
from crossdock.store import StoreUnavailable

log = logging.getLogger(__name__)

_LOC_SOURCES = frozenset({"body", "query", "path", "header", "cookie"})


def field_name(loc: Sequence[Any]) -> str:
    """A validation error's location as a dotted field path (``changes.3.entity_type``)."""
    parts = [str(p) for p in loc]
    if len(parts) > 1 and parts[0] in _LOC_SOURCES:
        parts = parts[1:]
    return ".".join(parts) or "body"


def _reason(err: dict[str, Any]) -> str:
    msg = str(err.get("msg") or "invalid")
    return msg.removeprefix("Value error, ")


def validation_problem(errors: Sequence[Any]) -> ApiError:
    """422 naming each field; 400 for a body that is not JSON, 415 for one not sent as JSON."""
    for err in errors:
        if isinstance(err, dict) and err.get("type") == "json_invalid":
            ctx: dict[str, Any] = err.get("ctx") or {}
            loc: Sequence[Any] = err.get("loc") or ()
            pos = loc[-1] if len(loc) > 1 else "?"
            return ApiError(
                400,
                ErrorCode.INVALID_INPUT,
                f"The request body is not valid JSON ({ctx.get('error', 'decode error')} "
                f"at position {pos}).",
                title="Malformed request body",
            )
        if (
            isinstance(err, dict)
            and tuple(err.get("loc") or ()) == ("body",)
            and isinstance(err.get("input"), bytes)
        ):
            return ApiError(
                415,
                ErrorCode.INVALID_INPUT,
                "The request body must be JSON sent with 'Content-Type: application/json'.",
                title="Unsupported media type",
            )
    fields = [
        FieldProblem(field=field_name(e.get("loc") or ()), reason=_reason(e))
        for e in errors
        if isinstance(e, dict)
    ]
    summary = "; ".join(f"{f.field}: {f.reason}" for f in fields[:5])
    more = f" (and {len(fields) - 5} more)" if len(fields) > 5 else ""
    return ApiError(
        422,
        ErrorCode.VALIDATION_FAILED,
        f"{len(fields)} field(s) failed validation: {summary}{more}",
        errors=fields,
    )


def _http_problem(request: Request, exc: StarletteHTTPException) -> ApiError:
    status = exc.status_code
    headers = dict(exc.headers or {})
    if status == 404:
        return ApiError(404, ErrorCode.NOT_FOUND, f"Nothing is served at {request.url.path}.")
    if status == 405:
        allowed = headers.get("Allow") or headers.get("allow") or ""
        return ApiError(
            405,
            ErrorCode.INVALID_INPUT,
            f"{request.method} is not allowed on {request.url.path}; allowed: {allowed}.",
            title="Method not allowed",
            headers=headers,
        )
    if status == 401:
        return ApiError(401, ErrorCode.UNAUTHORIZED, str(exc.detail), headers=headers)
    if status == 403:
        return ApiError(403, ErrorCode.FORBIDDEN, str(exc.detail), headers=headers)
    if status >= 500:
        return ApiError(status, ErrorCode.INTERNAL, str(exc.detail), headers=headers)
    return ApiError(status, ErrorCode.INVALID_INPUT, str(exc.detail), headers=headers)


def problem_for(request: Request, exc: Exception) -> ApiError:
    """The problem document answering ``exc``; logs what a person must look at."""
    if isinstance(exc, ApiError):
        return exc
    if isinstance(exc, RequestValidationError):
        return validation_problem(exc.errors())
    if isinstance(exc, StarletteHTTPException):
        return _http_problem(request, exc)
    if isinstance(exc, CrossdockError):
        problem = from_crossdock_error(exc)
        if problem.status >= 500:
            log.error("%s %s failed: %s", request.method, request.url.path, exc, exc_info=exc)
        return problem
    if isinstance(exc, StoreUnavailable):
        log.warning("%s %s: store unavailable: %s", request.method, request.url.path, exc.orig)
        return ApiError(
            503,
            ErrorCode.TRANSIENT,
            "The store is busy or unavailable; try again shortly.",
            headers=retry_after_header(None),
        )
    log.error("%s %s failed", request.method, request.url.path, exc_info=exc)
    return internal_problem()


async def handle(request: Request, exc: Exception) -> Response:
    """The one exception handler: answer ``exc`` as a problem document."""
    return problem_for(request, exc).response(request.url.path)


def install_handlers(app: FastAPI) -> None:
    """Route every error class the API can meet to :func:`handle`."""
    for cls in (
        ApiError,
        RequestValidationError,
        StarletteHTTPException,
        CrossdockError,
        StoreUnavailable,
        Exception,
    ):
        app.add_exception_handler(cls, handle)


__all__ = ["field_name", "handle", "install_handlers", "problem_for", "validation_problem"]
