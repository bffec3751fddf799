"""Unchanged resends: a change equal to what its system last sent for the record is skipped.

See :mod:`crossdock.store.digests` for what is kept. A change is skipped only
when skipping it leaves the store exactly as applying it would, but for the
provenance's source times (moved into the digest's ``seen_ts`` instead):

- it is an upsert, and the only change of the batch for its record;
- its digest (over the hub's ownership and approval rules, the hub's version
  and the change's content) equals the stored one of the last change from that
  system that applied in full;
- the record is the one that change applied to, still at the version it left;
- the change that left the digest was its record's only change in its batch,
  and its system had stamped nothing of the record at its source time before
  (the lift of its stamps is keyed by system and time).

Any other change by anyone to the record moves its version, so the next resend
takes the whole path again.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import crossdock
from crossdock.config.hub import HubConfig
from crossdock.model.change import Change, ChangeOp
from crossdock.store import StoredRecord
from crossdock.store.digests import NewDigest, StoredDigest
from crossdock.store.jsoncodec import dumps
from crossdock.sync.changes_codec import ts_key


def rules_fingerprint(hub: HubConfig) -> str:
    """What else decides how a change applies: a new rule or release takes the whole path."""
    approvals = hub.customers.approvals if hub.customers else None
    rules = {
        "version": crossdock.__version__,
        "ownership": {et.value: own.model_dump(mode="json") for et, own in hub.ownership.items()},
        "approvals": approvals.model_dump(mode="json") if approvals is not None else None,
    }
    return dumps(rules)


def content_digest(rules: str, change: Change) -> str | None:
    """The digest of an upsert's content under ``rules``; ``None`` for anything else."""
    if change.op is not ChangeOp.UPSERT:
        return None
    try:
        body = dumps(change.data)
    except TypeError:
        return None
    h = hashlib.blake2b(rules.encode(), digest_size=16)
    h.update(b"\x00")
    h.update(body.encode())
    return h.hexdigest()


@dataclass(slots=True)
class Skipped:
    """The changes of a batch that are unchanged resends, and what to record for them."""

    indexes: set[int] = field(default_factory=set)
    seen: list[tuple[str, str, str]] = field(default_factory=list)
    """(system, native id, source ts) newer than the stored ``seen_ts``."""


def unchanged_resends(
    changes: Sequence[Change],
    ids: Sequence[str],
    digests: Sequence[str | None],
    stored: dict[tuple[str, str], StoredDigest],
) -> Skipped:
    """Which of ``changes`` (identified as ``ids``) may be skipped (see the module doc)."""
    out = Skipped()
    if not stored:
        return out
    per_record = Counter(ids)
    for i, (c, rid, dg) in enumerate(zip(changes, ids, digests, strict=True)):
        pair = (c.system, c.native_id)
        d = stored.get(pair)
        if (
            d is None
            or dg is None
            or d.digest != dg
            or d.record_id != rid
            or d.record_version != d.version
            or per_record[rid] != 1
        ):
            continue
        out.indexes.add(i)
        ts = ts_key(c.source_ts)
        if ts > d.seen_ts:
            out.seen.append((c.system, c.native_id, ts))
    return out


def lifted(rec: StoredRecord, lifts: Sequence[tuple[str, str, str]]) -> StoredRecord:
    """``rec`` with the stamps of resent contents moved to when they were last seen."""
    move = {(system, applied): seen for system, applied, seen in lifts}
    prov = {
        path: [stamp[0], move[(stamp[0], stamp[1])], *stamp[2:]]
        if (stamp[0], stamp[1]) in move
        else stamp
        for path, stamp in rec.provenance.items()
    }
    return StoredRecord(
        rec.entity_type, rec.id, rec.version, rec.data, prov, rec.deleted, data_json=rec.data_json
    )


def stamped_at(provenance: Mapping[str, Sequence[Any]], c: Change) -> bool:
    """Whether ``c``'s system already stamped a field of the record with ``c``'s source time.

    Two changes of one system with one source time (two rows of one export for
    the same record) stamp alike; a lift keyed by system and time would move the
    other change's stamps too and make an older change of that field look stale.
    Such a change records no digest: its resend takes the whole path.
    """
    ts = ts_key(c.source_ts)
    return any(stamp[0] == c.system and stamp[1] == ts for stamp in provenance.values())


def digest_row(c: Change, record_id: str, version: int, digest: str) -> NewDigest:
    return NewDigest(c.system, c.native_id, record_id, version, digest, ts_key(c.source_ts))


__all__ = [
    "Skipped",
    "content_digest",
    "digest_row",
    "lifted",
    "rules_fingerprint",
    "stamped_at",
    "unchanged_resends",
]
