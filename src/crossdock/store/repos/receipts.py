"""Delivery receipts: what a destination answered for each version a route sent or parked.

Only routes with ``receipts: true`` write them, in the transaction that moves
the route's cursor (so a receipt exists exactly when the outcome is recorded).
A service that must act on a delivery's outcome (the order engine: the ERP
took the order, with its number; a channel got a status) reads them after its
own bookmark, like any outbox consumer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import func, select

from crossdock.model.base import EntityType
from crossdock.model.change import ChangeOp
from crossdock.store import schema as t
from crossdock.store.repos import rows
from crossdock.store.repos.base import SqlRepo
from crossdock.store.write import WriteTx, utc

_C = t.delivery_receipts.c


class ReceiptOutcome(StrEnum):
    DELIVERED = "delivered"
    PARKED = "parked"


@dataclass(frozen=True, slots=True)
class NewReceipt:
    route: str
    entity_type: EntityType
    entity_id: str
    version: int
    op: ChangeOp
    outcome: ReceiptOutcome
    native_id: str | None = None
    reference: str | None = None
    """The destination's own human-facing number for the record (a sale number)."""
    error: str | None = None
    code: str | None = None
    """Why it was parked (an :class:`~crossdock.errors.ErrorCode` value)."""


@dataclass(frozen=True, slots=True)
class Receipt:
    seq: int
    route: str
    entity_type: EntityType
    entity_id: str
    version: int
    op: ChangeOp
    outcome: ReceiptOutcome
    native_id: str | None
    reference: str | None
    error: str | None
    code: str | None
    at: datetime


def _receipt(r: Any) -> Receipt:
    return Receipt(
        int(r.seq),
        r.route,
        EntityType(r.entity_type),
        r.entity_id,
        int(r.version),
        ChangeOp(r.op),
        ReceiptOutcome(r.outcome),
        r.native_id,
        r.reference,
        r.error,
        r.code,
        utc(r.at) or rows.now(),
    )


class SqlReceipts(SqlRepo):
    """The ``delivery_receipts`` table."""

    @staticmethod
    def add(tx: WriteTx, receipts: Sequence[NewReceipt]) -> None:
        """Record receipts inside the caller's transaction (the one that moves the cursor)."""
        if not receipts:
            return
        now = rows.now()
        tx.conn.execute(
            t.delivery_receipts.insert(),
            [
                {
                    "route": r.route,
                    "entity_type": r.entity_type.value,
                    "entity_id": r.entity_id,
                    "version": r.version,
                    "op": r.op.value,
                    "outcome": r.outcome.value,
                    "native_id": r.native_id,
                    "reference": r.reference,
                    "error": None if r.error is None else r.error[:4000],
                    "code": r.code,
                    "at": now,
                }
                for r in receipts
            ],
        )

    def after(
        self, seq: int, *, limit: int = 500, routes: Sequence[str] | None = None
    ) -> list[Receipt]:
        """Receipts after ``seq`` (of ``routes``, when given), oldest first."""
        q = select(t.delivery_receipts).where(_C.seq > seq)
        if routes is not None:
            q = q.where(_C.route.in_(list(routes)))
        with self._engine.connect() as conn:
            return [_receipt(r) for r in conn.execute(q.order_by(_C.seq).limit(limit)).all()]

    def last_seq(self) -> int:
        with self._engine.connect() as conn:
            return int(conn.execute(select(func.max(_C.seq))).scalar() or 0)

    def of_entity(self, entity_id: str) -> list[Receipt]:
        """An entity's receipts on every route, oldest first."""
        with self._engine.connect() as conn:
            found = conn.execute(
                select(t.delivery_receipts).where(_C.entity_id == entity_id).order_by(_C.seq)
            ).all()
        return [_receipt(r) for r in found]


__all__ = ["NewReceipt", "Receipt", "ReceiptOutcome", "SqlReceipts"]
