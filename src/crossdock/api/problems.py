"""RFC 9457 problem details: the one shape every API error takes.

Every error the API answers is ``application/problem+json`` with ``type``,
``title``, ``status``, ``detail``, ``instance`` (the request path), the
extension ``code`` (a :class:`~crossdock.errors.ErrorCode` value) and, for
validation problems, ``errors: [{field, reason}]``. This module holds the
model, the :class:`ApiError` exception the API raises itself, and the
mapping of Crossdock's error tree onto HTTP statuses (the only place that
mapping lives).
"""

from __future__ import annotations

import math
from http import HTTPStatus
from typing import Any

from pydantic import BaseModel, Field
from starlette.responses import JSONResponse

from crossdock.errors import BadSignature, CrossdockError, ErrorCode, InvalidInput, RetryableError

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_BASE = "https://crossdock.dev/problems/"
DEFAULT_RETRY_AFTER = 5

_TITLES: dict[ErrorCode, str] = {
    ErrorCode.INTERNAL: "Internal error",
    ErrorCode.TRANSIENT: "Temporarily unavailable",
    ErrorCode.INVALID_INPUT: "Invalid input",
    ErrorCode.VALIDATION_FAILED: "Validation failed",
    ErrorCode.BAD_SIGNATURE: "Bad signature",
    ErrorCode.CONFIG_INVALID: "Hub configuration invalid",
    ErrorCode.CONFLICT: "Conflict",
    ErrorCode.NOT_FOUND: "Not found",
    ErrorCode.UNAUTHORIZED: "Unauthorized",
    ErrorCode.FORBIDDEN: "Forbidden",
}


class FieldProblem(BaseModel):
    """One field at fault: a dotted path and the reason."""

    field: str = Field(description="dotted path of the field, e.g. changes.3.entity_type")
    reason: str


class Problem(BaseModel):
    """An RFC 9457 problem document."""

    type: str = Field(description="URI naming the problem type")
    title: str
    status: int
    detail: str
    instance: str = Field(description="the request path")
    code: str = Field(description="stable Crossdock error code")
    errors: list[FieldProblem] | None = Field(
        default=None, description="the fields at fault (validation problems only)"
    )


class ProblemResponse(JSONResponse):
    """A JSON response served as ``application/problem+json``."""

    media_type = PROBLEM_MEDIA_TYPE


class ApiError(Exception):
    """An error the API answers as a problem document."""

    def __init__(
        self,
        status: int,
        code: ErrorCode,
        detail: str,
        *,
        title: str | None = None,
        errors: list[FieldProblem] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail
        self.title = title or _TITLES.get(code) or _phrase(status)
        self.errors = errors
        self.headers = headers or {}

    def response(self, instance: str) -> ProblemResponse:
        problem = Problem(
            type=PROBLEM_BASE + self.code.value,
            title=self.title,
            status=self.status,
            detail=self.detail,
            instance=instance,
            code=self.code.value,
            errors=self.errors,
        )
        return ProblemResponse(
            problem.model_dump(mode="json", exclude_none=True),
            status_code=self.status,
            headers=self.headers,
        )


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def retry_after_header(seconds: float | None) -> dict[str, str]:
    """A ``Retry-After`` header in whole seconds (at least one)."""
    if seconds is None or not math.isfinite(seconds) or seconds <= 0:
        return {"Retry-After": str(DEFAULT_RETRY_AFTER)}
    return {"Retry-After": str(max(1, math.ceil(min(seconds, 86_400))))}


def internal_problem() -> ApiError:
    """The generic 500: never a stack trace, never an internal message."""
    return ApiError(
        500,
        ErrorCode.INTERNAL,
        "The hub failed to answer this request; the error is logged on the server.",
    )


def from_crossdock_error(exc: CrossdockError) -> ApiError:
    """A Crossdock error as a problem: its class gives the status and the code.

    Only what HTTP adds is decided here: a challenge header for a refused
    signature, Retry-After for a retryable failure, the field for invalid input.
    A failure nobody anticipated (the root class) stays a bare 500.
    """
    if type(exc) is CrossdockError:
        return internal_problem()
    headers: dict[str, str] | None = None
    errors: list[FieldProblem] | None = None
    if isinstance(exc, BadSignature):
        headers = {"WWW-Authenticate": 'StandardWebhooks realm="crossdock"'}
    elif isinstance(exc, RetryableError):
        headers = retry_after_header(exc.retry_after)
    elif isinstance(exc, InvalidInput) and exc.field and exc.http_status == 422:
        errors = [FieldProblem(field=exc.field, reason=exc.reason)]
    return ApiError(exc.http_status, exc.code, exc.message, errors=errors, headers=headers)


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries documenting problem answers for ``statuses``."""
    return {status: {"model": Problem, "description": _phrase(status)} for status in statuses}


__all__ = [
    "PROBLEM_BASE",
    "PROBLEM_MEDIA_TYPE",
    "ApiError",
    "FieldProblem",
    "Problem",
    "ProblemResponse",
    "from_crossdock_error",
    "internal_problem",
    "problem_responses",
    "retry_after_header",
]
