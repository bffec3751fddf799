"""Four eyes in the planner (no I/O): what waits is held whole, everything else applies.

For any change of a stored customer, the planned record equals the change
applied without the held fields, the held fields are exactly what the rule
(``config/approvals.py``) says, each held field is one proposal naming the
sender, and a change marked approved holds nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from crossdock.config.approvals import waiting_fields
from crossdock.config.customers import Approvals
from crossdock.config.hub import EntityOwnership
from crossdock.config.ownership import OwnershipMatrix
from crossdock.model.base import EntityType
from crossdock.model.change import Change
from crossdock.model.customer import Customer
from crossdock.store import StoredRecord
from crossdock.store.jsoncodec import loads
from crossdock.sync.ingest_plan import ChangePlanner, KeyOwners, WorkingRecord

CUS = EntityType.CUSTOMER
NOW = datetime(2026, 1, 1, tzinfo=UTC)
RULES = Approvals.model_validate({"credit_limit_increase": "500", "credit_limit_increase_pct": 20})
MATRIX = OwnershipMatrix({CUS: EntityOwnership(owner="erp", fields={"*": "erp"})})
STORED = {
    "account_number": "A-1",
    "name": "ACME",
    "credit_limit": "1000",
    "payment_terms": "NET30",
    "tier": "B",
}
IBAN = "GB82WEST12345698765432"

changes = st.fixed_dictionaries(
    {},
    optional={
        "credit_limit": st.integers(0, 4000).map(lambda n: str(Decimal(n))),
        "payment_terms": st.sampled_from(["NET30", "NET60", "NET90"]),
        "tier": st.sampled_from(["A", "B", "C"]),
        "name": st.sampled_from(["ACME", "Acme Corp"]),
        "bank_account": st.just({"iban": IBAN}),
    },
)


def _plan(data: dict[str, Any], approved: bool = False) -> tuple[WorkingRecord, Any]:
    w = WorkingRecord.of(Customer, StoredRecord(CUS, "cus_1", 1, dict(STORED), {}, False))
    planner = ChangePlanner(Customer, CUS, MATRIX, KeyOwners(lambda _: {}), NOW, approvals=RULES)
    c = Change("erp", CUS, "E-1", data, source_ts=NOW, approved=approved)
    return w, planner.plan(c, w)


@settings(max_examples=200, deadline=None)
@given(changes)
def test_the_held_fields_wait_and_the_rest_applies(data: dict[str, Any]) -> None:
    waiting = waiting_fields(RULES, STORED, data)
    w, plan = _plan(data)
    held = {p["field"]: loads(p["value"]) for p in plan.proposals}
    assert held == {k: data[k] for k in waiting}
    assert {p["requested_by"] for p in plan.proposals} <= {"system:erp"}
    rest = {k: v for k, v in data.items() if k not in waiting}
    expected = {**STORED, **rest}
    assert {k: w.data.get(k) for k in expected} == expected
    for k in waiting:
        assert w.data.get(k) == STORED.get(k)

    approved, plan2 = _plan(data, approved=True)
    assert plan2.proposals == []
    assert {k: approved.data.get(k) for k in data} == {
        k: (v if k != "bank_account" else {"iban": IBAN}) for k, v in data.items()
    }


def test_an_increase_under_both_thresholds_applies_and_one_over_waits() -> None:
    w, plan = _plan({"credit_limit": "1100"})
    assert plan.proposals == [] and w.data["credit_limit"] == "1100"
    w, plan = _plan({"credit_limit": "1600", "tier": "A"})
    assert [p["field"] for p in plan.proposals] == ["credit_limit"]
    assert w.data["credit_limit"] == "1000" and w.data["tier"] == "A"
