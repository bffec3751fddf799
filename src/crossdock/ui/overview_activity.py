"""The overview's last-hour charts: the fragment the overview shows and refreshes every 30 s."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from crossdock.app import Application
from crossdock.ui.activity import EXCEPTIONS_COUNTED, Activity, activity, charts
from crossdock.ui.pages import application_of, page, render, templates
from crossdock.ui.session import Session

router = APIRouter()
templates.env.globals["charts"] = charts
templates.env.globals["exceptions_counted"] = EXCEPTIONS_COUNTED


def last_hour(application: Application) -> Activity:
    """Every configured system's last hour, as of the hub's clock."""
    hub = application.hub
    return activity(hub.store, [s.name for s in hub.config.systems], hub.clock.now())


@router.get("/overview/activity")
def activity_fragment(request: Request) -> Response:
    def build(session: Session) -> Response:
        return render(request, "activity.html", session, a=last_hour(application_of(request)))

    return page(request, build)


__all__ = ["last_hour", "router"]
