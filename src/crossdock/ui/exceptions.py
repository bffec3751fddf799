"""Exception pages: the queue with its filters, one exception's input beside its reason, actions.

The actions are the API's (:meth:`Hub.retry_exception` for retry and fix,
the store's audited status change for dismiss), run with the signed-in key's
actor, so the audit log names who did it.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query
from starlette.requests import Request
from starlette.responses import Response

from crossdock.errors import ConflictError, InvalidInput, NotFound
from crossdock.model.base import EntityType
from crossdock.store import ExceptionStatus
from crossdock.sync.runtime import Hub
from crossdock.ui.pages import PREFIX, RowId, act, application_of, page, render
from crossdock.ui.session import Session

router = APIRouter()

AGES = {"": None, "1h": timedelta(hours=1), "1d": timedelta(days=1), "7d": timedelta(days=7)}
"""The age filter: older than this."""
PAGE = 100
RETRY_ALL_MAX = 1000
"""At most this many exceptions are retried by one "retry all of this code"."""


def _filters(system: str, entity: str, code: str, age: str) -> dict[str, Any]:
    return {
        "system": system or None,
        "entity_type": entity or None,
        "code": code or None,
        "age": AGES.get(age),
    }


@router.get("/exceptions")
def exceptions_page(
    request: Request,
    system: str = Query(default="", max_length=64),
    entity: str = Query(default="", max_length=32),
    code: str = Query(default="", max_length=64),
    age: str = Query(default="", max_length=4),
) -> Response:
    def build(session: Session) -> Response:
        hub = application_of(request).hub
        f = _filters(system, entity, code, age)
        before = hub.clock.now() - f["age"] if f["age"] else None
        rows = hub.store.exceptions.page(
            status=ExceptionStatus.OPEN,
            limit=PAGE,
            system=f["system"],
            entity_type=f["entity_type"],
            code=f["code"],
            created_before=before,
        )
        return render(
            request,
            "exceptions.html",
            session,
            rows=rows,
            more=len(rows) == PAGE,
            systems=[s.name for s in hub.config.systems],
            entities=[e.value for e in EntityType],
            ages=list(AGES),
            chosen={"system": system, "entity": entity, "code": code, "age": age},
        )

    return page(request, build)


def _load(hub: Hub, exc_id: int) -> Any:
    row = hub.store.exceptions.get(exc_id)
    if row is None:
        raise NotFound(f"no exception {exc_id}")
    return row


@router.get("/exceptions/{exc_id}")
def exception_page(request: Request, exc_id: RowId) -> Response:
    def build(session: Session) -> Response:
        hub = application_of(request).hub
        row = hub.store.exceptions.get(exc_id)
        if row is None:
            return render(request, "missing.html", session, status=404, what=f"exception {exc_id}")
        payload = row.payload or {}
        data = payload.get("data") if isinstance(payload.get("data"), dict) else None
        current = _at(data, row.field) if data is not None and row.field else None
        record = None
        if row.entity_type and row.native_id:
            try:
                kind = EntityType(row.entity_type)
            except ValueError:
                kind = None
            rid = hub.store.crosswalk.resolve(row.system, kind, row.native_id) if kind else None
            record = (kind.value, rid) if kind and rid else None
        return render(
            request,
            "exception.html",
            session,
            row=row,
            raw=json.dumps(row.payload, indent=2, ensure_ascii=False, default=str),
            fixable=data is not None,
            current=current,
            record=record,
        )

    return page(request, build)


def _at(data: dict[str, Any], path: str) -> str | None:
    node: Any = data
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node if isinstance(node, str) else json.dumps(node, default=str)


def parse_value(text: str) -> Any:
    """A typed value as a person writes it: JSON objects, lists, true/false/null; else the text.

    Numbers stay text: the canonical model reads ``"12.50"`` as an exact Decimal,
    where JSON would make it a float first.
    """
    stripped = text.strip()
    if stripped[:1] in "{[" or stripped in ("true", "false", "null"):
        try:
            return json.loads(stripped)
        except ValueError as exc:
            raise InvalidInput(f"value is not valid JSON: {exc}", field="value") from None
    return text


def with_value(data: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A copy of ``data`` with the dotted ``path`` set to ``value``."""
    parts = [p.strip() for p in path.split(".")]
    if not all(parts):
        raise InvalidInput(f"{path!r} is not a dotted field path", field="field")
    out = json.loads(json.dumps(data, default=str))
    node = out
    for part in parts[:-1]:
        child = node.get(part)
        if not isinstance(child, dict):
            child = node[part] = {}
        node = child
    node[parts[-1]] = value
    return dict(out)


def _retry(hub: Hub, session: Session, exc_id: int, fields: dict[str, str]) -> str:
    row = _load(hub, exc_id)
    data = None
    path = fields.get("field", "").strip()
    if path:
        payload = row.payload or {}
        kept = payload.get("data")
        if not isinstance(kept, dict):
            raise InvalidInput("this exception kept a raw row; it can be retried, not corrected")
        data = with_value(kept, path, parse_value(fields.get("value", "")))
    report = hub.retry_exception(exc_id, actor=session.principal.actor, data=data)
    if report.exceptions:
        return f"Exception {exc_id} retried; it failed again and a new exception was filed."
    fixed = f" with {path} corrected" if path else ""
    return f"Exception {exc_id} retried{fixed} and resolved."


@router.post("/exceptions/{exc_id}/retry")
async def retry(request: Request, exc_id: RowId) -> Response:
    hub = application_of(request).hub
    return await act(
        request,
        lambda _f: f"{PREFIX}/exceptions/{exc_id}",
        lambda s, f: _retry(hub, s, exc_id, f),
    )


def _dismiss(hub: Hub, session: Session, exc_id: int, fields: dict[str, str]) -> str:
    row = _load(hub, exc_id)
    note = fields.get("note", "").strip()
    if not note:
        raise InvalidInput("say why it is dismissed", field="note")
    if row.status is not ExceptionStatus.OPEN:
        raise ConflictError(f"exception {exc_id} is {row.status.value}, not open")
    hub.store.exceptions.set_status(
        exc_id, ExceptionStatus.DISMISSED, actor=session.principal.actor, note=note[:2000]
    )
    return f"Exception {exc_id} dismissed."


@router.post("/exceptions/{exc_id}/dismiss")
async def dismiss(request: Request, exc_id: RowId) -> Response:
    hub = application_of(request).hub
    return await act(
        request,
        lambda _f: f"{PREFIX}/exceptions/{exc_id}",
        lambda s, f: _dismiss(hub, s, exc_id, f),
    )


def _retry_code(hub: Hub, session: Session, fields: dict[str, str]) -> str:
    code = fields.get("code", "").strip()
    if not code:
        raise InvalidInput("choose the error code to retry", field="code")
    rows = hub.store.exceptions.page(code=code, limit=RETRY_ALL_MAX)
    resolved = failed = 0
    for row in rows:
        try:
            report = hub.retry_exception(row.id, actor=session.principal.actor)
        except (InvalidInput, NotFound):
            failed += 1
            continue
        if report.exceptions:
            failed += 1
        else:
            resolved += 1
    return (
        f"Retried {len(rows)} exceptions with code {code}: "
        f"{resolved} resolved, {failed} failed again."
    )


@router.post("/exceptions/retry-code")
async def retry_code(request: Request) -> Response:
    hub = application_of(request).hub
    return await act(
        request,
        lambda f: f"{PREFIX}/exceptions?" + urlencode({"code": f.get("code", "")}),
        lambda s, f: _retry_code(hub, s, f),
    )


__all__ = ["parse_value", "router", "with_value"]
