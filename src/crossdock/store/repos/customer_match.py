"""Customer matching: the blocking-key index, the review queue and the trained parameters.

The index is written inside ingest's transaction (:meth:`replace_keys`), so
a customer is findable exactly when its version is committed. A held change
and the decision on a task are written in their caller's transaction too:
accepting a task, writing its crosswalk row and applying the held changes
commit together or not at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, update

from crossdock.errors import ConflictError, NotFound
from crossdock.store import schema as t
from crossdock.store.customer_rows import NewReview, ReviewKind, ReviewRow, ReviewStatus
from crossdock.store.jsoncodec import dumps, loads
from crossdock.store.repos import rows
from crossdock.store.repos.base import SqlRepo
from crossdock.store.write import WriteTx, utc

_K, _R, _M = t.customer_match_keys.c, t.customer_review.c, t.customer_match_model.c


def _review(r: Any) -> ReviewRow:
    return ReviewRow(
        id=int(r.id),
        pair_key=r.pair_key,
        kind=ReviewKind(r.kind),
        record_id=r.record_id,
        other_id=r.other_id,
        system=r.system,
        native_id=r.native_id,
        weight=float(r.weight),
        explanation=dict(loads(r.explanation)),
        held=list(loads(r.held)),
        status=ReviewStatus(r.status),
        created_at=utc(r.created_at) or rows.now(),
        decided_at=utc(r.decided_at),
        decided_by=r.decided_by,
    )


def review_values(new: NewReview, now: datetime) -> dict[str, Any]:
    return {
        "pair_key": new.pair_key,
        "kind": new.kind.value,
        "record_id": new.record_id,
        "other_id": new.other_id,
        "system": new.system,
        "native_id": new.native_id,
        "weight": f"{new.weight:.4f}",
        "explanation": dumps(new.explanation),
        "held": dumps(new.held),
        "status": ReviewStatus.PENDING.value,
        "created_at": now,
        "decided_at": None,
        "decided_by": None,
    }


class SqlCustomerMatch(SqlRepo):
    """The ``customer_match_keys``, ``customer_review`` and ``customer_match_model`` tables."""

    # -- the index ------------------------------------------------------------------------
    def candidates(self, keys: Sequence[str], limit: int, tx: WriteTx | None = None) -> list[str]:
        """Records sharing a key with ``keys``, those sharing most first (ties by id).

        Inside ``tx`` when given: ingest asks in the transaction it writes in.
        """
        if not keys:
            return []
        shared = func.count().label("shared")
        q = (
            select(_K.record_id, shared)
            .where(_K.key.in_(list(keys)[: rows.CHUNK]))
            .group_by(_K.record_id)
            .order_by(shared.desc(), _K.record_id)
            .limit(limit)
        )
        if tx is not None:
            return [r[0] for r in tx.conn.execute(q)]
        with self._engine.connect() as conn:
            return [r[0] for r in conn.execute(q)]

    def keys_of(self, record_id: str) -> list[str]:
        with self._engine.connect() as conn:
            found = conn.execute(
                select(_K.key).where(_K.record_id == record_id).order_by(_K.key)
            ).all()
        return [r[0] for r in found]

    def replace_keys(
        self, tx: WriteTx, record_ids: Sequence[str], keys: Sequence[tuple[str, str]]
    ) -> None:
        """Set the keys of ``record_ids`` to the (key, record_id) rows given, in ``tx``."""
        for chunk in (record_ids[i : i + rows.CHUNK] for i in range(0, len(record_ids), 400)):
            tx.conn.execute(delete(t.customer_match_keys).where(_K.record_id.in_(chunk)))
        if keys:
            tx.conn.execute(
                t.customer_match_keys.insert(),
                [{"key": k, "record_id": rid} for k, rid in dict.fromkeys(keys)],
            )

    def rebuild_keys(self, keys: Sequence[tuple[str, str]]) -> None:
        """Replace the whole index (for turning matching on over an existing store)."""
        with self._write() as tx:
            tx.conn.execute(delete(t.customer_match_keys))
            for i in range(0, len(keys), 5000):
                chunk = list(dict.fromkeys(keys[i : i + 5000]))
                tx.conn.execute(
                    self._dialect.insert_ignore(t.customer_match_keys),
                    [{"key": k, "record_id": rid} for k, rid in chunk],
                )

    # -- the review queue -----------------------------------------------------------------
    def reviews(
        self,
        status: ReviewStatus | None = ReviewStatus.PENDING,
        *,
        after_id: int = 0,
        limit: int = 100,
    ) -> list[ReviewRow]:
        q = select(t.customer_review).where(_R.id > after_id)
        if status is not None:
            q = q.where(_R.status == status.value)
        with self._engine.connect() as conn:
            return [_review(r) for r in conn.execute(q.order_by(_R.id).limit(limit))]

    def review(self, task_id: int) -> ReviewRow | None:
        with self._engine.connect() as conn:
            r = conn.execute(select(t.customer_review).where(_R.id == task_id)).first()
        return None if r is None else _review(r)

    def find(self, pair_key: str, tx: WriteTx | None = None) -> ReviewRow | None:
        """The task of ``pair_key`` in any state (inside ``tx`` when given)."""
        q = select(t.customer_review).where(_R.pair_key == pair_key)
        if tx is not None:
            r = tx.conn.execute(q).first()
        else:
            with self._engine.connect() as conn:
                r = conn.execute(q).first()
        return None if r is None else _review(r)

    def file(self, tasks: Sequence[NewReview]) -> int:
        """File ``tasks``, leaving out any pair already asked about (in any state); how many new."""
        filed = 0
        now = rows.now()
        with self._write() as tx:
            for new in tasks:
                # RETURNING, not rowcount: a skipped insert's rowcount differs by driver
                res = tx.conn.execute(
                    self._dialect.insert_ignore(t.customer_review)
                    .values(review_values(new, now))
                    .returning(_R.id)
                )
                filed += len(res.all())
        return filed

    def hold(self, tx: WriteTx, new: NewReview) -> int:
        """File ``new`` in ``tx``; an open task of the same key gets its held changes appended."""
        tx.conn.execute(
            self._dialect.insert_ignore(t.customer_review).values(review_values(new, rows.now()))
        )
        found = tx.conn.execute(
            self._dialect.lock_select(select(t.customer_review).where(_R.pair_key == new.pair_key))
        ).one()
        row = _review(found)
        if row.held != new.held and row.status is ReviewStatus.PENDING:
            held = [*row.held, *(h for h in new.held if h not in row.held)]
            tx.conn.execute(
                update(t.customer_review).where(_R.id == row.id).values(held=dumps(held))
            )
        return row.id

    def decide(self, tx: WriteTx, task_id: int, status: ReviewStatus, actor: str) -> ReviewRow:
        """Mark a pending task decided, in ``tx``; a task decided already is a conflict."""
        found = tx.conn.execute(
            self._dialect.lock_select(select(t.customer_review).where(_R.id == task_id))
        ).first()
        if found is None:
            raise NotFound(f"review task {task_id} does not exist")
        row = _review(found)
        if row.status is not ReviewStatus.PENDING:
            raise ConflictError(f"review task {task_id} is already {row.status.value}")
        now = rows.now()
        tx.conn.execute(
            update(t.customer_review)
            .where(_R.id == task_id, _R.status == ReviewStatus.PENDING.value)
            .values(status=status.value, decided_at=now, decided_by=actor[:128])
        )
        return replace(row, status=status, decided_at=now, decided_by=actor)

    # -- trained parameters ---------------------------------------------------------------
    def trained(self) -> tuple[dict[str, Any], int] | None:
        """The newest EM estimates (as stored JSON) and how many pairs they came from."""
        with self._engine.connect() as conn:
            r = conn.execute(select(_M.params, _M.pairs).order_by(_M.id.desc()).limit(1)).first()
        return None if r is None else (dict(loads(r[0])), int(r[1]))

    def save_trained(self, params: dict[str, Any], pairs: int) -> None:
        with self._write() as tx:
            tx.conn.execute(
                t.customer_match_model.insert().values(
                    trained_at=rows.now(), pairs=pairs, params=dumps(params)
                )
            )


__all__ = ["SqlCustomerMatch", "review_values"]
