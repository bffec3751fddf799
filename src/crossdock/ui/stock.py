"""Available to promise: per SKU and location, the buckets ATP comes from and what is inbound.

The availability service's answer, as ``GET /v1/availability`` gives it: on
hand, allocated, reserved, safety stock and on hold; ATP and each channel's
view; the inbound receipts by date; and the ATP projection by date, which is
the earliest date each quantity can be promised. The form is a GET (a read).
Bad input (a location the hub does not know, an unknown channel, a SKU too
long) is a message naming the field.
"""

from __future__ import annotations

import re
from datetime import date

from fastapi import APIRouter, Query
from starlette.requests import Request
from starlette.responses import Response

from crossdock.errors import CrossdockError, InvalidInput
from crossdock.services.availability import SkuAvailability
from crossdock.ui.pages import application_of, page, render
from crossdock.ui.session import Session

router = APIRouter()


def field_of(exc: CrossdockError) -> str:
    """The field an error names: its own, else the ``name:`` its message opens with."""
    named = getattr(exc, "field", None)
    if named:
        return str(named)
    head, sep, _ = str(exc).partition(":")
    return head if sep and len(head) <= 40 and " " not in head else "input"


MAX_SKUS = 50
"""SKUs one page shows (the API takes more, but a page of 50 SKUs is already long)."""
_SPLIT = re.compile(r"[\s,]+")


def _codes(name: str, text: str, most: int) -> list[str]:
    values = [v for v in _SPLIT.split(text.strip()) if v]
    if len(values) > most:
        raise InvalidInput(f"{name}: at most {most} at once", field=name)
    for v in values:
        if len(v) > 64 or any(ord(c) < 32 or ord(c) == 127 for c in v):
            raise InvalidInput(f"{name}: {v[:70]!r} is not a {name} code", field=name)
    return list(dict.fromkeys(values))


def _day(text: str) -> date | None:
    if not text.strip():
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError as exc:
        raise InvalidInput(f"date: {text[:40]!r} is not a date (YYYY-MM-DD)", field="date") from exc


@router.get("/stock")
def stock_page(
    request: Request,
    sku: str = Query(default="", max_length=4000),
    location: str = Query(default="", max_length=4000),
    channel: str = Query(default="", max_length=64),
    on: str = Query(default="", alias="date", max_length=40),
) -> Response:
    def build(session: Session) -> Response:
        items: list[SkuAvailability] = []
        problem: tuple[str, str] | None = None
        if sku.strip():
            try:
                skus = _codes("sku", sku, MAX_SKUS)
                locations = _codes("location", location, 100)
                svc = application_of(request).availability
                items = svc.availability(
                    skus, locations=locations, channel=channel.strip() or None, on=_day(on)
                )
            except CrossdockError as exc:
                problem = (field_of(exc), str(exc))
        elif location.strip() or channel.strip() or on.strip():
            problem = ("sku", "sku: give at least one SKU")
        return render(
            request,
            "stock.html",
            session,
            status=422 if problem else 200,
            items=items,
            problem=problem,
            q={"sku": sku, "location": location, "channel": channel, "date": on},
        )

    return page(request, build)


__all__ = ["router"]
