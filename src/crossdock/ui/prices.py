"""Quote explorer: price lines for a customer and see every candidate rule and why it lost.

The form is held to the rules ``POST /v1/prices/quote?explain=true`` holds its
body to (:class:`QuoteIn` repeats them: the console uses no API router), and the answer is
the pricing service's explained quote, masked for the key as the API masks it
(no cost behind the margin floor for a key that may not see cost). The form
is a GET: a quote changes nothing, so a read key uses it too. Bad input (an
unknown customer, a quantity that is no number) is a message naming the
field, never an error page.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.requests import Request
from starlette.responses import Response

from crossdock.api.masking import cost_hidden, quote_lines_without_cost
from crossdock.app import Application
from crossdock.config.pricing import TIE_BREAK
from crossdock.errors import CrossdockError, InvalidInput
from crossdock.model.values import CurrencyCode, DecimalValue, UnitCode
from crossdock.services.pricing import QuoteLine, QuoteRequest
from crossdock.services.pricing.book import line_dict
from crossdock.ui.pages import application_of, page, render
from crossdock.ui.session import Session
from crossdock.ui.stock import field_of

router = APIRouter()
ROWS = 5
"""Empty line rows the form offers (more come back when more were sent)."""
MAX_LINES = 50
_HEAD = ("customer", "ship_to", "channel", "currency", "date")


Text64 = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[^\x00-\x1f\x7f]+$")]


class QuoteLineIn(BaseModel):
    """One line of the form, held to the rules ``POST /v1/prices/quote`` holds its lines to."""

    model_config = ConfigDict(extra="forbid")
    sku: Text64
    quantity: DecimalValue
    unit: UnitCode | None = None


class QuoteIn(BaseModel):
    """The form's head and lines, held to the API's rules for a quote."""

    model_config = ConfigDict(extra="forbid")
    customer: Text64
    ship_to: Text64 | None = None
    channel: Text64 | None = None
    currency: CurrencyCode | None = None
    date: dt.date | None = None
    lines: list[QuoteLineIn] = Field(min_length=1)


@dataclass
class QuoteForm:
    """What the form sent, echoed back into it."""

    head: dict[str, str] = field(default_factory=dict)
    lines: list[tuple[str, str, str]] = field(default_factory=list)

    @property
    def rows(self) -> list[tuple[str, str, str]]:
        return self.lines + [("", "", "")] * max(ROWS - len(self.lines), 1)


def _form(request: Request) -> QuoteForm:
    q = request.query_params
    head = {k: q.get(k, "").strip()[:200] for k in _HEAD}
    skus, qtys, units = q.getlist("sku"), q.getlist("quantity"), q.getlist("unit")
    n = min(max(len(skus), len(qtys), len(units)), MAX_LINES + 1)
    lines = []
    for i in range(n):
        row = tuple(
            (values[i] if i < len(values) else "").strip()[:200] for values in (skus, qtys, units)
        )
        if any(row):
            lines.append((row[0], row[1], row[2]))
    return QuoteForm(head, lines)


def _field_name(loc: tuple[int | str, ...]) -> str:
    """``('lines', 0, 'quantity')`` → ``line 1 quantity``: the form's own words."""
    if len(loc) >= 3 and loc[0] == "lines" and isinstance(loc[1], int):
        return f"line {loc[1] + 1} {loc[2]}".replace("_", " ")
    return ".".join(str(x) for x in loc)  # the form's own input name (ship_to)


def _body(form: QuoteForm) -> QuoteIn:
    if not form.lines:
        raise InvalidInput("give at least one line (SKU and quantity)", field="lines")
    if len(form.lines) > MAX_LINES:
        raise InvalidInput(f"at most {MAX_LINES} lines at once", field="lines")
    doc: dict[str, Any] = {k: v for k, v in form.head.items() if v}
    doc["lines"] = [
        {"sku": s, "quantity": q, **({"unit": u} if u else {})} for s, q, u in form.lines
    ]
    try:
        return QuoteIn.model_validate(doc)
    except ValidationError as exc:
        first = exc.errors()[0]
        name = _field_name(tuple(first["loc"]))
        raise InvalidInput(f"{name}: {first['msg']}", field=name) from exc


def explain(application: Application, session: Session, body: QuoteIn) -> dict[str, Any]:
    """The explained quote as the API answers it (lines as dicts), masked for the key."""
    req = QuoteRequest(
        body.customer,
        [QuoteLine(x.sku, x.quantity, x.unit) for x in body.lines],
        body.ship_to,
        body.channel,
        body.currency,
        None,
        body.date,
    )
    q = application.pricing.quote(req, explain=True)
    lines = [line_dict(x) for x in q.lines]
    if cost_hidden(application.hub.config.masking, session.principal.viewer):
        quote_lines_without_cost(lines)
    return {
        "customer": q.customer,
        "ship_to": q.ship_to,
        "channel": q.channel,
        "currency": q.currency,
        "lines": lines,
    }


@router.get("/prices")
def quote_page(request: Request) -> Response:
    form = _form(request)
    application = application_of(request)

    def build(session: Session) -> Response:
        quote: dict[str, Any] | None = None
        problem: tuple[str, str] | None = None
        if form.lines or any(form.head.values()):  # else: the empty form
            try:
                quote = explain(application, session, _body(form))
            except CrossdockError as exc:
                problem = (field_of(exc), str(exc))
        return render(
            request,
            "prices.html",
            session,
            status=422 if problem else 200,
            form=form,
            quote=quote,
            problem=problem,
            tie_break=TIE_BREAK,
        )

    return page(request, build)


__all__ = ["router"]
