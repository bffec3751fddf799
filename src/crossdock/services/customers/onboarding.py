"""Customer onboarding: a durable workflow per new account, driven by a pump the sync loop runs.

The choice (the same as the order engine's): no workflow library, the
store's own state machine. Each onboarding is one row (step, status,
reason, facts, version); each step is one transaction that moves the row
by compare-and-set and writes a timeline entry, with the step's own writes
in the same transaction. The one side effect outside the store, creating
the ERP party, is idempotent by the account number: it is minted and
committed before the ERP is called, and the ERP connector finds a party by
that code before creating one. So ``kill -9`` at any point leaves the row
at the step it had reached and the next pass does that step again without
a second party.

Trigger: the pump reads the outbox (its own cursor) for customers whose
first version came from one of ``customers.onboarding.sources`` without an
account number; discovery and its cursor commit together. Driven by the
outbox, a customer typed in the CRM or self-registered on the portal is
onboarded however it arrived (pull, webhook, API), and nothing in ingest
has to know about onboarding.

Steps: duplicates (the matcher; a likely duplicate waits for a steward) →
credit (auto-approved up to a threshold, else waits for a person) → tax
(exemption certificate by region and expiry, else held with the reason) →
territory (hub-file rules; mints the account number) → erp (the party,
through the ERP system's destination) → writeback (the account number,
territory and rep ingested as the ERP's change in one transaction with the
move to ``done``; the routes deliver that version to the CRM and portal).
A failed ERP try waits ``erp_backoff_seconds`` before the next (doubled per
failure in a row, capped by ``erp_backoff_max_seconds``; counted from the
row's last move, so a restart keeps the wait); after ``max_attempts`` a
person is asked, and a person's retry tries at once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from crossdock.config.customers import CustomersConfig
from crossdock.config.onboarding import OnboardingConfig
from crossdock.errors import ConflictError, InvalidInput, NotFound
from crossdock.model.base import EntityType
from crossdock.model.change import Change, ChangeOp
from crossdock.model.customer import Customer
from crossdock.services.customers import onboarding_rules as rules
from crossdock.services.customers.matcher import Models
from crossdock.services.customers.profile import blocking_keys, profile
from crossdock.store import leases
from crossdock.store.customer_rows import (
    NewReview,
    ReviewKind,
    ReviewStatus,
    incoming_key,
    pair_key,
)
from crossdock.store.onboarding_rows import (
    OnboardingRow,
    OnboardingStatus,
    Outcome,
    Step,
    TimelineEntry,
    Transition,
)
from crossdock.sync.direct import Destinations, push_one
from crossdock.sync.ingest import Ingestor

log = logging.getLogger(__name__)
CUS = EntityType.CUSTOMER
READY, WAITING, DONE = OnboardingStatus.READY, OnboardingStatus.WAITING, OnboardingStatus.DONE
LEASE = "customers.onboarding"
"""The lease one pump at a time holds: two pumps must not both call the ERP for one account."""
PERSON_STEPS = (Step.DUPLICATES, Step.CREDIT)
"""Steps a person's approval moves on (a steward's "not a duplicate", a credit approval)."""


@dataclass(frozen=True, slots=True)
class PassReport:
    started: int
    moved: int
    waiting: int
    done: int


@dataclass(frozen=True, slots=True)
class Standing:
    """Where one onboarding stands, with its timeline."""

    row: OnboardingRow
    timeline: list[TimelineEntry]


class Onboarder:
    """Discovers new accounts and moves each onboarding one committed step at a time."""

    def __init__(
        self,
        store: Any,
        customers: CustomersConfig,
        ingestor: Ingestor,
        destination: Destinations,
        today: Callable[[], date] = lambda: datetime.now(UTC).date(),
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        if customers.onboarding is None:
            raise InvalidInput(
                "onboarding is off: add customers.onboarding to the hub file",
                field="customers.onboarding",
            )
        self.store = store
        self.customers = customers
        self.cfg: OnboardingConfig = customers.onboarding
        self.ingestor = ingestor
        self.destination = destination
        self.today = today
        self.clock = clock
        self.models = Models(store.customer_match, customers)

    # -- the pump -------------------------------------------------------------------------
    def discover(self, limit: int = 500) -> int:
        """Start an onboarding for each new account since the cursor; how many started."""
        started = 0
        while True:
            pos = self.store.onboarding.position()
            events = self.store.outbox.after(pos, limit=limit, entity_types=[CUS])
            if not events:
                return started
            found = [
                (e.entity_id, e.source_system)
                for e in events
                if e.version == 1
                and e.op is ChangeOp.UPSERT
                and e.source_system in self.cfg.sources
                and not e.data.get("account_number")
            ]
            with self.store.write() as tx:
                started += len(self.store.onboarding.start(tx, found, events[-1].seq))

    def pump(self, owner: str, ttl: float = 120.0) -> PassReport | None:
        """One pass under the hub-wide lease (``None``: another process holds it).

        A process restarted under the same ``owner`` takes its lease back at once;
        another waits for ``ttl`` after a crash.
        """
        token = leases.acquire(self.store, LEASE, 0, owner, ttl)
        if token is None:
            return None
        try:
            return self.run_once()
        finally:
            leases.release(self.store, LEASE, 0, owner, token)

    def run_once(self, limit: int = 200) -> PassReport:
        """Discover, then move every ready onboarding as far as it goes in this pass."""
        started = self.discover()
        moved = 0
        now = self.clock()
        for row in self.store.onboarding.listing(READY, limit=limit):
            if self._backing_off(row, now):
                continue
            while row.status is READY:
                try:
                    after = self.step(row)
                except ConflictError:
                    break  # another pump moved it; it goes on from there
                moved += 1
                if after.step is row.step and after.status is READY:
                    break  # a failed try (the ERP down): the next pass tries again
                row = after
        waiting = len(self.store.onboarding.listing(WAITING, limit=limit))
        done = len(self.store.onboarding.listing(DONE, limit=limit))
        return PassReport(started, moved, waiting, done)

    def _backing_off(self, row: OnboardingRow, now: datetime) -> bool:
        """An ERP step that failed waits out its backoff (from its last failure) first."""
        if row.step is not Step.ERP or row.attempts <= 0:
            return False
        last = row.updated_at if row.updated_at.tzinfo else row.updated_at.replace(tzinfo=UTC)
        return now < last + timedelta(seconds=self.cfg.erp_delay(row.attempts))

    def step(self, row: OnboardingRow) -> OnboardingRow:
        """Do ``row``'s current step once; the row as committed after it."""
        rec = self.store.records.get(CUS, row.customer_id)
        if rec is None or rec.deleted:
            gone = "the customer was deleted"
            return self._move(
                row, Transition(row.step, WAITING, Outcome.WAITING, gone, reason=gone)
            )
        customer = Customer.model_validate(rec.data)
        if row.step is Step.DUPLICATES:
            return self._decided(row, self._duplicates(row, rec.data))
        if row.step is Step.CREDIT:
            return self._decided(row, rules.credit(customer, self.cfg))
        if row.step is Step.TAX:
            return self._decided(row, rules.tax(customer, self.cfg, self.today()))
        if row.step is Step.TERRITORY:
            verdict = rules.territory(customer, self.cfg)
            if verdict.passed:
                # minted and committed before the ERP is called: the party's code on every try
                # (an account number the customer got meanwhile, say from the ERP, wins)
                account = customer.account_number or f"{self.cfg.account_prefix}{row.id:06d}"
                verdict = rules.Verdict(
                    True, verdict.detail, {**verdict.facts, "account_number": account}
                )
            return self._decided(row, verdict)
        if row.step is Step.ERP:
            return self._erp(row, rec.data)
        if row.step is Step.WRITEBACK:
            return self._writeback(row)
        return row

    # -- steps ----------------------------------------------------------------------------
    def _duplicates(self, row: OnboardingRow, data: dict[str, Any]) -> rules.Verdict:
        """The best other customer a steward has not already ruled on, if likely the same."""
        me = profile(row.customer_id, data)
        if not me.matchable:
            return rules.Verdict(True, "nothing to match on (no name)")
        keys = blocking_keys(me)
        ids = self.store.customer_match.candidates(keys, self.customers.candidates + 1)
        model = self.models.current()
        best: tuple[float, str] | None = None
        for rid in ids:
            other = self.store.records.get(CUS, rid)
            if rid == row.customer_id or other is None or other.deleted or self._ruled(row, rid):
                continue
            w = model.score(me, profile(rid, other.data)).total
            if best is None or (w, rid) > best:
                best = (w, rid)
        if best is None or best[0] < self.customers.lower:
            return rules.Verdict(True, "no likely duplicate")
        weight, other_id = best
        # The pair joins the stewards' queue too, where a merge can be decided.
        self.store.customer_match.file(
            [NewReview(pair_key(row.customer_id, other_id), ReviewKind.PAIR, row.customer_id,
                       weight, {"weight": weight, "by": "onboarding"}, other_id=other_id)]
        )  # fmt: skip
        return rules.Verdict(
            False,
            f"likely duplicate of {other_id} (match weight {weight:.1f}, review from "
            f"{self.customers.lower}): a steward approves it as a new customer or merges it",
            {"duplicate_of": other_id, "duplicate_weight": round(weight, 4)},
        )

    def _ruled(self, row: OnboardingRow, other_id: str) -> bool:
        """Whether a steward already decided this pair (never asked twice)."""
        task = self.store.customer_match.find(pair_key(row.customer_id, other_id))
        if task is not None and task.status is not ReviewStatus.PENDING:
            return True
        for system, native in self.store.crosswalk.native_ids(CUS, row.customer_id):
            held = self.store.customer_match.find(incoming_key(system, native))
            if held is not None and held.status is ReviewStatus.REJECTED:
                return bool(held.record_id == other_id)
        return False

    def _decided(self, row: OnboardingRow, v: rules.Verdict) -> OnboardingRow:
        if v.passed:
            return self._move(
                row, Transition(row.step.next, READY, Outcome.PASSED, v.detail, facts=v.facts)
            )
        return self._move(
            row,
            Transition(
                row.step, WAITING, Outcome.WAITING, v.detail, reason=v.detail, facts=v.facts
            ),
        )

    def _erp(self, row: OnboardingRow, data: dict[str, Any]) -> OnboardingRow:
        account = str(row.facts["account_number"])
        known = [
            n for s, n in self.store.crosswalk.native_ids(CUS, row.customer_id) if s == self.cfg.erp
        ]
        data = {
            **data,
            "account_number": account,
            "territory": row.facts.get("territory"),
            "sales_rep": row.facts.get("sales_rep"),
        }
        pushed = push_one(
            self.destination,
            self.cfg.erp,
            delivery_id=f"onboarding-{row.id}",
            entity_type=CUS,
            entity_id=row.customer_id,
            data=data,
            native_id=known[0] if known else None,
            source_system=self.cfg.writer,
        )
        if not pushed.delivered:
            return self._erp_failed(row, pushed.error or "no answer", pushed.permanent)
        party = pushed.native_id or account
        detail = f"party {party} ({account}) in {self.cfg.erp}"
        return self._move(
            row, Transition(Step.WRITEBACK, READY, Outcome.PASSED, detail, facts={"party": party})
        )

    def _erp_failed(self, row: OnboardingRow, error: str, permanent: bool = False) -> OnboardingRow:
        attempts = row.attempts + 1
        if permanent or attempts >= self.cfg.max_attempts:
            reason = f"{self.cfg.erp} refused the party after {attempts} tries: {error}"
            return self._move(row, Transition(Step.ERP, WAITING, Outcome.FAILED, error,
                              reason=reason, attempts=attempts))  # fmt: skip
        return self._move(
            row, Transition(Step.ERP, READY, Outcome.FAILED, error, attempts=attempts)
        )

    def _writeback(self, row: OnboardingRow) -> OnboardingRow:
        party = str(row.facts["party"])
        change = Change(
            system=self.cfg.writer,
            entity_type=CUS,
            native_id=party,
            data={k: row.facts[k] for k in ("account_number", "territory", "sales_rep")},
            idempotency_key=f"onboarding:{row.id}",
        )
        with self.store.write() as tx:
            wanted = {(s, party) for s in (self.cfg.writer, self.cfg.erp)}
            have = tx.crosswalk_lookup(CUS, sorted(wanted))
            new = [(s, n, row.customer_id) for s, n in sorted(wanted) if (s, n) not in have]
            if new:
                tx.add_crosswalk(CUS, new, datetime.now(UTC))
            report = self.ingestor.apply_in(tx, [change])
            detail = (
                f"account number {row.facts['account_number']} written back as {self.cfg.writer}"
            )
            if report.exceptions:
                detail += f" ({report.exceptions} exception(s): see crossdock exceptions)"
            done: OnboardingRow = self.store.onboarding.transition(
                tx, row, Transition(Step.DONE, DONE, Outcome.PASSED, detail)
            )
        return done

    def _move(
        self, row: OnboardingRow, move: Transition, audit: str | None = None
    ) -> OnboardingRow:
        with self.store.write() as tx:
            moved: OnboardingRow = self.store.onboarding.transition(tx, row, move)
            if audit is not None:  # a person's hand is in the audit log too
                tx.audit(
                    move.actor,
                    audit,
                    f"customer/{row.customer_id}",
                    {"onboarding": row.id, "step": row.step.value, "detail": move.detail},
                )
        return moved

    # -- a person's hand ------------------------------------------------------------------
    def standing(self, onboarding_id: int) -> Standing:
        row = self.store.onboarding.get(onboarding_id)
        if row is None:
            raise NotFound(f"onboarding {onboarding_id} does not exist")
        return Standing(row, self.store.onboarding.timeline(row.id))

    def of_customer(self, customer_id: str) -> Standing:
        row = self.store.onboarding.of_customer(customer_id)
        if row is None:
            raise NotFound(f"customer {customer_id} has no onboarding")
        return Standing(row, self.store.onboarding.timeline(row.id))

    def start(self, customer_id: str, actor: str) -> Standing:
        """Start an onboarding for a customer by hand (one the pump did not pick up); audited.

        The customer must be live and have no account number yet (the workflow mints
        one); a customer onboarded already is a conflict. Its source is the system that
        knows it first (or ``crossdock``). The row, its first timeline entry and the
        audit entry commit together; the next pump pass moves it.
        """
        with self.store.write() as tx:
            rec = tx.load_records(CUS, [customer_id]).get(customer_id)
            if rec is None or rec.deleted:
                raise NotFound(f"customer {customer_id} does not exist")
            acct = rec.data.get("account_number")
            if acct:
                raise ConflictError(
                    f"customer {customer_id} has account number {acct} already: "
                    "onboarding mints one, so it does not start for this customer"
                )
            known = self.store.crosswalk.native_ids(CUS, customer_id)
            system = known[0][0] if known else "crossdock"
            started = self.store.onboarding.start(tx, [(customer_id, system)], 0)
            if not started:
                raise ConflictError(f"customer {customer_id} has an onboarding already")
            tx.audit(
                actor, "customer.onboarding.start", f"customer/{customer_id}",
                {"onboarding": started[0], "source_system": system},
            )  # fmt: skip
        return self.standing(started[0])

    def approve(self, onboarding_id: int, actor: str, note: str | None = None) -> OnboardingRow:
        """A person's yes to a waiting duplicate check or credit application: the next step."""
        row = self.standing(onboarding_id).row
        if row.status is not WAITING or row.step not in PERSON_STEPS:
            raise ConflictError(
                f"onboarding {onboarding_id} is {row.status.value} at {row.step.value}: "
                "only a waiting duplicate check or credit application is approved "
                "(fix the data and retry the others)"
            )
        facts: dict[str, Any] = {}
        if row.step is Step.CREDIT:
            facts = {"credit_limit": row.facts.get("credit_requested"), "credit_approved_by": actor}
        what = "not a duplicate" if row.step is Step.DUPLICATES else "credit approved"
        detail = what + (f": {note}" if note else "")
        move = Transition(row.step.next, READY, Outcome.APPROVED, detail, facts=facts, actor=actor)
        return self._move(row, move, "customer.onboarding.approve")

    def retry(self, onboarding_id: int, actor: str) -> OnboardingRow:
        """Do a waiting onboarding's step again (after the data or the rules were fixed)."""
        row = self.standing(onboarding_id).row
        if row.status is not WAITING:
            raise ConflictError(f"onboarding {onboarding_id} is {row.status.value}, not waiting")
        move = Transition(row.step, READY, Outcome.RETRIED, "retry asked", actor=actor)
        return self._move(row, move, "customer.onboarding.retry")


__all__ = ["Onboarder", "PassReport", "Standing"]
