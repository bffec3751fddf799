"""Operator work: business exceptions, field proposals and the audit log."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, func, select, update

from crossdock.errors import ErrorCode
from crossdock.model.base import EntityType
from crossdock.store import schema as t
from crossdock.store.jsoncodec import loads
from crossdock.store.records import (
    AuditEntry,
    ExceptionRow,
    ExceptionStatus,
    ProposalRow,
    ProposalStatus,
)
from crossdock.store.repos import rows
from crossdock.store.repos.base import SqlRepo
from crossdock.store.write import WriteTx, utc

_E = t.exceptions.c
_P = t.proposals.c


class SqlExceptions(SqlRepo):
    """The ``exceptions`` table: what ingest refused or holds, for a person to act on."""

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
    ) -> list[ExceptionRow]:
        """Exceptions after ``after_id`` in id order, narrowed by each filter given.

        ``created_before`` keeps those filed before that time (the console's age filter).
        """
        q = select(t.exceptions).where(_E.id > after_id)
        if status is not None:
            q = q.where(_E.status == status.value)
        if system is not None:
            q = q.where(_E.system == system)
        if entity_type is not None:
            q = q.where(_E.entity_type == entity_type)
        if code is not None:
            q = q.where(_E.code == code)
        if created_before is not None:
            q = q.where(_E.created_at < created_before)
        with self._engine.connect() as conn:
            found = conn.execute(q.order_by(_E.id).limit(limit)).all()
        return [rows.exception(r) for r in found]

    def waiting_for(self, entity_type: EntityType, keys: Sequence[str]) -> list[ExceptionRow]:
        """Open ``waiting_for_record`` exceptions of this type waiting for one of ``keys``."""
        base = select(t.exceptions).where(
            _E.status == ExceptionStatus.OPEN.value,
            _E.code == ErrorCode.WAITING_FOR_RECORD.value,
            _E.entity_type == entity_type.value,
        )
        out: list[ExceptionRow] = []
        with self._engine.connect() as conn:
            if conn.execute(base.limit(1)).first() is None:
                return out  # the common case: nothing waits, one cheap query
            for i in range(0, len(keys), rows.CHUNK):
                found = conn.execute(
                    base.where(_E.field.in_(keys[i : i + rows.CHUNK])).order_by(_E.id)
                )
                out.extend(rows.exception(r) for r in found)
        return out

    def get(self, exc_id: int) -> ExceptionRow | None:
        with self._engine.connect() as conn:
            r = conn.execute(select(t.exceptions).where(_E.id == exc_id)).first()
        return rows.exception(r) if r is not None else None

    def count(self, status: ExceptionStatus = ExceptionStatus.OPEN) -> int:
        with self._engine.connect() as conn:
            return int(
                conn.execute(select(func.count()).where(_E.status == status.value)).scalar_one()
            )

    def count_open(
        self, system: str | None = None, *, code: str | None = None, field: str | None = None
    ) -> int:
        """Open exceptions, of one system's changes, one code, one field when given."""
        q = select(func.count()).where(_E.status == ExceptionStatus.OPEN.value)
        if system is not None:
            q = q.where(_E.system == system)
        if code is not None:
            q = q.where(_E.code == code)
        if field is not None:
            q = q.where(_E.field == field)
        with self._engine.connect() as conn:
            return int(conn.execute(q).scalar_one())

    def set_status(
        self, exc_id: int, status: ExceptionStatus, *, actor: str, note: str | None = None
    ) -> None:
        """Resolve, ignore or reopen one exception; audited."""
        with self._write() as tx:
            tx.conn.execute(
                update(t.exceptions)
                .where(_E.id == exc_id)
                .values(status=status.value, updated_at=rows.now(), note=note)
            )
            tx.audit(actor, f"exception.{status.value}", str(exc_id), {"note": note})


def _proposal(r: Row[Any]) -> ProposalRow:
    return ProposalRow(
        r.id,
        EntityType(r.entity_type),
        r.entity_id,
        r.system,
        r.field,
        loads(r.value),
        utc(r.source_ts) or rows.now(),
        ProposalStatus(r.status),
        utc(r.created_at) or rows.now(),
        r.requested_by,
    )


class SqlProposals(SqlRepo):
    """The ``proposals`` table: field changes from a non-owner, waiting for a person."""

    def page(
        self, status: ProposalStatus = ProposalStatus.PENDING, limit: int = 100
    ) -> list[ProposalRow]:
        with self._engine.connect() as conn:
            found = conn.execute(
                select(t.proposals).where(_P.status == status.value).order_by(_P.id).limit(limit)
            ).all()
        return [_proposal(r) for r in found]

    def get_in(self, tx: WriteTx, proposal_id: int) -> ProposalRow | None:
        """One proposal, read inside the transaction that decides it."""
        r = tx.conn.execute(select(t.proposals).where(_P.id == proposal_id)).first()
        return None if r is None else _proposal(r)

    def decide(
        self, tx: WriteTx, proposal_id: int, status: ProposalStatus, actor: str, at: datetime
    ) -> bool:
        """Record the decision on a pending proposal inside the caller's transaction.

        False when it is no longer pending: another person decided it meanwhile
        (two approvers at once must not apply it twice).
        """
        done = tx.conn.execute(
            update(t.proposals)
            .where(_P.id == proposal_id, _P.status == ProposalStatus.PENDING.value)
            .values(status=status.value, decided_at=at, decided_by=actor)
        )
        return bool(done.rowcount)


class SqlAudit(SqlRepo):
    """The ``audit_log`` table: appended to, read, never changed (a trigger refuses updates)."""

    def entries(self, limit: int = 100) -> list[dict[str, Any]]:
        """The newest entries first."""
        return [
            {
                "id": e.id,
                "at": e.at,
                "actor": e.actor,
                "action": e.action,
                "target": e.target,
                "detail": e.detail,
            }
            for e in self.page(limit=limit)
        ]

    def page(
        self,
        *,
        before: int | None = None,
        limit: int = 100,
        actor: str | None = None,
        action: str | None = None,
        target: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> list[AuditEntry]:
        """Audit rows, newest first, below id ``before``.

        ``action`` and ``target`` match as prefixes, ``actor`` as a substring (a key
        prefix, a name, a system).
        """
        c = t.audit_log.c
        q = select(t.audit_log).order_by(c.id.desc()).limit(limit)
        if before is not None:
            q = q.where(c.id < before)
        if actor:
            q = q.where(c.actor.contains(actor, autoescape=True))
        if action:
            q = q.where(c.action.startswith(action, autoescape=True))
        if target:
            q = q.where(c.target.startswith(target, autoescape=True))
        if since is not None:
            q = q.where(c.at >= since)
        if until is not None:
            q = q.where(c.at < until)
        with self._engine.connect() as conn:
            found = conn.execute(q).all()
        return [
            AuditEntry(
                r.id, utc(r.at) or r.at, r.actor, r.action, r.target, loads(r.detail), r.origin
            )
            for r in found
        ]

    def append(self, actor: str, action: str, target: str, detail: dict[str, Any]) -> None:
        """One audit row, in a transaction of its own."""
        with self._write() as tx:
            tx.audit(actor, action, target, detail)
