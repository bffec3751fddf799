"""Planning one change against one record: what ingest will write, decided without I/O.

:class:`ChangePlanner` takes a change and the working state of the record
it names and decides: refused whole (:class:`Refused`, carrying the
business exception), unchanged, or a new version with its event and the
proposals it files. It merges under the ownership matrix, holds the
sensitive fields of a change to a stored customer for a second person (four
eyes, the rule in ``config/approvals.py``: the rest applies), checks the
lifecycle transition, validates the merged record against the canonical
model and checks that no natural key it takes is held by another record.

The one thing it must ask the world is who holds a natural key; it asks a
:class:`KeyOwners`, which ingest backs with the open transaction and the
property tests back with a dict. Everything else is arithmetic on the
working record, so the rules are tested without a database
(``tests/property/test_ingest_plan.py``) and ingest (:mod:`crossdock.sync.ingest`)
only gathers the inputs and writes the outcome.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import ValidationError

from crossdock.config.approvals import sensitive_fields, waiting_fields
from crossdock.config.customers import Approvals
from crossdock.config.ownership import DELETED, OwnershipMatrix
from crossdock.errors import ErrorCode
from crossdock.model.base import CanonicalEntity, EntityType
from crossdock.model.change import Change, ChangeOp
from crossdock.model.paths import flatten_record, unflatten
from crossdock.store import NewException, StoredRecord, dumps
from crossdock.store.ids import time_ordered_hex
from crossdock.store.write import BUCKETS
from crossdock.sync.changes_codec import ts_key
from crossdock.sync.ingest_problems import (
    Refused,
    change_exception,
    validation_problem,
    waiting_or_refused,
)
from crossdock.sync.merge import MergeResult, merge_fields
from crossdock.sync.prepare import Invalid, Prepared, Valid

NaturalKey = tuple[str, str]


@dataclass(slots=True)
class WorkingRecord:
    """A record's state while a batch is applied to it."""

    id: str
    stored_version: int | None
    version: int
    state: dict[str, Any]
    """Flat path -> value, with :data:`DELETED` set on a tombstone."""
    provenance: dict[str, list[Any]]
    deleted: bool
    data: dict[str, Any]
    keys: set[NaturalKey]
    dirty: bool = False
    data_json: str | None = None

    @property
    def exists(self) -> bool:
        return self.stored_version is not None or self.version > 0

    @classmethod
    def new(cls, record_id: str) -> WorkingRecord:
        return cls(record_id, None, 0, {}, {}, False, {}, set())

    @classmethod
    def of(cls, model: type[CanonicalEntity], rec: StoredRecord) -> WorkingRecord:
        state = flatten_record(model, rec.data)
        if rec.deleted:
            state[DELETED] = True
        return cls(
            rec.id,
            rec.version,
            rec.version,
            state,
            rec.provenance,
            rec.deleted,
            rec.data,
            set(model.natural_keys(rec.data)),
        )


class KeyOwners:
    """Which record holds each natural key, as far as this batch has looked or assigned.

    ``lookup`` answers for keys not seen yet (ingest asks the open transaction);
    what the batch assigns is remembered here and wins over the store.
    """

    __slots__ = ("_known", "_lookup")

    def __init__(
        self,
        lookup: Callable[[list[NaturalKey]], dict[NaturalKey, str]],
        known: dict[NaturalKey, str] | None = None,
    ) -> None:
        self._lookup = lookup
        self._known: dict[NaturalKey, str] = dict(known or {})

    def holder(self, key: NaturalKey) -> str | None:
        if key not in self._known:
            self._known.update(self._lookup([key]))
        return self._known.get(key)

    def look_up(self, keys: Iterable[NaturalKey]) -> None:
        """Fetch, in one question, the holders of the keys not seen yet."""
        unseen = [k for k in keys if k not in self._known]
        if unseen:
            self._known.update(self._lookup(unseen))

    def known(self, key: NaturalKey) -> str | None:
        """The holder as far as already looked up, without asking."""
        return self._known.get(key)

    def assign(self, key: NaturalKey, record_id: str) -> None:
        self._known[key] = record_id


class Outcome(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    DELETED = "deleted"
    UNCHANGED = "unchanged"


@dataclass(slots=True)
class ChangePlan:
    """What applying one change to its working record comes to (the record is updated in place)."""

    outcome: Outcome
    event: dict[str, Any] | None = None
    proposals: list[dict[str, Any]] = field(default_factory=list)
    problem: NewException | None = None
    """Applied, but a part was refused (a non-owner's field): the exception to record."""
    stale_fields: int = 0


class ChangePlanner:
    """Plans changes to the records of one entity type at one instant."""

    def __init__(
        self,
        model: type[CanonicalEntity],
        entity_type: EntityType,
        matrix: OwnershipMatrix,
        keys: KeyOwners,
        now: datetime,
        traceparent: str | None = None,
        approvals: Approvals | None = None,
        prepared: Mapping[int, Prepared] | None = None,
    ) -> None:
        self.model = model
        self.entity_type = entity_type
        self.matrix = matrix
        self.keys = keys
        self.now = now
        self.traceparent = traceparent
        """The trace of changes that came without one (a pulled file, a poll)."""
        self.identity = frozenset(model.identity_fields)
        """The model's identity fields: never withheld from a record that has none yet."""
        self.approvals = approvals
        """Four eyes (customers): the fields of a change to a stored record that wait."""
        self._sensitive = sensitive_fields(approvals) if approvals else frozenset()
        self.prepared: Mapping[int, Prepared] = prepared or {}
        """What was worked out ahead for a change (by ``id(change)``; see :mod:`.prepare`)."""

    def plan(self, c: Change, w: WorkingRecord) -> ChangePlan:
        """Apply ``c`` to ``w`` in memory.

        Raises :class:`Refused` (and leaves ``w`` as it was) when nothing of the
        change may be written.
        """
        fields = self._asserted_fields(c, w)
        if fields is None:
            return ChangePlan(Outcome.UNCHANGED)
        result = self._merge(c, w, fields)
        waiting = self._waiting(c, w, result)
        if waiting:  # the rest applies now; the sensitive fields wait for a second person
            held = set(waiting)
            result = self._merge(
                c, w, {p: v for p, v in fields.items() if p.split(".", 1)[0] not in held}
            )
        plan = ChangePlan(
            Outcome.UNCHANGED,
            stale_fields=sum(1 for p in result.stale if p != DELETED),
            problem=self._rejected_problem(c, w, result.rejected),
        )
        if not result.changed:
            if result.touched and w.exists:
                w.provenance = result.provenance
                w.dirty = True
            if not w.exists and result.proposals:
                raise Refused(
                    waiting_or_refused(
                        c,
                        self.model,
                        f"{c.system} owns none of the fields it sent for a new "
                        f"{self.entity_type.value}",
                        result.proposals[0][0],
                    )
                )
            plan.proposals = self.proposals(w, c, result.proposals) + self.held(w, c, waiting)
            return plan

        if w.exists:
            moved = self.model.transition_problem(w.state, result.state)
            if moved is not None:
                path, reason = moved
                raise Refused(
                    change_exception(c, ErrorCode.ILLEGAL_TRANSITION, path, reason, entity_id=w.id)
                )
        deleted = result.state.get(DELETED) is True
        fresh = not w.exists and not result.withheld
        valid = self._prevalidated(c) if fresh else None
        if valid is not None:  # the change's own data, validated ahead: the same answer
            data, flat, data_json = valid.data, dict(valid.flat), valid.data_json
            self._take_keys(c, w, set(valid.keys))
        else:
            data = self._validated(c, w, result.state, fresh=fresh)
            data_json = None
            if fresh and data == c.data:  # the model kept the data as sent: its leaves are merged
                flat = {p: v for p, v in result.state.items() if p != DELETED}
            else:
                flat = flatten_record(self.model, data)
            self._take_keys(c, w, set(self.model.natural_keys(data)))
        changed = _changed_paths(w, flat, deleted)
        w.provenance = result.provenance
        w.dirty = True
        if not changed:
            return plan
        plan.outcome = (
            Outcome.CREATED if not w.exists else Outcome.DELETED if deleted else Outcome.UPDATED
        )
        w.version += 1
        w.state = flat  # built for this version alone: nothing else holds it
        if deleted:
            w.state[DELETED] = True
        w.data = data
        w.data_json = data_json if data_json is not None else dumps(data)
        w.deleted = deleted
        plan.event = event_row(
            self.entity_type,
            w.id,
            w.version,
            deleted,
            c.system,
            changed,
            w.data_json,
            self.now,
            c.traceparent or self.traceparent,
        )
        plan.proposals = self.proposals(w, c, result.proposals) + self.held(w, c, waiting)
        return plan

    # -- the steps ----------------------------------------------------------------------
    def _asserted_fields(self, c: Change, w: WorkingRecord) -> dict[str, Any] | None:
        """The flat fields ``c`` asserts; ``None`` when it is a delete that does nothing."""
        et = self.entity_type
        if c.op is ChangeOp.DELETE:
            if not w.exists and not self.matrix.may_delete(et, c.system):
                return None
            # A delete of a record not seen yet leaves a bare tombstone, so that its create,
            # arriving later with an older source time, cannot bring it to life.
            return {DELETED: True}
        if not w.exists and not self.matrix.may_create(et, c.system):
            raise Refused(
                waiting_or_refused(
                    c,
                    self.model,
                    f"{c.system} may not create {et.value} records (ownership.create)",
                )
            )
        prepared = self.prepared.get(id(c))
        try:
            fields = (
                dict(prepared.fields)
                if prepared is not None and prepared.fields is not None
                else flatten_record(self.model, c.data)
            )
        except AttributeError:
            raise Refused(
                change_exception(c, ErrorCode.VALIDATION_FAILED, "data", "data must be an object")
            ) from None
        if self.matrix.may_delete(et, c.system):
            fields[DELETED] = None
        return fields

    def _merge(self, c: Change, w: WorkingRecord, fields: dict[str, Any]) -> MergeResult:
        return merge_fields(
            self.entity_type,
            w.state,
            w.provenance,
            fields,
            system=c.system,
            ts=ts_key(c.source_ts),
            version=w.version + 1,
            matrix=self.matrix,
            identity=self.identity,
        )

    def _waiting(self, c: Change, w: WorkingRecord, result: MergeResult) -> list[str]:
        """The top-level fields of ``c`` that wait for a second person (four eyes).

        Only what the merge would change on a stored record: a field the sender
        does not own, or sends unchanged, never waits, and a new record's first
        values are the onboarding workflow's to approve, not this rule's.
        """
        if self.approvals is None or c.approved or not w.exists or not result.changed:
            return []
        tops = {p.split(".", 1)[0] for p in result.changed if p != DELETED}
        if tops.isdisjoint(self._sensitive):
            return []  # the common case: nothing the rule looks at changed
        after = unflatten({k: v for k, v in result.state.items() if k != DELETED})
        return waiting_fields(
            self.approvals, w.data, {k: after.get(k) for k in c.data if k in tops}
        )

    def held(self, w: WorkingRecord, c: Change, waiting: list[str]) -> list[dict[str, Any]]:
        """Proposal rows for the fields that wait, naming who asked (they may not approve).

        The value is what the system sent for the field; approving it sends it
        through ingest again, as that system's, with the change's source time.
        """
        requester = (c.requested_by or f"system:{c.system}")[:128]
        return [
            {
                "entity_type": self.entity_type.value,
                "entity_id": w.id,
                "system": c.system,
                "field": name,
                "value": dumps(c.data[name]),
                "source_ts": c.source_ts,
                "status": "pending",
                "created_at": self.now,
                "requested_by": requester,
            }
            for name in waiting
        ]

    @staticmethod
    def _rejected_problem(
        c: Change, w: WorkingRecord, rejected: list[tuple[str, str | None]]
    ) -> NewException | None:
        if not rejected:
            return None
        paths = ", ".join(f"{p} (owner: {o})" for p, o in rejected)
        return change_exception(
            c,
            ErrorCode.OWNERSHIP_CONFLICT,
            rejected[0][0],
            f"{c.system} does not own {paths}; the value was not applied",
            entity_id=w.id if w.exists else None,
        )

    def _validated(
        self, c: Change, w: WorkingRecord, state: dict[str, Any], *, fresh: bool
    ) -> dict[str, Any]:
        """The merged record as the canonical model dumps it; refused when it is not valid.

        ``fresh``: a new record whose every asserted field was applied (none refused
        or ignored), so the change's own data is the record.
        """
        if state.get(DELETED) is True and len(state) == 1:
            return {}  # a bare tombstone has nothing to check
        et = self.entity_type
        try:
            # A new record made of one change alone is that change's data: validate it
            # as sent rather than rebuilding it from the merged leaves.
            source = (
                c.data if fresh else unflatten({k: v for k, v in state.items() if k != DELETED})
            )
            obj = self.model.model_validate(source)
        except ValidationError as exc:
            path, reason = validation_problem(exc)
            if not w.exists and not fresh:
                # A system that owns only part of a new record (the portal's channel
                # listing of a product the ERP has not sent yet) is early, not wrong:
                # it waits for the owner's create and is applied then.
                raise Refused(
                    waiting_or_refused(
                        c,
                        self.model,
                        f"{c.system} owns only part of a new {et.value} "
                        f"({path}: {reason} without its owner's fields)",
                        path,
                    )
                ) from None
            raise Refused(
                change_exception(
                    c,
                    ErrorCode.VALIDATION_FAILED,
                    path,
                    f"{path}: {reason}",
                    entity_id=w.id if w.exists else None,
                )
            ) from None
        return obj.model_dump(mode="json", exclude_unset=True, exclude_none=True)

    def _prevalidated(self, c: Change) -> Valid | None:
        """The prepared verdict on ``c``'s data as sent; refused as inline when it is invalid."""
        prepared = self.prepared.get(id(c))
        verdict = prepared.verdict if prepared is not None else None
        if isinstance(verdict, Invalid):
            raise Refused(
                change_exception(
                    c,
                    ErrorCode.VALIDATION_FAILED,
                    verdict.path,
                    f"{verdict.path}: {verdict.reason}",
                )
            )
        return verdict

    def _take_keys(self, c: Change, w: WorkingRecord, new_keys: set[NaturalKey]) -> None:
        """Give ``w`` its natural keys; refused when another record holds one of them."""
        for key in new_keys - w.keys:
            holder = self.keys.holder(key)
            if holder is not None and holder != w.id:
                raise Refused(
                    change_exception(
                        c,
                        ErrorCode.CONFLICT,
                        key[0],
                        f"{key[0]} {key[1]!r} already identifies {self.entity_type.value} {holder}",
                        entity_id=w.id if w.exists else None,
                    )
                )
        w.keys = new_keys
        for key in new_keys:
            self.keys.assign(key, w.id)

    def proposals(
        self, w: WorkingRecord, c: Change, found: list[tuple[str, Any]]
    ) -> list[dict[str, Any]]:
        """Proposal rows for values a non-owner sent under the ``propose`` policy."""
        if not w.exists:
            return []
        return [
            {
                "entity_type": self.entity_type.value,
                "entity_id": w.id,
                "system": c.system,
                "field": path,
                "value": dumps(value),
                "source_ts": c.source_ts,
                "status": "pending",
                "created_at": self.now,
                "requested_by": None,
            }
            for path, value in found
        ]


def _changed_paths(w: WorkingRecord, flat: dict[str, Any], deleted: bool) -> list[str]:
    """The paths whose values differ between ``w`` and the new flat record, sorted."""
    if w.state:
        old_flat = {k: v for k, v in w.state.items() if k != DELETED}
        changed = sorted(p for p in flat.keys() | old_flat.keys() if flat.get(p) != old_flat.get(p))
    else:
        changed = sorted(flat)
    if deleted != w.deleted:
        changed.append(DELETED)
    return changed


_DELETE, _UPSERT = ChangeOp.DELETE.value, ChangeOp.UPSERT.value


def event_row(
    entity_type: EntityType,
    entity_id: str,
    version: int,
    deleted: bool,
    source_system: str,
    changed: list[str],
    data_json: str,
    now: datetime,
    traceparent: str | None = None,
) -> dict[str, Any]:
    """One outbox row, as :meth:`WriteTx.add_events` takes it."""
    return {
        "event_id": time_ordered_hex(),
        "entity_type": entity_type.value,
        "entity_id": entity_id,
        "version": version,
        "op": _DELETE if deleted else _UPSERT,
        "source_system": source_system,
        "changed": dumps(changed),
        "data": data_json,
        "time": now,
        "bucket": zlib.crc32(entity_id.encode()) % BUCKETS,
        "traceparent": traceparent,
    }


__all__ = [
    "ChangePlan",
    "ChangePlanner",
    "KeyOwners",
    "Outcome",
    "WorkingRecord",
    "event_row",
]
