"""The HTTP API: ``create_app(application)`` builds the FastAPI app serving one hub under ``/v1``.

OpenAPI 3.1 at ``/v1/openapi.json`` (interactive docs at ``/v1/docs``). Every
error is an RFC 9457 problem document (see :mod:`crossdock.api.problems`);
every route but ``GET /v1/health``, ``POST /v1/webhooks/{system}`` and
``POST /v1/as2/{system}`` with ``POST /v1/as2/{system}/mdn`` (all proven by their
signature) needs an API key
(see :mod:`crossdock.api.auth`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fastapi import FastAPI

from crossdock import __version__
from crossdock.api.auth import KeyCache
from crossdock.api.docs import install_docs
from crossdock.api.handlers import install_handlers
from crossdock.api.hot import HotRoutes
from crossdock.api.middleware import BodyLimit, CatchAll, MiB
from crossdock.api.problems import PROBLEM_MEDIA_TYPE, problem_responses
from crossdock.api.routers import ROUTERS
from crossdock.api.routers.as2 import MAX_AS2_BYTES
from crossdock.api.routers.webhooks import MAX_WEBHOOK_BYTES
from crossdock.api.throttle import InboundThrottle
from crossdock.api.versioning import DeprecationHeaders
from crossdock.app import Application

if TYPE_CHECKING:
    from crossdock.ui import Signer

API_PREFIX = "/v1"
MAX_BODY_BYTES = 16 * MiB

_DESCRIPTION = """\
Crossdock keeps customer, product, price, inventory, order, shipment and invoice
data consistent across a distributor's systems.

Authenticate with an API key: `Authorization: Bearer cdk_...` or `X-API-Key: cdk_...`.
Scopes: `read`, `write`, `admin` (each implies the ones before it).
Errors are `application/problem+json` (RFC 9457) with a stable `code`.
"""


class CrossdockAPI(FastAPI):
    """FastAPI whose OpenAPI document serves error responses as problem+json."""

    def openapi(self) -> dict[str, Any]:
        if self.openapi_schema is None:
            schema = super().openapi()
            _cross_cutting_statuses(schema)
            _problem_media_types(schema)
        return super().openapi()


#: Answers the layers around every route can give, by what the operation has.
_WITH_BODY = {
    "400": "Malformed request body (not JSON, or not the JSON the operation takes)",
    "413": "Request body larger than the operation accepts",
    "422": "Validation failed",
}
_WITH_KEY = {
    "401": "No API key, or not a live one",
    "403": "The API key lacks the scope this operation needs",
    "429": "Too many requests for this key or its system (the hub file's throttle)",
}


def _cross_cutting_statuses(schema: dict[str, Any]) -> None:
    """Document what the body limit, the JSON parser and the key check answer, where they do.

    Routes name their own outcomes; these come from the layers every route sits
    behind, so they are added here rather than repeated on each route.
    """
    problem = {"application/json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            added: dict[str, str] = {}
            if "requestBody" in operation:
                added |= _WITH_BODY
            if operation.get("security"):
                added |= _WITH_KEY
            for status, description in added.items():
                operation["responses"].setdefault(
                    status, {"description": description, "content": dict(problem)}
                )


def _problem_media_types(schema: dict[str, Any]) -> None:
    """Document 4xx/5xx answers under ``application/problem+json``, as they are served."""
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            if not isinstance(operation, dict):
                continue
            for status, response in operation.get("responses", {}).items():
                content = response.get("content")
                if str(status)[:1] in "45" and content and "application/json" in content:
                    content[PROBLEM_MEDIA_TYPE] = content.pop("application/json")


def create_app(
    application: Application,
    *,
    max_body_bytes: int = MAX_BODY_BYTES,
    warm: bool = False,
    key_cache: KeyCache | None = None,
    console_signer: Signer | None = None,
) -> FastAPI:
    """The API app serving ``application``'s hub and services; the caller closes it.

    ``key_cache`` keeps live API key checks (see :mod:`crossdock.api.auth`); a fresh
    one by default.

    The operator console is served under ``/console`` (:mod:`crossdock.ui`);
    ``console_signer`` signs its session cookies (by default with
    ``CROSSDOCK_CONSOLE_SECRET``, else a secret made for this process).

    ``warm`` builds the services' in-memory indexes in the background at once
    (`crossdock serve`, :meth:`Application.warm`), rather than on the first
    request that needs them.
    """
    app = CrossdockAPI(
        title="Crossdock",
        version=__version__,
        description=_DESCRIPTION,
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=None,  # served from the package instead of a CDN: see api/docs.py
        redoc_url=None,
    )
    app.openapi_version = "3.1.0"
    app.state.application = application
    app.state.key_cache = KeyCache() if key_cache is None else key_cache
    hub = application.hub
    app.state.throttle = InboundThrottle(hub.store, hub.config.throttle)
    install_handlers(app)
    install_docs(app, API_PREFIX)
    # imported here: the console imports the API's key check, whose package imports this module
    from crossdock.ui import install_console

    install_console(app, console_signer)
    for router in ROUTERS:
        app.include_router(router, prefix=API_PREFIX, responses=problem_responses(500))
    app.add_middleware(DeprecationHeaders)
    app.add_middleware(HotRoutes, prefix=API_PREFIX)  # inside the body limit and catch-all
    app.add_middleware(
        BodyLimit,
        max_bytes=max_body_bytes,
        prefix_limits={
            f"{API_PREFIX}/webhooks/": MAX_WEBHOOK_BYTES,
            f"{API_PREFIX}/as2/": MAX_AS2_BYTES,
        },
    )
    app.add_middleware(CatchAll)
    if warm:
        application.warm()
    return app


__all__ = ["API_PREFIX", "MAX_BODY_BYTES", "CrossdockAPI", "create_app"]
