"""The hot routes answered ahead of FastAPI's routing: reserving and reading ATP.

Channel clients reserve one line per request, many a second. Measured with
two API processes on PostgreSQL, FastAPI's route matching, dependency
solving and its exception layers took about half of the event loop's time
per reservation, more than the reserve itself. :class:`HotRoutes` answers
a well-formed ``POST /v1/reservations`` itself, the way the FastAPI route
does: the same key check (:func:`~crossdock.api.auth.request_principal`, the
``write`` scope), the same exact-JSON parse, the same ``ReserveRequest``
validation, the same answer (201, or 200 for a replay, the route's own
``ReservationOut``) and the same problem documents for what the service
refuses (:func:`~crossdock.api.handlers.problem_for`).

Everything else goes to the app unchanged: other paths and methods, and
every request refused before the service runs (no key or a bad one, a
missing scope, a body not sent as JSON, not JSON, or not a valid request):
FastAPI answers those exactly as it always did, with the body replayed. The
FastAPI route stays registered, so the OpenAPI document (security, body,
answers) is the same. It sits inside the body limit and the catch-all.

``GET /v1/availability`` with only ``sku`` and ``location`` parameters (what a
channel polls) is answered the same way, by the route's own
:func:`~crossdock.api.routers.availability.availability_answer` under the
``read`` scope; a request with any other parameter, or with more SKUs or
locations than the route admits, goes to FastAPI. ``POST
/v1/availability/events`` (the WMS feed) is answered like a reserve, by the
route's own :func:`~crossdock.api.routers.availability.events_answer`.
"""

from __future__ import annotations

import json
from typing import TypeVar
from urllib.parse import parse_qsl

from pydantic import BaseModel, ValidationError
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from crossdock.api.auth import request_principal
from crossdock.api.deps import application_of
from crossdock.api.exactjson import ExactJSONRequest, loads_exact
from crossdock.api.handlers import problem_for
from crossdock.api.keys import Scope as KeyScope
from crossdock.api.middleware import replaying
from crossdock.api.problems import ApiError
from crossdock.api.routers.availability import (
    MAX_LOCATIONS,
    MAX_SKUS,
    EventsIn,
    availability_answer,
    channel_refusal,
    events_answer,
    reservation_out,
    reservations_router,
)
from crossdock.api.routers.availability import router as availability_router
from crossdock.services.availability import ReserveRequest

M = TypeVar("M", bound=BaseModel)
_JSON = "application/json"


def _sent_as_json(content_type: str | None) -> bool:
    """``application/json`` (parameters allowed); anything else is FastAPI's to judge."""
    if not content_type:
        return False
    return content_type.split(";", 1)[0].strip().lower() == _JSON


async def _written(request: ExactJSONRequest, body: bytes, model: type[M]) -> M | None:
    """A write's body under the ``write`` scope; ``None`` when FastAPI must judge it.

    That is: not sent as JSON, no valid key with the scope, not JSON, or not a
    valid ``model``: the route answers those with its own problem documents.
    """
    if not _sent_as_json(request.headers.get("content-type")):
        return None
    try:
        await request_principal(request, KeyScope.WRITE)
        return model.model_validate(loads_exact(body))
    except (ApiError, ValidationError, json.JSONDecodeError):
        return None


class HotRoutes:
    """ASGI middleware answering the hot routes under ``prefix`` without FastAPI's routing.

    Its paths and limits are the routes' own (their routers' paths, the ATP
    read's ``Query`` bounds), so the two cannot drift apart.
    """

    #: The query parameters of an ATP read the fast path answers, and how many of each.
    read_limits = {"sku": (1, MAX_SKUS), "location": (0, MAX_LOCATIONS)}

    def __init__(self, app: ASGIApp, prefix: str = "/v1") -> None:
        self.app = app
        self.reserve_path = prefix + reservations_router.url_path_for("reserve")
        self.availability_path = prefix + availability_router.url_path_for("get_availability")
        self.events_path = prefix + availability_router.url_path_for("post_events")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET":
            if scope["path"] == self.availability_path:
                answer = await self._availability(ExactJSONRequest(scope, receive))
                if answer is not None:
                    await answer(scope, receive, send)
                    return
            await self.app(scope, receive, send)
            return
        if (
            scope["type"] != "http"
            or scope["path"] not in (self.reserve_path, self.events_path)
            or scope["method"] != "POST"
        ):
            await self.app(scope, receive, send)
            return
        body = await _read_body(receive)
        replay = replaying(body, receive)
        request = ExactJSONRequest(scope, replay)
        if scope["path"] == self.reserve_path:
            answer = await self._reserve(request, body)
        else:
            answer = await self._events(request, body)
        if answer is None:  # FastAPI judges it, as it always did
            await self.app(scope, replaying(body, receive), send)
            return
        await answer(scope, replay, send)

    async def _reserve(self, request: ExactJSONRequest, body: bytes) -> Response | None:
        """The answer to a reserve; ``None`` for a request refused before the service runs."""
        req = await _written(request, body, ReserveRequest)
        if req is None:
            return None
        hub = application_of(request).hub
        if channel_refusal(request.state.principal, req, hub) is not None:
            return None  # the route refuses it with its problem document
        try:
            r = await application_of(request).availability.reservations.reserve_async(req)
        except Exception as exc:  # the service refused (or failed): its problem document
            return problem_for(request, exc).response(request.url.path)
        return Response(
            reservation_out(r).model_dump_json(by_alias=True),
            status_code=200 if r.replayed else 201,
            media_type=_JSON,
        )

    async def _events(self, request: ExactJSONRequest, body: bytes) -> Response | None:
        """The answer to a batch of WMS events; ``None`` for FastAPI to judge."""
        events = await _written(request, body, EventsIn)
        if events is None:
            return None
        try:
            out = await events_answer(application_of(request).availability, events)
        except Exception as exc:  # refused (or failed): its problem document
            return problem_for(request, exc).response(request.url.path)
        return Response(out.model_dump_json(by_alias=True), media_type=_JSON)

    async def _availability(self, request: ExactJSONRequest) -> Response | None:
        """The answer to an ATP read of SKUs and locations; ``None`` for FastAPI to judge."""
        asked: dict[str, list[str]] = {name: [] for name in self.read_limits}
        try:
            raw = request.scope.get("query_string", b"").decode("latin-1")
            for name, value in parse_qsl(raw, keep_blank_values=True):
                if name not in asked:
                    return None
                asked[name].append(value)
        except ValueError:
            return None
        for name, (least, most) in self.read_limits.items():
            if not least <= len(asked[name]) <= most:
                return None
        sku, location = asked["sku"], asked["location"]
        try:
            await request_principal(request, KeyScope.READ)
        except ApiError:
            return None
        try:
            out = await availability_answer(
                application_of(request).availability, sku, location, None, None
            )
        except Exception as exc:  # refused (unknown SKU, bad code) or failed: its problem
            return problem_for(request, exc).response(request.url.path)
        return Response(out.model_dump_json(by_alias=True), media_type=_JSON)


async def _read_body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":  # the client went away
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


__all__ = ["HotRoutes"]
