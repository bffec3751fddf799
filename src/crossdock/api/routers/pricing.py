"""Prices: quotes (explained on request), a customer's price book, and whose prices moved.

A quote answers 200 with every line: a priced line, or a problem naming the
line's field (unknown SKU or unit, a quantity not above zero, no price).
The request itself is refused (422, problem+json naming the field) for an
unknown customer or ship-to, or more lines than the hub's limit.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Path, Query
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from crossdock.api.auth import Reader
from crossdock.api.deps import NO_CONTROL, HubDep, PricingDep, SeqAfter
from crossdock.api.masking import cost_hidden, quote_lines_without_cost
from crossdock.api.problems import problem_responses
from crossdock.api.routing import AuthFirstRoute
from crossdock.config.pricing import TIE_BREAK
from crossdock.model.values import CurrencyCode, DecimalValue, UnitCode
from crossdock.services.pricing import (
    PricingService,
    QuoteLine,
    QuoteRequest,
    book_csv,
    book_jsonl,
)
from crossdock.services.pricing.book import line_dict

router = APIRouter(
    prefix="/prices",
    route_class=AuthFirstRoute,
    tags=["prices"],
    responses=problem_responses(401, 403, 422),
)
Text64 = Annotated[str, Field(min_length=1, max_length=64, pattern=NO_CONTROL)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class QuoteLineIn(_In):
    sku: Text64
    quantity: DecimalValue = Field(description="in `unit`; must be above zero")
    unit: UnitCode | None = Field(default=None, description="default: the item's base unit")


class QuoteIn(_In):
    customer: Text64 = Field(description="account number or canonical id")
    ship_to: Text64 | None = None
    channel: Text64 | None = None
    currency: CurrencyCode | None = Field(default=None, description="default: the customer's")
    at: AwareDatetime | None = Field(default=None, description="the instant; default now")
    date: dt.date | None = Field(
        default=None, description="a calendar day, at 00:00 in each list's own time zone"
    )
    lines: list[QuoteLineIn] = Field(min_length=1)


class CandidateOut(BaseModel):
    kind: str
    outcome: str
    list_code: str | None
    list_id: str | None
    priority: int
    method: str | None
    unit_price: str | None
    currency: str | None
    break_min_quantity: str | None = Field(description="in the item's base unit")
    detail: str | None = None


class LineProblemOut(BaseModel):
    field: str
    code: str
    reason: str


class QuoteLineOut(BaseModel):
    index: int
    sku: str | None = None
    quantity: str | None = None
    unit: str | None = None
    base_quantity: str | None = None
    unit_price: str | None = None
    extended_price: str | None = None
    currency: str | None = None
    rule: CandidateOut | None = None
    candidates: list[CandidateOut] | None = None
    problem: LineProblemOut | None = None


class QuoteOut(BaseModel):
    customer: str
    customer_id: str
    ship_to: str | None
    channel: str | None
    currency: str
    tie_break: str
    priced: int
    problems: int
    lines: list[QuoteLineOut]


class PriceChangeOut(BaseModel):
    seq: int
    entity_type: str
    entity_id: str
    customers: list[str] | None = Field(description="account numbers; null: every customer")
    skus: list[str] | None = Field(description="null: the customers' whole books")


class PriceChangesOut(BaseModel):
    items: list[PriceChangeOut]
    next: int = Field(description="pass as `after` for the next page")


def _inline_defs(schema: dict[str, Any]) -> dict[str, Any]:
    """A model's JSON Schema with its ``$defs`` inlined (OpenAPI resolves refs from its root)."""
    defs = schema.pop("$defs", {})

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                return walk(defs[ref.removeprefix("#/$defs/")])
            return {k: walk(v) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    out: dict[str, Any] = walk(schema)
    return out


_QUOTE_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": _inline_defs(QuoteIn.model_json_schema())}},
    }
}


@router.post(
    "/quote",
    response_model=QuoteOut,
    summary="Price lines for a customer, optionally explained",
    openapi_extra=_QUOTE_BODY,
)
async def quote(
    request: Request,
    service: PricingDep,
    hub: HubDep,
    who: Reader,
    explain: bool = Query(default=False, description="list every candidate and why it lost"),
) -> Response:
    # The body is parsed by pydantic-core straight from the bytes (a 1,000-line quote is
    # several times faster than FastAPI's dict-then-validate), then priced off the loop.
    try:
        body = QuoteIn.model_validate_json(await request.body())
    except ValidationError as exc:
        raise RequestValidationError(exc.errors()) from exc
    hide_cost = explain and cost_hidden(hub.config.masking, who.viewer)
    return await run_in_threadpool(_answer, service, body, explain, hide_cost)


def _answer(service: PricingService, body: QuoteIn, explain: bool, hide_cost: bool) -> Response:
    req = QuoteRequest(
        body.customer,
        [QuoteLine(x.sku, x.quantity, x.unit) for x in body.lines],
        body.ship_to,
        body.channel,
        body.currency,
        body.at,
        body.date,
    )
    q = service.quote(req, explain=explain)
    lines = [line_dict(x) for x in q.lines]
    if hide_cost:
        quote_lines_without_cost(lines)
    problems = sum(1 for x in lines if "problem" in x)
    out: dict[str, Any] = {
        "customer": q.customer,
        "customer_id": q.customer_id,
        "ship_to": q.ship_to,
        "channel": q.channel,
        "currency": q.currency,
        "tie_break": TIE_BREAK,
        "priced": len(lines) - problems,
        "problems": problems,
        "lines": lines,
    }
    return Response(orjson.dumps(out), media_type="application/json")


@router.get(
    "/book/{customer}",
    summary="A customer's price book: every sellable SKU at one base unit (JSON Lines or CSV)",
    responses={200: {"content": {"application/x-ndjson": {}, "text/csv": {}}}},
)
def book(
    customer: Annotated[
        str, Path(min_length=1, max_length=64, pattern=NO_CONTROL, description="account number")
    ],
    service: PricingDep,
    _who: Reader,
    channel: str | None = Query(default=None, min_length=1, max_length=64, pattern=NO_CONTROL),
    ship_to: str | None = Query(default=None, min_length=1, max_length=64, pattern=NO_CONTROL),
    currency: str | None = Query(default=None, pattern=r"^[A-Z]{3}$"),
    format: Literal["jsonl", "csv"] = Query(default="jsonl"),
) -> StreamingResponse:
    req = QuoteRequest(customer, [], ship_to, channel, currency)
    items = service.book(req)
    first = next(items, None)  # an unknown customer raises here, before the 200 goes out

    def rows() -> Any:
        if first is not None:
            yield first
        yield from items

    if format == "csv":
        return StreamingResponse(book_csv(rows()), media_type="text/csv")
    return StreamingResponse(book_jsonl(rows()), media_type="application/x-ndjson")


@router.get("/changes", response_model=PriceChangesOut, summary="Whose prices moved after `after`")
def changes(
    service: PricingDep,
    _who: Reader,
    after: SeqAfter = 0,
    limit: int = Query(default=500, ge=1, le=5000),
) -> PriceChangesOut:
    found, nxt = service.changes(after, limit=limit)
    return PriceChangesOut(
        items=[
            PriceChangeOut(
                seq=c.seq,
                entity_type=c.entity_type.value,
                entity_id=c.entity_id,
                customers=c.customers,
                skus=c.skus,
            )
            for c in found
        ],
        next=nxt,
    )


__all__ = ["router"]
