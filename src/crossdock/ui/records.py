"""Record pages: find by SKU, account or order number, native or record id; a record's lineage."""

from __future__ import annotations

from fastapi import APIRouter, Query
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from crossdock.model.base import EntityType
from crossdock.ui.lineage import record_view, search
from crossdock.ui.pages import PREFIX, application_of, page, render
from crossdock.ui.session import Session

router = APIRouter()


@router.get("/records")
def search_page(request: Request, q: str = Query(default="", max_length=255)) -> Response:
    def build(session: Session) -> Response:
        hub = application_of(request).hub
        found = search(hub, session.principal, q) if q.strip() else []
        if len(found) == 1:
            kind, rid, _how = found[0]
            return RedirectResponse(f"{PREFIX}/records/{kind.value}/{rid}", status_code=303)
        return render(request, "search.html", session, q=q, found=found)

    return page(request, build)


@router.get("/records/{entity_type}/{record_id}")
def record_page(request: Request, entity_type: str, record_id: str) -> Response:
    def build(session: Session) -> Response:
        hub = application_of(request).hub
        try:
            kind = EntityType(entity_type)
        except ValueError:
            kind = None
        view = None
        if kind is not None and session.principal.may_use(kind.value):
            view = record_view(hub, session.principal, kind, record_id)
        if view is None:
            what = f"{entity_type} record {record_id}"
            return render(request, "missing.html", session, status=404, what=what)
        return render(request, "record.html", session, rec=view)

    return page(request, build)


__all__ = ["router"]
