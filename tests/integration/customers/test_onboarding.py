"""Customer onboarding end to end on SQLite and PostgreSQL, with an in-memory ERP.

A CRM customer without an account number is discovered from the outbox and
walks every step to a party and a written-back account number; each hold
(a likely duplicate, credit above the threshold, a missing or expired
exemption certificate, no territory) waits with its reason until a person
approves or the data is fixed and the step retried; a crash between the ERP
call and its commit makes no second party.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from crossdock.app import Application
from crossdock.connectors.kit.testing import MemoryDestination
from crossdock.errors import ConflictError
from crossdock.services.customers.onboarding import Onboarder
from crossdock.store.customer_rows import ReviewKind
from crossdock.store.onboarding_rows import OnboardingStatus, Outcome, Step

from .onboarding_hub import CUS, cert, change, cust, hub

pytestmark = pytest.mark.integration
TODAY = date(2026, 12, 4)


@pytest.fixture
def app(store_url: str) -> Iterator[Application]:
    application = Application.open(hub(), store_url=store_url)
    yield application
    application.close()


@pytest.fixture
def erp() -> MemoryDestination:
    return MemoryDestination()


@pytest.fixture
def onboarder(app: Application, erp: MemoryDestination) -> Onboarder:
    assert app.hub.config.customers is not None
    return Onboarder(
        app.hub.store, app.hub.config.customers, app.hub.ingestor, lambda _: erp, lambda: TODAY
    )


def ingest(app: Application, *changes: Any) -> None:
    app.hub.ingestor.ingest(list(changes))


def record(app: Application, cid: str) -> dict[str, Any]:
    rec = app.hub.store.records.get(CUS, cid)
    assert rec is not None
    return rec.data


def only(app: Application, system: str, native: str) -> str:
    cid = app.hub.store.crosswalk.resolve(system, CUS, native)
    assert cid is not None
    return cid


def test_a_crm_customer_walks_every_step(
    app: Application, onboarder: Onboarder, erp: MemoryDestination
) -> None:
    ingest(app, change("crm", "C-1", cust("Zenith Tools", credit_limit="5000")))
    cid = only(app, "crm", "C-1")
    report = onboarder.run_once()
    assert (report.started, report.done, report.waiting) == (1, 1, 0)
    st = onboarder.of_customer(cid)
    assert st.row.status is OnboardingStatus.DONE
    assert [(e.step, e.outcome) for e in st.timeline] == [
        (Step.DUPLICATES, Outcome.STARTED),
        *[(s, Outcome.PASSED) for s in list(Step)[:-1]],
    ]
    account = "C000001"
    assert st.row.facts["account_number"] == account
    assert st.row.facts["credit_approved_by"] == "auto"
    assert erp.held[(CUS, cid)]["account_number"] == account
    data = record(app, cid)
    assert (data["account_number"], data["territory"], data["sales_rep"]) == (
        account,
        "midwest",
        "jdoe",
    )
    assert app.hub.store.crosswalk.resolve("erp", CUS, account) == cid
    # the written-back version is an event from the ERP: routes carry it to the CRM and portal
    last = app.hub.store.outbox.history(CUS, cid)[-1]
    assert last.source_system == "erp" and "account_number" in last.changed
    # a second pass finds nothing new and moves nothing
    again = onboarder.run_once()
    assert (again.started, again.moved) == (0, 0)
    assert erp.pushes == 1


def test_an_erp_customer_and_one_with_an_account_number_are_not_onboarded(
    app: Application, onboarder: Onboarder
) -> None:
    ingest(
        app,
        change("erp", "E-1", cust("Ironworks", account_number="A-1")),
        change("crm", "C-2", cust("Copperline", "9 Oak Rd", account_number="A-2")),
    )
    assert onboarder.run_once().started == 0


def test_credit_above_the_threshold_waits_for_a_person(
    app: Application, onboarder: Onboarder
) -> None:
    ingest(app, change("portal", "P-1", cust("Bolt Brothers", credit_limit="25000.50")))
    cid = only(app, "portal", "P-1")
    onboarder.run_once()
    row = onboarder.of_customer(cid).row
    assert (row.step, row.status) == (Step.CREDIT, OnboardingStatus.WAITING)
    assert row.reason is not None and "25000.50" in row.reason and "10000" in row.reason
    onboarder.approve(row.id, "ann")
    with pytest.raises(ConflictError):  # approved once
        onboarder.approve(row.id, "ann")
    onboarder.run_once()
    done = onboarder.of_customer(cid).row
    assert done.status is OnboardingStatus.DONE
    assert done.facts["credit_approved_by"] == "ann"
    assert Decimal(done.facts["credit_limit"]) == Decimal("25000.50")


@pytest.mark.parametrize(
    ("tax_ids", "reason"),
    [
        ([], "no exemption certificate"),
        ([cert("EX-9", "IL", date(2026, 1, 31))], "expired on 2026-01-31"),
        ([cert("EX-9", "WI", date(2027, 1, 31))], "no exemption certificate"),
    ],
)
def test_an_unbacked_tax_exemption_is_held_until_fixed(
    app: Application, onboarder: Onboarder, tax_ids: list[Any], reason: str
) -> None:
    data = cust("Gearhouse", exempt=True, region="IL", tax_ids=tax_ids)
    ingest(app, change("crm", "C-3", data))
    cid = only(app, "crm", "C-3")
    onboarder.run_once()
    row = onboarder.of_customer(cid).row
    assert (row.step, row.status) == (Step.TAX, OnboardingStatus.WAITING)
    assert row.reason is not None and reason in row.reason and "MAIN" in row.reason
    with pytest.raises(ConflictError):  # a tax hold is not waved through
        onboarder.approve(row.id, "ann")
    fixed = {**data, "tax_ids": [cert("EX-10", "IL", date(2027, 6, 30))]}
    ingest(app, change("crm", "C-3", fixed))
    onboarder.retry(row.id, "ann")
    onboarder.run_once()
    assert onboarder.of_customer(cid).row.status is OnboardingStatus.DONE


def test_no_territory_waits_and_a_region_rule_assigns_one(
    app: Application, onboarder: Onboarder
) -> None:
    ingest(
        app,
        change("crm", "C-4", cust("Far North", postcode="99501")),
        change("crm", "C-5", cust("Lone Star", "5 Main St", postcode="73301", region="TX")),
    )
    onboarder.run_once()
    far = onboarder.of_customer(only(app, "crm", "C-4")).row
    assert (far.step, far.status) == (Step.TERRITORY, OnboardingStatus.WAITING)
    assert far.reason is not None and "99501" in far.reason
    star = record(app, only(app, "crm", "C-5"))
    assert (star["territory"], star["sales_rep"]) == ("texas", "mlopez")


def test_a_likely_duplicate_waits_for_a_steward(app: Application, onboarder: Onboarder) -> None:
    # Both arrive before either is indexed (as two systems' first pulls in one batch can):
    # ingest created both; the onboarding's duplicate check is where they meet.
    app.hub.ingestor.matchers.pop(CUS)
    ingest(
        app,
        change("crm", "C-6", cust("ACME Corp.", "12 Main St, Ste 4")),
        change("portal", "P-6", cust("Acme Corporation", "12 Main Street #4")),
    )
    app.customers.reindex()
    a, b = only(app, "crm", "C-6"), only(app, "portal", "P-6")
    onboarder.run_once()
    ra, rb = onboarder.of_customer(a).row, onboarder.of_customer(b).row
    assert (ra.step, ra.status, rb.step, rb.status) == (
        Step.DUPLICATES,
        OnboardingStatus.WAITING,
    ) * 2
    assert ra.facts["duplicate_of"] == b and rb.reason is not None and a in rb.reason
    [task] = app.hub.store.customer_match.reviews()  # one pair task in the stewards' queue
    assert task.kind is ReviewKind.PAIR
    onboarder.approve(ra.id, "steward", note="two sites of one group")
    onboarder.run_once()
    assert onboarder.of_customer(a).row.status is OnboardingStatus.DONE
    # the pair is decided for b too once the steward rules on the pair task
    app.customers.decide(task.id, accept=False, actor="steward")
    onboarder.retry(rb.id, "steward")
    onboarder.run_once()
    assert onboarder.of_customer(b).row.status is OnboardingStatus.DONE


def test_a_crash_after_the_erp_call_makes_no_second_party(
    app: Application, onboarder: Onboarder, erp: MemoryDestination
) -> None:
    ingest(app, change("crm", "C-7", cust("Anvil Inc")))
    cid = only(app, "crm", "C-7")
    onboarder.discover()
    row = onboarder.of_customer(cid).row
    while row.step is not Step.ERP:
        row = onboarder.step(row)
    real = erp.push

    def push_then_die(batch: Any) -> Any:
        real(batch)
        raise KeyboardInterrupt  # the process dies between the ERP's commit and ours

    erp.push = push_then_die  # type: ignore[method-assign]
    with pytest.raises(KeyboardInterrupt):
        onboarder.run_once()
    erp.push = real  # type: ignore[method-assign]
    assert onboarder.of_customer(cid).row.step is Step.ERP  # nothing committed
    onboarder.run_once()
    assert onboarder.of_customer(cid).row.status is OnboardingStatus.DONE
    assert len(erp.held) == 1 and len(erp.applied) == 1


def test_erp_failures_retry_with_backoff_then_wait_with_the_error(
    app: Application, erp: MemoryDestination
) -> None:
    assert app.hub.config.customers is not None
    ahead = [0.0]  # seconds the onboarder's clock runs ahead of the store's

    def clock() -> datetime:
        return datetime.now(UTC) + timedelta(seconds=ahead[0])

    onboarder = Onboarder(
        app.hub.store, app.hub.config.customers, app.hub.ingestor, lambda _: erp,
        lambda: TODAY, clock,
    )  # fmt: skip
    ingest(app, change("crm", "C-8", cust("Rivet Co")))
    cid = only(app, "crm", "C-8")
    erp.failing = "retryable"
    onboarder.run_once()
    row = onboarder.of_customer(cid).row
    assert (row.step, row.status, row.attempts) == (Step.ERP, OnboardingStatus.READY, 1)
    cfg = app.hub.config.customers.onboarding
    assert cfg is not None
    for attempts in range(1, 5):  # 30 s, 60 s, 120 s, 240 s after each failure
        delay = cfg.erp_delay(attempts)
        assert delay == 30 * 2 ** (attempts - 1)
        ahead[0] = delay - 5
        onboarder.run_once()  # still backing off: no try
        assert onboarder.of_customer(cid).row.attempts == attempts
        ahead[0] = delay + 1
        onboarder.run_once()
        assert onboarder.of_customer(cid).row.attempts == attempts + 1
    row = onboarder.of_customer(cid).row
    assert (row.step, row.status, row.attempts) == (Step.ERP, OnboardingStatus.WAITING, 5)
    assert row.reason is not None and "down" in row.reason
    erp.failing = None
    ahead[0] = 0
    onboarder.retry(row.id, "ops")  # a person's retry tries at once
    onboarder.run_once()
    assert onboarder.of_customer(cid).row.status is OnboardingStatus.DONE
