"""The store's repositories as Protocols: what callers may ask, whatever holds the data.

The SQL repositories (``crossdock.store.repos``) and the in-memory twin
(``crossdock.store.memory``) both satisfy these; one contract suite
(tests/integration/store/test_repository_contract.py) holds them to the same answers.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol

from crossdock.model.base import EntityType
from crossdock.store.customer_rows import MergeRow, NewReview, ReviewRow, ReviewStatus
from crossdock.store.fulfil_rows import AppliedLine, DocKind, InvoiceBalance, LedgerLine
from crossdock.store.onboarding_rows import (
    OnboardingRow,
    OnboardingStatus,
    TimelineEntry,
    Transition,
)
from crossdock.store.order_rows import (
    Decide,
    LineRow,
    MayAmend,
    Move,
    NewOrder,
    Opened,
    OrderRow,
    OrderState,
    Promises,
    ReservationLink,
    Step,
    StepRow,
)
from crossdock.store.records import (
    EventRow,
    ExceptionRow,
    ExceptionStatus,
    Keyed,
    KeyLookup,
    ParkedRow,
    ParkedStatus,
    RouteCursor,
    StoredRecord,
)
from crossdock.store.write import WriteTx


class Records(Protocol):
    """Canonical records."""

    def get(self, entity_type: EntityType, record_id: str) -> StoredRecord | None: ...

    def get_many(
        self, entity_type: EntityType, record_ids: Sequence[str]
    ) -> dict[str, StoredRecord]: ...

    def data_by_keys(self, lookups: Sequence[KeyLookup]) -> list[dict[str, Keyed]]: ...

    def page(
        self,
        entity_type: EntityType,
        *,
        after_id: str | None = None,
        limit: int = 100,
        include_deleted: bool = False,
    ) -> list[StoredRecord]: ...

    def iter(self, entity_type: EntityType, *, page: int = 2000) -> Iterator[StoredRecord]: ...

    def changed_after(
        self, after: int, entity_types: Sequence[EntityType], *, limit: int = 5000
    ) -> list[tuple[int, EntityType, str]]: ...

    def as_of(
        self, entity_type: EntityType, record_id: str, at: datetime
    ) -> dict[str, Any] | None: ...

    def count(self) -> dict[str, int]: ...


class Crosswalk(Protocol):
    """Native ids <-> canonical ids, and natural keys."""

    def resolve(self, system: str, entity_type: EntityType, native_id: str) -> str | None: ...

    def native_ids(self, entity_type: EntityType, canonical_id: str) -> list[tuple[str, str]]: ...

    def native_ids_of(
        self, entity_type: EntityType, canonical_ids: Sequence[str]
    ) -> dict[str, list[tuple[str, str]]]: ...

    def native_ids_for(
        self, entity_type: EntityType, system: str, canonical_ids: Sequence[str]
    ) -> dict[str, str]: ...

    def of_system(self, system: str, entity_type: EntityType) -> dict[str, str]: ...

    def find_by_key(self, entity_type: EntityType, kind: str, value: str) -> str | None: ...

    def find_by_keys(
        self, entity_type: EntityType, kind: str, values: Sequence[str]
    ) -> dict[str, str]: ...


class Outbox(Protocol):
    """The outbox, read in sequence order."""

    def after(
        self,
        after: int,
        *,
        limit: int = 500,
        entity_types: Sequence[EntityType] | None = None,
        entity_id: str | None = None,
        partition: tuple[int, int] | None = None,
    ) -> list[EventRow]: ...

    def history(
        self, entity_type: EntityType, entity_id: str, limit: int = 1000
    ) -> list[EventRow]: ...

    def previous(
        self, entity_type: EntityType, entity_id: str, before_version: int
    ) -> EventRow | None: ...

    def count_after(
        self,
        after: int,
        *,
        entity_types: Sequence[EntityType] | None = None,
        partition: tuple[int, int] | None = None,
    ) -> int: ...

    def last_seq(self) -> int: ...

    def event_time(self, seq: int) -> datetime | None: ...

    def first_seq_since(self, since: datetime) -> int | None: ...

    def count_by_source(self, edges: Sequence[datetime]) -> dict[str | None, list[int]]: ...

    def count(self) -> int: ...


class Cursors(Protocol):
    """Route cursors (``save`` takes the caller's write transaction)."""

    def get(self, route: str, partition: int = 0) -> RouteCursor: ...

    def of_route(self, route: str) -> list[RouteCursor]: ...

    def move_by_hand(
        self, route: str, position: int, *, partitions: int = 1, actor: str, reason: str
    ) -> None: ...


class Parked(Protocol):
    """Deliveries a route parked."""

    def page(
        self,
        route: str | None = None,
        status: ParkedStatus = ParkedStatus.PARKED,
        limit: int = 100,
        entity_id: str | None = None,
    ) -> list[ParkedRow]: ...

    def count_by_route(self) -> dict[str, int]: ...

    def entities_parked(self, route: str, entity_ids: Sequence[str]) -> set[str]: ...


class Exceptions(Protocol):
    """Business exceptions for a person to act on."""

    def page(
        self,
        *,
        status: ExceptionStatus | None = ExceptionStatus.OPEN,
        after_id: int = 0,
        limit: int = 100,
        system: str | None = None,
        entity_type: str | None = None,
        code: str | None = None,
        created_before: datetime | None = None,
    ) -> list[ExceptionRow]: ...

    def waiting_for(self, entity_type: EntityType, keys: Sequence[str]) -> list[ExceptionRow]: ...

    def get(self, exc_id: int) -> ExceptionRow | None: ...

    def count(self, status: ExceptionStatus = ExceptionStatus.OPEN) -> int: ...

    def set_status(
        self, exc_id: int, status: ExceptionStatus, *, actor: str, note: str | None = None
    ) -> None: ...


class Orders(Protocol):
    """Orders, their lines, reservations and timeline; decisions under a per-customer lock."""

    def open(self, new: NewOrder, may_amend: MayAmend | None = None) -> tuple[OrderRow, Opened]: ...

    def decide(self, order_id: str, revision: int, decide: Decide) -> OrderRow: ...

    def exposure(self, customer_id: str, other_than: str = "") -> Decimal: ...

    def bump_attempt(self, order_id: str) -> None: ...

    def remember(self, order_id: str, revision: int, recheck: dict[str, Any]) -> None: ...

    def note(self, order_id: str, steps: Sequence[Step]) -> None: ...

    def link(
        self, order_id: str, links: Sequence[ReservationLink], promises: Promises | None = None
    ) -> None: ...

    def link_in(
        self,
        tx: WriteTx,
        order_id: str,
        links: Sequence[ReservationLink],
        promises: Promises | None = None,
    ) -> None: ...

    def reservations(self, order_id: str, *, held_only: bool = True) -> list[ReservationLink]: ...

    def unlink(self, reservation_ids: Sequence[str]) -> None: ...

    def get(self, order_id: str) -> OrderRow | None: ...

    def find(self, channel: str, order_number: str) -> OrderRow | None: ...

    def by_number(self, order_number: str) -> list[OrderRow]: ...

    def lines(self, order_id: str) -> list[LineRow]: ...

    def timeline(self, order_id: str) -> list[StepRow]: ...

    def page(
        self,
        *,
        status: OrderState | None = None,
        after_id: str = "",
        limit: int = 100,
        channel: str | None = None,
    ) -> list[OrderRow]: ...

    def with_po(self, customer_id: str, po: str, other_than: str) -> list[str]: ...

    def count_by_status(self) -> dict[str, int]: ...

    def unpublished(self, limit: int = 200) -> list[OrderRow]: ...

    def published(
        self,
        order_id: str,
        updated_at: datetime,
        canonical_id: str,
        steps: Sequence[Step],
        *,
        problem: str | None = None,
    ) -> bool: ...

    def transition(
        self, order_id: str, expect: Collection[OrderState], move: Move
    ) -> OrderRow | None: ...

    def by_canonical(self, canonical_ids: Sequence[str]) -> dict[str, OrderRow]: ...

    def stuck(self, before: datetime) -> int: ...

    def with_problem(self) -> int: ...


class Fulfilment(Protocol):
    """The per-line fulfilment ledger, the document lines applied to it, customer invoices.

    Writes take the caller's write transaction (``WriteTx``, or the twin's own).
    """

    def lines(self, order_id: str) -> list[LedgerLine]: ...

    def lock_lines(self, tx: WriteTx, order_id: str) -> list[LedgerLine]: ...

    def applied(self, tx: WriteTx, kind: DocKind, number: str) -> dict[str, AppliedLine]: ...

    def save(
        self, tx: WriteTx, lines: Sequence[LedgerLine], applied: Sequence[AppliedLine]
    ) -> None: ...

    def advance(
        self,
        tx: WriteTx,
        order_id: str,
        status: OrderState | None,
        from_states: Sequence[OrderState],
        *,
        touch: bool,
    ) -> bool: ...

    def note(self, tx: WriteTx, order_id: str, steps: Sequence[Step]) -> None: ...

    def put_invoice(self, tx: WriteTx, inv: InvoiceBalance) -> None: ...

    def invoices(self, order_id: str) -> list[InvoiceBalance]: ...


class CustomerMatch(Protocol):
    """Customer blocking keys, the stewardship review queue, trained m/u estimates.

    ``tx`` is the caller's write transaction (typed loosely: the twin's is not a WriteTx).
    """

    def candidates(self, keys: Sequence[str], limit: int, tx: Any = None) -> list[str]: ...

    def keys_of(self, record_id: str) -> list[str]: ...

    def replace_keys(
        self, tx: Any, record_ids: Sequence[str], keys: Sequence[tuple[str, str]]
    ) -> None: ...

    def rebuild_keys(self, keys: Sequence[tuple[str, str]]) -> None: ...

    def reviews(
        self,
        status: ReviewStatus | None = ReviewStatus.PENDING,
        *,
        after_id: int = 0,
        limit: int = 100,
    ) -> list[ReviewRow]: ...

    def review(self, task_id: int) -> ReviewRow | None: ...

    def find(self, pair_key: str, tx: Any = None) -> ReviewRow | None: ...

    def file(self, tasks: Sequence[NewReview]) -> int: ...

    def hold(self, tx: Any, new: NewReview) -> int: ...

    def decide(self, tx: Any, task_id: int, status: ReviewStatus, actor: str) -> ReviewRow: ...

    def trained(self) -> tuple[dict[str, Any], int] | None: ...

    def save_trained(self, params: dict[str, Any], pairs: int) -> None: ...


class Onboarding(Protocol):
    """Customer onboarding state rows; each move a compare-and-set with a timeline entry."""

    def position(self) -> int: ...

    def start(self, tx: Any, found: Sequence[tuple[str, str]], position: int) -> list[int]: ...

    def get(self, onboarding_id: int) -> OnboardingRow | None: ...

    def of_customer(self, customer_id: str) -> OnboardingRow | None: ...

    def listing(
        self, status: OnboardingStatus | None = None, *, after_id: int = 0, limit: int = 100
    ) -> list[OnboardingRow]: ...

    def stuck(self, before: datetime) -> int: ...

    def timeline(self, onboarding_id: int) -> list[TimelineEntry]: ...

    def transition(self, tx: Any, row: OnboardingRow, move: Transition) -> OnboardingRow: ...


class CustomerMerges(Protocol):
    """The customer merge log, the crosswalk, natural-key, order and site rows a merge moves.

    ``tx`` is the caller's write transaction (typed loosely: the twin's is not a WriteTx).
    Rows are (system, native id, canonical id) links and (kind, value, record id) keys.
    """

    def record(
        self, tx: Any, survivor_id: str, merged_id: str, snapshot: dict[str, Any], actor: str
    ) -> int: ...

    def get(self, merge_id: int, tx: Any = None) -> MergeRow | None: ...

    def merges(self, *, after_id: int = 0, limit: int = 100) -> list[MergeRow]: ...

    def newest_into(self, tx: Any, survivor_id: str) -> MergeRow | None: ...

    def survivors(self, tx: Any, ids: Sequence[str]) -> dict[str, str]: ...

    def set_unmerged(self, tx: Any, merge_id: int, actor: str) -> None: ...

    def links(self, tx: Any, record_ids: Sequence[str]) -> list[tuple[str, str, str]]: ...

    def set_links(self, tx: Any, links: Sequence[tuple[str, str, str]]) -> None: ...

    def keys(self, tx: Any, record_ids: Sequence[str]) -> list[tuple[str, str, str]]: ...

    def set_keys(
        self, tx: Any, record_ids: Sequence[str], keys: Sequence[tuple[str, str, str]]
    ) -> None: ...

    def orders_of(self, tx: Any, customer_id: str) -> list[str]: ...

    def set_order_customer(self, tx: Any, order_ids: Sequence[str], customer_id: str) -> None: ...

    def lists_naming(self, tx: Any, accounts: Sequence[str]) -> list[str]: ...

    def site_links(
        self, tx: Any, record_ids: Sequence[str], systems: Sequence[str] | None = None
    ) -> list[tuple[str, str, str, str]]:
        """Ship-to site crosswalk rows: (record id, system, native site id, site code)."""
        ...

    def put_site_links(self, tx: Any, links: Sequence[tuple[str, str, str, str]]) -> None: ...

    def set_site_links(
        self, tx: Any, record_ids: Sequence[str], links: Sequence[tuple[str, str, str, str]]
    ) -> None: ...


__all__ = [
    "Crosswalk",
    "Cursors",
    "CustomerMatch",
    "CustomerMerges",
    "Exceptions",
    "Fulfilment",
    "Onboarding",
    "Orders",
    "Outbox",
    "Parked",
    "Records",
]
