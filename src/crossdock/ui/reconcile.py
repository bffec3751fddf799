"""Reconciliation: each system's last drift report, drift by kind, the differing records; heal.

The reports are the ones ``crossdock reconcile`` keeps
(:class:`~crossdock.sync.reconcile_log.ReconcileLog`). Values are masked for
the signed-in key as the API masks records, and drifts of entity types the key
may not use are left out. Healing applies each drift's remedy through
:meth:`Hub.heal` (the CLI's ``--heal``), audited with the key's actor; it needs
an admin key and heals a report once (the log's claim).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from crossdock.api.auth import Principal
from crossdock.api.keys import Scope
from crossdock.api.masking import Mask
from crossdock.config.masking import masked_path
from crossdock.errors import CrossdockError
from crossdock.sync.reconcile import Drift
from crossdock.sync.reconcile_log import HEAD, ReconcileLog, StoredReport
from crossdock.sync.runtime import Hub
from crossdock.ui.pages import PREFIX, application_of, back, page, render
from crossdock.ui.session import NotSignedIn, Refused, Session, check_post, session_of

router = APIRouter()
HIDDEN = "(masked)"


@dataclass(frozen=True, slots=True)
class DriftRow:
    kind: str
    entity_type: str
    native_id: str | None
    entity_id: str | None
    field: str | None
    system_value: str
    hub_value: str
    remedy: str
    route: str | None
    owner: str | None


@dataclass(frozen=True, slots=True)
class SystemReport:
    stored: StoredReport
    counts: list[tuple[str, int]]
    by_remedy: list[tuple[str, int]]
    rows: list[DriftRow]
    hidden_types: int
    """Drifts of entity types the key may not read (counted, not listed)."""


def _show(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True, default=str)[:400]
    return str(value)


def _row(d: Drift, mask: Mask) -> DriftRow:
    sv: Any = d.system_value
    hv: Any = d.hub_value
    if d.field is not None and mask.hidden and masked_path(d.field, mask.hidden):
        sv = hv = HIDDEN
    else:
        sv = mask.data(sv) if isinstance(sv, dict) else sv
        hv = mask.data(hv) if isinstance(hv, dict) else hv
    return DriftRow(
        d.kind.value,
        d.entity_type.value,
        d.native_id,
        d.entity_id,
        d.field,
        _show(sv),
        _show(hv),
        d.remedy.value,
        d.route,
        d.owner,
    )


def _view(hub: Hub, who: Principal, stored: StoredReport) -> SystemReport:
    counts: dict[str, int] = {}
    remedies: dict[str, int] = {}
    hidden = 0
    for c in stored.counts:
        if not who.may_use(c.entity_type.value):
            hidden += c.count
            continue
        counts[c.kind.value] = counts.get(c.kind.value, 0) + c.count
        remedies[c.remedy.value] = remedies.get(c.remedy.value, 0) + c.count
    masks: dict[str, Mask] = {}
    rows = []
    for d in stored.head:
        et = d.entity_type
        if who.may_use(et.value):
            mask = masks.setdefault(et.value, Mask(hub.config.masking, et, who.viewer))
            rows.append(_row(d, mask))
    return SystemReport(stored, sorted(counts.items()), sorted(remedies.items()), rows, hidden)


def may_heal(session: Session) -> bool:
    return Scope.ADMIN in session.principal.scopes


@router.get("/reconcile")
def reconcile_page(request: Request) -> Response:
    def build(session: Session) -> Response:
        hub = application_of(request).hub
        reports = [_view(hub, session.principal, s) for s in ReconcileLog(hub.store).latest()]
        known = {r.stored.system for r in reports}
        never = [s.name for s in hub.config.systems if s.name not in known]
        return render(
            request,
            "reconcile.html",
            session,
            reports=reports,
            never=never,
            shown=HEAD,
            may_heal=may_heal(session),
        )

    return page(request, build)


def _heal(hub: Hub, system: str, run_id: str, actor: str) -> str:
    log = ReconcileLog(hub.store)
    log.claim(system, run_id, actor=actor)
    try:
        outcome = hub.heal(log.report(system, run_id), actor=actor)
    except Exception:
        log.release(system, run_id)
        raise
    log.record_outcome(system, run_id, outcome)
    return (
        f"Healed {system}: {outcome['ingested']} record(s) taken from the system "
        f"({outcome['changed']} changed, {outcome['exceptions']} exceptions), "
        f"{outcome['resent']} re-sent ({outcome['delivered']} delivered), "
        f"{outcome['left_for_a_person']} left for a person. Run reconcile again to check."
    )


@router.post("/reconcile/{system}/heal")
async def heal(request: Request, system: str) -> Response:
    """Apply the remedies of ``system``'s last report (admin keys only, once per report)."""
    application = application_of(request)
    try:
        session = await run_in_threadpool(session_of, request, application)
    except NotSignedIn:
        return HTMLResponse("Not signed in.", status_code=401)
    try:
        fields = await check_post(request, session)
    except Refused as refused:
        return HTMLResponse(refused.reason, status_code=refused.status)
    if not may_heal(session):
        return HTMLResponse("Healing needs an admin key.", status_code=403)
    actor = session.principal.actor
    try:
        done = (
            "ok",
            await run_in_threadpool(_heal, application.hub, system, fields.get("run", ""), actor),
        )
    except CrossdockError as exc:
        done = ("error", str(exc))
    return back(request, f"{PREFIX}/reconcile", done)


__all__ = ["router"]
