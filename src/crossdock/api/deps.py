"""Shared request dependencies and bounded parameter types for the routers.

Every path and query parameter is bounded here (lengths, ranges, no control
characters), so no input can reach the store in a shape it cannot hold.
"""

from __future__ import annotations

from typing import Annotated, cast

from fastapi import Depends, Path, Query
from starlette.requests import Request

from crossdock.app import Application
from crossdock.services.availability import AvailabilityService
from crossdock.services.pricing import PricingService
from crossdock.sync.runtime import Hub

MAX_INT = 2**63 - 1
"""The largest id or sequence number the store can hold (a signed 64-bit integer)."""

NO_CONTROL = r"^[^\x00-\x1f\x7f]+$"
"""A non-empty string without control characters."""

SYSTEM_NAME = r"^[a-z][a-z0-9_\-]*$"
"""How a system or route is named in the hub file."""


def application_of(request: Request) -> Application:
    """The application this API app serves (see :func:`crossdock.api.app.create_app`)."""
    return cast(Application, request.app.state.application)


# The dependencies are ``async`` although they await nothing: FastAPI runs a plain
# ``def`` dependency in its thread pool, and that hop cost more than the rest of a
# small request.


async def get_hub(request: Request) -> Hub:
    """The hub this app serves."""
    return application_of(request).hub


async def get_availability(request: Request) -> AvailabilityService:
    """The application's one availability service."""
    return application_of(request).availability


async def get_pricing(request: Request) -> PricingService:
    """The application's one pricing service."""
    return application_of(request).pricing


HubDep = Annotated[Hub, Depends(get_hub)]
AvailabilityDep = Annotated[AvailabilityService, Depends(get_availability)]
PricingDep = Annotated[PricingService, Depends(get_pricing)]

Limit = Annotated[int, Query(ge=1, le=1000, description="page size, 1 to 1000")]
RecordId = Annotated[
    str, Path(min_length=1, max_length=64, pattern=NO_CONTROL, description="canonical record id")
]
NativeId = Annotated[
    str,
    Path(min_length=1, max_length=255, pattern=NO_CONTROL, description="the id in that system"),
]
SystemPath = Annotated[
    str, Path(min_length=1, max_length=64, pattern=SYSTEM_NAME, description="a system's name")
]
RouteName = Annotated[
    str, Path(min_length=1, max_length=64, pattern=SYSTEM_NAME, description="a route's name")
]
SeqAfter = Annotated[
    int, Query(ge=0, le=MAX_INT, description="answer only what comes after this position")
]
RowId = Annotated[int, Path(ge=1, le=MAX_INT, description="row id")]

__all__ = [
    "MAX_INT",
    "NO_CONTROL",
    "SYSTEM_NAME",
    "AvailabilityDep",
    "HubDep",
    "Limit",
    "NativeId",
    "PricingDep",
    "RecordId",
    "RouteName",
    "RowId",
    "SeqAfter",
    "SystemPath",
    "application_of",
    "get_availability",
    "get_hub",
    "get_pricing",
]
