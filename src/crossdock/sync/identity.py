"""Identity matchers: who ingest asks about a record neither crosswalk nor natural key names.

A matcher is found the way connectors are: by entry point
(``crossdock.matchers``, one per entity type), so the engine never imports a
service. Its factory gets the store and the hub file and answers ``None``
when the hub does not ask for matching (for customers: no ``customers:``
section); then ingest identifies as it always did and pays nothing.

Ingest asks a matcher only on the uncommon path: a change whose native id
has no crosswalk entry and whose natural keys name no record. A crosswalk
hit never reaches it. The matcher answers a :class:`Placement`: ``link`` to
an existing record (the native id joins its crosswalk), ``review`` (ingest
holds the change in the matcher's review queue instead of writing it), or
``new``. It also keeps its own index up to date with every record ingest
writes of its type, in ingest's transaction, and identifies the parts of a
change against the record it applies to (``settle``: a customer's ship-to
sites), for every change of its type.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache
from importlib.metadata import entry_points
from typing import Any, Protocol

from crossdock.config.hub import HubConfig
from crossdock.model.base import EntityType
from crossdock.model.change import Change
from crossdock.store import Store, WriteTx

GROUP = "crossdock.matchers"


class Placement(StrEnum):
    LINK = "link"
    REVIEW = "review"
    NEW = "new"


@dataclass(frozen=True, slots=True)
class Decision:
    """Where a change goes, and why (the explanation is kept with the link or the task)."""

    placement: Placement
    record_id: str | None = None
    weight: float | None = None
    explanation: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Written:
    """A record ingest writes: its data before (``None``: new) and after."""

    record_id: str
    before: Mapping[str, Any] | None
    after: Mapping[str, Any]
    deleted: bool


@dataclass(slots=True)
class BatchRecords:
    """The records one ingest batch creates, in order, before they are stored.

    Ingest adds to ``data``; a matcher may keep its own index of them in
    ``index`` (key -> ids), covering the first ``indexed`` of ``data``.
    """

    data: dict[str, Mapping[str, Any]] = field(default_factory=dict)
    index: dict[str, set[str]] = field(default_factory=dict)
    indexed: int = 0


class Matcher(Protocol):
    def place(self, tx: WriteTx, change: Change, batch: BatchRecords) -> Decision:
        """Where ``change`` belongs: a stored record, or one ``batch`` creates.

        ``batch``: the records this ingest batch creates before ``change``; they are
        not stored (nor indexed) yet, but are candidates too, so one unknown customer
        sent twice in a batch becomes one record.
        """
        ...

    def hold(self, tx: WriteTx, change: Change, decision: Decision) -> None: ...

    def index(self, tx: WriteTx, written: Sequence[Written]) -> None: ...

    def follow(self, tx: WriteTx, ids: Sequence[str]) -> dict[str, str]:
        """Those of ``ids`` merged into another record -> the record they live on in."""
        ...

    def settle(
        self, tx: WriteTx, record_id: str, current: Mapping[str, Any] | None, change: Change
    ) -> Change:
        """``change`` with its parts identified against the record it applies to.

        ``current``: that record's (``record_id``) data (``None``: a new one). A customer's incoming
        ship-to sites take the codes of the stored sites they are. Returns ``change``
        itself when there is nothing to identify; raises ``Refused`` (the change becomes
        a business exception) when its parts cannot be identified without a guess.
        """
        ...

    def settled(self, tx: WriteTx, record_id: str, change: Change, applied: bool) -> None:
        """``change``, as :meth:`settle` returned it, was applied (or refused) to ``record_id``.

        What settle found out about the change's parts (a customer's site crosswalk)
        is written only for an applied change.
        """
        ...


MatcherFactory = Callable[[Store, HubConfig], Matcher | None]


@cache
def _factories() -> tuple[tuple[EntityType, MatcherFactory], ...]:
    # Scanning the installed distributions costs milliseconds; every Ingestor asks.
    return tuple(
        (EntityType(ep.name), ep.load())
        for ep in entry_points(group=GROUP)
        if ep.name in EntityType._value2member_map_
    )


def matchers_for(store: Store, hub: HubConfig) -> dict[EntityType, Matcher]:
    """The matchers the hub file turns on, by entity type (the entry point's name)."""
    found: dict[EntityType, Matcher] = {}
    for entity_type, factory in _factories():
        matcher = factory(store, hub)
        if matcher is not None:
            found[entity_type] = matcher
    return found


__all__ = ["GROUP", "Decision", "Matcher", "MatcherFactory", "Placement", "Written", "matchers_for"]
