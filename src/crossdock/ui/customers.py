"""The customer review queue: pairs matching could not decide, side by side, for a person.

Each pending task of :meth:`store.customer_match.reviews` (what ``GET
/v1/customers/review`` lists) shows its two candidates' fields next to each
other with the comparison level and weight the matcher gave each, and the total
match weight against the hub's thresholds. *Same customer* and *not a match* are
:meth:`CustomerService.decide` (accept: link the held customer or merge the
pair; reject: keep them apart), audited with the signed-in key's actor, and
need the ``approve`` scope as the API's routes do. Customer data is masked for
the signed-in key as ``GET /v1/records`` masks it.

Below them, onboardings waiting for a person (``GET /v1/customers/{id}/onboarding``
one at a time): a waiting duplicate check or credit application is approved
here (:meth:`Onboarder.approve`, ``approve`` scope, audited); other waits say
what must be fixed first.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Path
from starlette.requests import Request
from starlette.responses import Response

from crossdock.api.keys import Scope
from crossdock.api.masking import Mask
from crossdock.app import Application
from crossdock.model.base import EntityType
from crossdock.services.customers.onboarding import PERSON_STEPS
from crossdock.store.customer_rows import ReviewKind, ReviewRow, ReviewStatus
from crossdock.store.onboarding_rows import OnboardingStatus
from crossdock.ui.acting import act_as, may
from crossdock.ui.pages import PREFIX, application_of, page, render
from crossdock.ui.session import Session

router = APIRouter()
PAGE = 50
DECIDES = Scope.APPROVE


@dataclass(frozen=True, slots=True)
class FieldRow:
    """One compared field: both sides as stored, how they compared, and its weight in bits."""

    field: str
    left: str
    right: str
    level: str
    weight: float | None


@dataclass(frozen=True, slots=True)
class Candidates:
    task: ReviewRow
    left_title: str
    right_title: str
    weight: float
    upper: float | None
    lower: float | None
    fields: list[FieldRow]


def _dicts(value: Any) -> list[Mapping[str, Any]]:
    return [v for v in value if isinstance(v, Mapping)] if isinstance(value, list) else []


def _addresses(data: Mapping[str, Any], key: str) -> list[str]:
    out = []
    for site in _dicts(data.get("sites")):
        addr = site.get("address")
        if isinstance(addr, Mapping) and addr.get(key):
            out.append(str(addr[key]))
    return out


def shown(data: Mapping[str, Any], field: str) -> str:
    """The stored value(s) behind a compared field, as a person reads them."""
    contacts = _dicts(data.get("contacts"))
    values: list[str]
    if field == "name":
        values = [str(data.get("name") or data.get("legal_name") or "")]
    elif field == "street":
        values = _addresses(data, "line1")
    elif field == "city":
        values = _addresses(data, "city")
    elif field == "postcode":
        values = _addresses(data, "postal_code")
    elif field == "phone":
        values = [str(c["phone"]) for c in contacts if c.get("phone")]
    elif field == "email_domain":
        values = [str(c["email"]).rpartition("@")[2] for c in contacts if c.get("email")]
    elif field == "tax_id":
        values = [str(t.get("value")) for t in _dicts(data.get("tax_ids")) if t.get("value")]
    else:
        values = [str(data.get(field) or "")]
    return "; ".join(dict.fromkeys(v for v in values if v)) or "-"


def _sides(app: Application, r: ReviewRow) -> tuple[dict[str, Any], str, dict[str, Any], str]:
    records = app.hub.store.records
    left = records.get(EntityType.CUSTOMER, r.record_id)
    if r.kind is ReviewKind.PAIR and r.other_id:
        right = records.get(EntityType.CUSTOMER, r.other_id)
        return (
            left.data if left else {},
            f"record {r.record_id}",
            right.data if right else {},
            f"record {r.other_id}",
        )
    held = r.held[-1].get("data") if r.held else None
    return (
        left.data if left else {},
        f"record {r.record_id}",
        held if isinstance(held, dict) else {},
        f"incoming from {r.system} ({r.native_id})",
    )


def candidates(app: Application, r: ReviewRow, mask: Mask) -> Candidates:
    """A task's two sides, field by field, masked for the viewer."""
    left, left_title, right, right_title = _sides(app, r)
    left, right = mask.data(left), mask.data(right)
    doc = r.explanation
    thresholds = doc.get("thresholds") if isinstance(doc.get("thresholds"), dict) else {}
    rows = []
    seen = set()
    for c in _dicts(doc.get("comparisons")):
        name = str(c.get("field"))
        seen.add(name)
        w = c.get("weight")
        rows.append(
            FieldRow(
                name,
                shown(left, name),
                shown(right, name),
                str(c.get("level", "")),
                float(w) if isinstance(w, int | float) else None,
            )
        )
    if not rows:  # filed by a person, or matching explained nothing: show the usual fields
        for name in ("name", "street", "city", "postcode", "phone", "email_domain", "tax_id"):
            rows.append(FieldRow(name, shown(left, name), shown(right, name), "-", None))
    up, low = (thresholds or {}).get("upper"), (thresholds or {}).get("lower")
    return Candidates(
        r,
        left_title,
        right_title,
        r.weight,
        float(up) if isinstance(up, int | float) else None,
        float(low) if isinstance(low, int | float) else None,
        rows,
    )


@router.get("/customers/review")
def review_page(request: Request) -> Response:
    def build(session: Session) -> Response:
        app = application_of(request)
        rows = app.hub.store.customer_match.reviews(ReviewStatus.PENDING, after_id=0, limit=PAGE)
        mask = Mask(app.hub.config.masking, EntityType.CUSTOMER, session.principal.viewer)
        return render(
            request,
            "customer_review.html",
            session,
            tasks=[candidates(app, r, mask) for r in rows],
            more=len(rows) == PAGE,
            onboardings=app.hub.store.onboarding.listing(OnboardingStatus.WAITING, limit=PAGE),
            person_steps=PERSON_STEPS,
            may_decide=may(session, DECIDES),
        )

    return page(request, build)


def _decide(request: Request, task_id: int, accept: bool) -> Any:
    app = application_of(request)

    def run(s: Session, f: dict[str, str]) -> str:
        note = f.get("note", "").strip()[:1000] or None
        done = app.customers.decide(task_id, accept=accept, actor=s.principal.actor, note=note)
        if accept:
            return f"Task {task_id}: the same customer ({done.record_id or done.task.record_id})."
        return f"Task {task_id}: not a match; they stay apart."

    return act_as(request, DECIDES, lambda _f: f"{PREFIX}/customers/review", run)


@router.post("/customers/review/{task_id}/merge")
async def same(request: Request, task_id: int = Path(ge=1, le=2**62)) -> Response:
    result: Response = await _decide(request, task_id, True)
    return result


@router.post("/customers/review/{task_id}/apart")
async def apart(request: Request, task_id: int = Path(ge=1, le=2**62)) -> Response:
    result: Response = await _decide(request, task_id, False)
    return result


@router.post("/customers/onboarding/{onboarding_id}/approve")
async def approve_onboarding(
    request: Request, onboarding_id: int = Path(ge=1, le=2**62)
) -> Response:
    app = application_of(request)

    def run(s: Session, f: dict[str, str]) -> str:
        note = f.get("note", "").strip()[:1000] or None
        row = app.onboarding.approve(onboarding_id, s.principal.actor, note)
        return f"Onboarding of {row.customer_id} approved: next, {row.step.value}."

    return await act_as(request, DECIDES, lambda _f: f"{PREFIX}/customers/review", run)


__all__ = ["Candidates", "FieldRow", "candidates", "router", "shown"]
