"""Deciding a proposal: a value that waits until a person approves or rejects it.

Two kinds wait. A non-owner's value under the ``propose`` policy: approval
is the one write that passes the ownership matrix (a person with the
approve scope decided it); the value is applied as the proposing system's,
stamped with the time of the decision, so a later change from the owner
still wins. And a sensitive field held by four eyes (the proposal names who
asked for it, ``requested_by``): the sender owns it, so approval sends it
through ingest again as that system's change, with its own source time,
marked approved so nothing of it waits again; ownership, provenance,
matching's merge redirects and the outbox event (fan-out to every route)
happen as for any change. The requester (a person's actor, or the sending
system's key) may not approve it. The decision, the audit entry and what
it applies commit together; a decision found already taken (two approvers
at once) is refused, so nothing applies twice.

An approved value that ingest refuses (it no longer passes validation, or
its sender no longer owns the field) is not applied and the decision is
rolled back with it: the proposal stays pending, because the refusal is
often mended by someone else (the owner fixes the record, the ownership is
set back) and another approval or a rejection then decides it. The
refusal is audited (``proposal.refused``: the field ingest named, its
reason and code) and answered as invalid input naming that field.
"""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import ValidationError

from crossdock.config.ownership import DELETED, OwnershipMatrix
from crossdock.errors import ConflictError, ErrorCode, InvalidInput, NotFound
from crossdock.model.change import Change
from crossdock.model.paths import flatten_record, unflatten
from crossdock.model.registry import model_for
from crossdock.store import (
    NewException,
    ProposalRow,
    ProposalStatus,
    Store,
    StoredRecord,
    WriteTx,
    dumps,
)
from crossdock.sync.changes_codec import ts_key
from crossdock.sync.ingest import Ingestor
from crossdock.sync.ingest_plan import event_row
from crossdock.sync.merge import merge_fields

_NO_OWNERS = OwnershipMatrix({})


def decide_proposal(
    store: Store,
    proposal_id: int,
    *,
    approve: bool,
    actor: str,
    ingestor: Ingestor,
    actor_system: str | None = None,
) -> int | None:
    """Approve (apply) or reject a pending proposal; returns the record's version, if applied.

    ``actor_system``: the system the deciding key belongs to (a system's key is
    its system, for four eyes).
    """
    now = datetime.now(UTC)
    try:
        return _decide(store, proposal_id, approve, actor, ingestor, actor_system, now)
    except _IngestRefused as refused:
        # the decision rolled back with what ingest refused; the refusal itself is kept
        with store.write() as tx:
            tx.audit(
                actor,
                "proposal.refused",
                str(proposal_id),
                {
                    "field": refused.row.field,
                    "refused_field": refused.field,
                    "reason": refused.reason,
                    "code": refused.code,
                    "system": refused.row.system,
                    "entity": refused.row.entity_id,
                    "requested_by": refused.row.requested_by,
                },
            )
        raise InvalidInput(
            f"proposal {proposal_id} was not applied: ingest refused {refused.field}: "
            f"{refused.reason}; it stays pending (approve again once that is mended, or reject it)",
            field=refused.field,
            reason=refused.reason,
            code=ErrorCode.VALIDATION_FAILED,
        ) from None


class _IngestRefused(Exception):
    """Ingest refused an approved value: what it said, and the proposal."""

    def __init__(self, row: ProposalRow, field: str, reason: str, code: str) -> None:
        super().__init__(reason)
        self.row, self.field, self.reason, self.code = row, field, reason, code


def _decide(
    store: Store,
    proposal_id: int,
    approve: bool,
    actor: str,
    ingestor: Ingestor,
    actor_system: str | None,
    now: datetime,
) -> int | None:
    with store.write() as tx:
        row = store.proposals.get_in(tx, proposal_id)
        if row is None:
            raise NotFound(f"no proposal {proposal_id}")
        if row.status is not ProposalStatus.PENDING:
            raise InvalidInput(
                f"proposal {proposal_id} is {row.status}, not pending", field="status"
            )
        if (
            approve
            and row.requested_by is not None
            and row.requested_by in _selves(actor, actor_system)
        ):
            raise ConflictError(
                f"proposal {proposal_id} was requested by {row.requested_by}: four eyes, "
                "so another approver must decide it",
                code=ErrorCode.CONFLICT,
            )
        status = ProposalStatus.APPROVED if approve else ProposalStatus.REJECTED
        if not store.proposals.decide(tx, proposal_id, status, actor, now):
            raise ConflictError(f"proposal {proposal_id} was decided meanwhile by another person")
        tx.audit(
            actor,
            f"proposal.{status.value}",
            str(proposal_id),
            {
                "field": row.field,
                "system": row.system,
                "entity": row.entity_id,
                "requested_by": row.requested_by,
            },
        )
        if not approve:
            return None
        if row.requested_by is not None:
            return _through_ingest(tx, store, ingestor, row, actor)
        entity_type = row.entity_type
        model = model_for(entity_type)
        rec = tx.load_records(entity_type, [row.entity_id]).get(row.entity_id)
        if rec is None:
            raise NotFound(f"{entity_type.value} {row.entity_id} no longer exists")
        state = flatten_record(model, rec.data)
        if rec.deleted:
            state[DELETED] = True
        result = merge_fields(
            entity_type,
            state,
            rec.provenance,
            {row.field: row.value},
            system=row.system,
            ts=ts_key(now),
            version=rec.version + 1,
            matrix=_NO_OWNERS,
        )
        if not result.changed:
            return rec.version
        try:
            obj = model.model_validate(
                unflatten({k: v for k, v in result.state.items() if k != DELETED})
            )
        except ValidationError as exc:
            raise InvalidInput(
                f"approving {row.field} would make the record invalid: {exc.errors()[0]['msg']}",
                field=row.field,
                code=ErrorCode.VALIDATION_FAILED,
            ) from None
        data = obj.model_dump(mode="json", exclude_unset=True, exclude_none=True)
        if set(model.natural_keys(data)) != set(model.natural_keys(rec.data)):
            raise InvalidInput(
                f"approving {row.field} would change the record's identity; "
                "that change must come from its owner",
                field=row.field,
            )
        data_json = dumps(data)
        new = StoredRecord(
            entity_type,
            rec.id,
            rec.version + 1,
            data,
            result.provenance,
            rec.deleted,
            data_json=data_json,
        )
        tx.update_records([(new, rec.version)], now)
        tx.add_events(
            [
                event_row(
                    entity_type,
                    rec.id,
                    new.version,
                    rec.deleted,
                    row.system,
                    sorted(result.changed),
                    data_json,
                    now,
                )
            ]
        )
        return new.version


def _selves(actor: str, actor_system: str | None) -> set[str]:
    return {actor} | ({f"system:{actor_system}"} if actor_system else set())


def _through_ingest(
    tx: WriteTx, store: Store, ingestor: Ingestor, row: ProposalRow, actor: str
) -> int | None:
    """Send a four-eyes proposal's value through ingest as its system's approved change."""
    rid = row.entity_id
    matcher = ingestor.matchers.get(row.entity_type)
    if matcher is not None:  # merged away since it was filed: the survivor takes it
        rid = matcher.follow(tx, [rid]).get(rid, rid)
    native = store.crosswalk.native_ids_for(row.entity_type, row.system, [rid]).get(rid)
    if native is None:
        raise InvalidInput(
            f"{row.system} no longer knows {row.entity_type.value} {rid}; "
            "the proposal cannot be applied as its change",
            field="system",
        )
    change = Change(
        row.system,
        row.entity_type,
        native,
        {row.field: row.value},
        source_ts=row.source_ts,
        ref=f"proposal {row.id} approved by {actor}",
        requested_by=row.requested_by,
        approved=True,
    )
    refused: list[NewException] = []
    report = ingestor.apply_in(tx, [change], refused)
    if report.exceptions:  # rolled back with the decision: the proposal stays pending
        first = refused[0] if refused else None
        raise _IngestRefused(
            row,
            (first.field if first else None) or row.field,
            first.reason if first else "the record would be invalid",
            first.code if first else ErrorCode.VALIDATION_FAILED.value,
        )
    rec = tx.load_records(row.entity_type, [rid]).get(rid)
    return None if rec is None else rec.version


__all__ = ["decide_proposal"]
