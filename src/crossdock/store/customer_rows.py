"""Customer matching as the store keeps it: review tasks and their states."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class ReviewStatus(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    REJECTED = "rejected"


class ReviewKind(StrEnum):
    """``incoming``: a change ingest held back; ``pair``: two stored records dedupe found."""

    INCOMING = "incoming"
    PAIR = "pair"


@dataclass(frozen=True, slots=True)
class NewReview:
    """A task to file; ``pair_key`` names the question so it is asked once."""

    pair_key: str
    kind: ReviewKind
    record_id: str
    weight: float
    explanation: dict[str, Any]
    other_id: str | None = None
    system: str | None = None
    native_id: str | None = None
    held: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class ReviewRow:
    id: int
    pair_key: str
    kind: ReviewKind
    record_id: str
    other_id: str | None
    system: str | None
    native_id: str | None
    weight: float
    explanation: dict[str, Any]
    held: list[dict[str, Any]]
    status: ReviewStatus
    created_at: datetime
    decided_at: datetime | None
    decided_by: str | None


class MergeStatus(StrEnum):
    MERGED = "merged"
    UNMERGED = "unmerged"


@dataclass(frozen=True, slots=True)
class MergeRow:
    """One merge of ``merged_id`` into ``survivor_id``; ``snapshot`` is what unmerge restores."""

    id: int
    survivor_id: str
    merged_id: str
    status: MergeStatus
    snapshot: dict[str, Any]
    merged_at: datetime
    merged_by: str
    unmerged_at: datetime | None = None
    unmerged_by: str | None = None


def pair_key(a: str, b: str) -> str:
    """The one name of the unordered pair {a, b}."""
    lo, hi = sorted((a, b))
    return f"pair:{lo}:{hi}"


def incoming_key(system: str, native_id: str) -> str:
    """The one task of a (system, native id) ingest could not place."""
    return f"in:{system}:{native_id}"


SITE_ALIAS = "crossdock"
"""The site crosswalk's system for a code a merge joined into another site (-> surviving code);
read for every sender and for price-list scopes."""


__all__ = [
    "SITE_ALIAS",
    "MergeRow",
    "MergeStatus",
    "NewReview",
    "ReviewKind",
    "ReviewRow",
    "ReviewStatus",
    "incoming_key",
    "pair_key",
]
