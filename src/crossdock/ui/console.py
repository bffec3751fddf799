"""The operator console mounted on the API app: ``install_console(app)`` serves it under /console.

Same process, same :class:`~crossdock.app.Application` and services as the
API. Its assets (htmx, the stylesheet) are files of this package served under
``/console/static``: nothing is fetched from a CDN.
"""

from __future__ import annotations

from importlib.resources import files

from fastapi import APIRouter, FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from crossdock.ui import (
    customers,
    exceptions,
    orders,
    overview_activity,
    parked,
    prices,
    reconcile,
    records,
    signin,
    stock,
)
from crossdock.ui.overview import overview, route_health
from crossdock.ui.pages import PREFIX, application_of, page, render, templates
from crossdock.ui.session import Session, Signer

router = APIRouter()
templates.env.globals["route_health"] = route_health


@router.get("")
@router.get("/")
def home() -> Response:
    return RedirectResponse(f"{PREFIX}/overview", status_code=303)


@router.get("/overview")
def overview_page(request: Request) -> Response:
    def build(session: Session) -> Response:
        app = application_of(request)
        a = overview_activity.last_hour(app)
        return render(request, "overview.html", session, o=overview(app), a=a)

    return page(request, build)


@router.get("/overview/partial")
def overview_partial(request: Request) -> Response:
    """The overview's body alone, which the page asks for every few seconds (htmx)."""

    def build(session: Session) -> Response:
        o = overview(application_of(request))
        return render(request, "overview_body.html", session, o=o)

    return page(request, build)


ROUTERS: tuple[APIRouter, ...] = (
    router,
    signin.router,
    exceptions.router,
    parked.router,
    records.router,
    reconcile.router,
    prices.router,
    stock.router,
    orders.router,
    customers.router,
    overview_activity.router,
)
"""Every router of the console's pages, served under :data:`~crossdock.ui.pages.PREFIX`."""


def install_console(app: FastAPI, signer: Signer | None = None) -> None:
    """Serve the console under ``/console`` on ``app`` (whose state holds the application)."""
    app.state.console_signer = signer or Signer()
    app.mount(
        f"{PREFIX}/static",
        StaticFiles(directory=str(files("crossdock.ui") / "static")),
        name="console-static",
    )
    for r in ROUTERS:
        app.include_router(r, prefix=PREFIX, include_in_schema=False)


__all__ = ["ROUTERS", "install_console"]
