"""The in-memory twin of the customer matching tables (index, review queue, trained parameters)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from crossdock.errors import ConflictError, NotFound
from crossdock.store.customer_rows import NewReview, ReviewRow, ReviewStatus


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(slots=True)
class _Tables:
    keys: dict[str, set[str]] = field(default_factory=dict)
    by_record: dict[str, set[str]] = field(default_factory=dict)
    reviews: list[ReviewRow] = field(default_factory=list)
    trained: list[tuple[dict[str, Any], int]] = field(default_factory=list)


def _row(task_id: int, new: NewReview) -> ReviewRow:
    return ReviewRow(
        id=task_id,
        pair_key=new.pair_key,
        kind=new.kind,
        record_id=new.record_id,
        other_id=new.other_id,
        system=new.system,
        native_id=new.native_id,
        weight=round(new.weight, 4),
        explanation=new.explanation,
        held=list(new.held),
        status=ReviewStatus.PENDING,
        created_at=_now(),
        decided_at=None,
        decided_by=None,
    )


class MemoryCustomerMatch:
    """Answers what :class:`~crossdock.store.repos.customer_match.SqlCustomerMatch` answers.

    The ``tx`` arguments are taken for the shape and ignored: the twin's writes apply at once.
    """

    def __init__(self) -> None:
        self._t = _Tables()

    def candidates(self, keys: Sequence[str], limit: int, tx: Any = None) -> list[str]:
        shared: dict[str, int] = {}
        for k in keys:
            for rid in self._t.keys.get(k, ()):
                shared[rid] = shared.get(rid, 0) + 1
        return sorted(shared, key=lambda rid: (-shared[rid], rid))[:limit]

    def keys_of(self, record_id: str) -> list[str]:
        return sorted(self._t.by_record.get(record_id, ()))

    def replace_keys(
        self, tx: Any, record_ids: Sequence[str], keys: Sequence[tuple[str, str]]
    ) -> None:
        for rid in record_ids:
            for k in self._t.by_record.pop(rid, set()):
                self._t.keys[k].discard(rid)
        for k, rid in keys:
            self._t.keys.setdefault(k, set()).add(rid)
            self._t.by_record.setdefault(rid, set()).add(k)

    def rebuild_keys(self, keys: Sequence[tuple[str, str]]) -> None:
        self._t.keys.clear()
        self._t.by_record.clear()
        self.replace_keys(None, [], keys)

    def reviews(
        self,
        status: ReviewStatus | None = ReviewStatus.PENDING,
        *,
        after_id: int = 0,
        limit: int = 100,
    ) -> list[ReviewRow]:
        return [
            r for r in self._t.reviews if r.id > after_id and (status is None or r.status is status)
        ][:limit]

    def review(self, task_id: int) -> ReviewRow | None:
        return next((r for r in self._t.reviews if r.id == task_id), None)

    def find(self, pair_key: str, tx: Any = None) -> ReviewRow | None:
        i = self._find(pair_key)
        return None if i is None else self._t.reviews[i]

    def _find(self, key: str) -> int | None:
        return next((i for i, r in enumerate(self._t.reviews) if r.pair_key == key), None)

    def file(self, tasks: Sequence[NewReview]) -> int:
        filed = 0
        for new in tasks:
            if self._find(new.pair_key) is None:
                self._t.reviews.append(_row(len(self._t.reviews) + 1, new))
                filed += 1
        return filed

    def hold(self, tx: Any, new: NewReview) -> int:
        i = self._find(new.pair_key)
        if i is None:
            self.file([new])
            return len(self._t.reviews)
        row = self._t.reviews[i]
        if row.status is ReviewStatus.PENDING:
            held = [*row.held, *(h for h in new.held if h not in row.held)]
            self._t.reviews[i] = replace(row, held=held)
        return row.id

    def decide(self, tx: Any, task_id: int, status: ReviewStatus, actor: str) -> ReviewRow:
        row = self.review(task_id)
        if row is None:
            raise NotFound(f"review task {task_id} does not exist")
        if row.status is not ReviewStatus.PENDING:
            raise ConflictError(f"review task {task_id} is already {row.status.value}")
        decided = replace(row, status=status, decided_at=_now(), decided_by=actor)
        self._t.reviews[task_id - 1] = decided
        return decided

    def trained(self) -> tuple[dict[str, Any], int] | None:
        return self._t.trained[-1] if self._t.trained else None

    def save_trained(self, params: dict[str, Any], pairs: int) -> None:
        self._t.trained.append((params, pairs))


__all__ = ["MemoryCustomerMatch"]
