"""Deciding a proposal: a non-owner's value that a person approves or rejects.

Approval is the one write that passes the ownership matrix: a person with
the admin scope decided it. The value is applied as the proposing system's,
stamped with the time of the decision, so a later change from the owner
still wins; the new version, its event, the decision and the audit entry
commit together.
"""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import ValidationError

from crossdock.config.ownership import DELETED, OwnershipMatrix
from crossdock.errors import ConflictError, ErrorCode, InvalidInput, NotFound
from crossdock.model.paths import flatten_record, unflatten
from crossdock.model.registry import model_for
from crossdock.store import ProposalStatus, Store, StoredRecord, dumps
from crossdock.sync.changes_codec import ts_key
from crossdock.sync.ingest_plan import event_row
from crossdock.sync.merge import merge_fields

_NO_OWNERS = OwnershipMatrix({})


def decide_proposal(store: Store, proposal_id: int, *, approve: bool, actor: str) -> int | None:
    """Approve (apply) or reject a pending proposal; returns the new record version, if any."""
    now = datetime.now(UTC)
    with store.write() as tx:
        row = store.proposals.get_in(tx, proposal_id)
        if row is None:
            raise NotFound(f"no proposal {proposal_id}")
        if row.status is not ProposalStatus.PENDING:
            raise InvalidInput(
                f"proposal {proposal_id} is {row.status}, not pending", field="status"
            )
        if approve and row.requested_by is not None and row.requested_by == actor:
            raise ConflictError(
                f"proposal {proposal_id} was requested by {actor}: four eyes, so another "
                "approver must decide it",
                code=ErrorCode.CONFLICT,
            )
        status = ProposalStatus.APPROVED if approve else ProposalStatus.REJECTED
        store.proposals.decide(tx, proposal_id, status, actor, now)
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


__all__ = ["decide_proposal"]
