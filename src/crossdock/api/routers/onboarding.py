"""``/v1/customers/{id}/onboarding``: where a new account's onboarding stands, and a person's hand.

Reading needs a reader; starting one by hand (``POST``, 201; a customer
with an account number or an onboarding already 409), approving a waiting
duplicate check or credit application, or retrying a waiting step, needs the
``approve`` scope. A customer without an onboarding answers 404; approving what does not wait
for a person 409; onboarding off in the hub file 422 (problem+json).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field
from starlette.requests import Request

from crossdock.api.auth import Approver, Reader
from crossdock.api.deps import application_of
from crossdock.api.problems import problem_responses
from crossdock.api.routing import AuthFirstRoute
from crossdock.services.customers.onboarding import Standing
from crossdock.store.onboarding_rows import OnboardingStatus, Outcome, Step

router = APIRouter(
    prefix="/customers",
    route_class=AuthFirstRoute,
    tags=["customers"],
    responses=problem_responses(401, 403, 404, 422),
)
CustomerId = Annotated[
    str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_\-]+$", description="customer id")
]


class EntryOut(BaseModel):
    step: Step
    outcome: Outcome
    detail: str
    actor: str
    at: datetime


class OnboardingOut(BaseModel):
    id: int
    customer_id: str
    source_system: str
    step: Step = Field(description="the step it is at (done when finished)")
    status: OnboardingStatus
    reason: str | None = Field(description="what a person must do, when waiting")
    facts: dict[str, Any] = Field(description="what the steps found: credit, territory, account")
    attempts: int
    created_at: datetime
    updated_at: datetime
    timeline: list[EntryOut]

    @classmethod
    def of(cls, st: Standing) -> OnboardingOut:
        r = st.row
        same = {n: getattr(r, n) for n in cls.model_fields if n != "timeline"}
        return cls(
            **same,
            timeline=[
                EntryOut(**{n: getattr(e, n) for n in EntryOut.model_fields}) for e in st.timeline
            ],
        )


class NoteIn(BaseModel):
    note: str | None = Field(default=None, max_length=1000)


@router.get(
    "/{customer_id}/onboarding",
    response_model=OnboardingOut,
    summary="Where the customer's onboarding stands, with its timeline",
)
def show(request: Request, customer_id: CustomerId, _who: Reader) -> OnboardingOut:
    return OnboardingOut.of(application_of(request).onboarding.of_customer(customer_id))


@router.post(
    "/{customer_id}/onboarding",
    response_model=OnboardingOut,
    status_code=201,
    summary="Start the customer's onboarding by hand (no account number yet)",
    responses=problem_responses(409),
)
async def start(request: Request, customer_id: CustomerId, who: Approver) -> OnboardingOut:
    ob = application_of(request).onboarding
    return OnboardingOut.of(await run_in_threadpool(ob.start, customer_id, who.actor))


@router.post(
    "/{customer_id}/onboarding/approve",
    response_model=OnboardingOut,
    summary="Approve a waiting duplicate check (a new customer) or credit application",
    responses=problem_responses(409),
)
async def approve(
    request: Request, customer_id: CustomerId, who: Approver, body: NoteIn | None = None
) -> OnboardingOut:
    ob = application_of(request).onboarding
    row = (await run_in_threadpool(ob.of_customer, customer_id)).row
    await run_in_threadpool(ob.approve, row.id, who.actor, body.note if body else None)
    return OnboardingOut.of(await run_in_threadpool(ob.standing, row.id))


@router.post(
    "/{customer_id}/onboarding/retry",
    response_model=OnboardingOut,
    summary="Do a waiting step again (after the data or the rules were fixed)",
    responses=problem_responses(409),
)
async def retry(request: Request, customer_id: CustomerId, who: Approver) -> OnboardingOut:
    ob = application_of(request).onboarding
    row = (await run_in_threadpool(ob.of_customer, customer_id)).row
    await run_in_threadpool(ob.retry, row.id, who.actor)
    return OnboardingOut.of(await run_in_threadpool(ob.standing, row.id))
