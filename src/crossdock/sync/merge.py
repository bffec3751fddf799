"""Field-by-field merge of one change into one record: a pure function.

Each field path is a last-writer-wins register among the systems the
ownership matrix lets write it. Writes are totally ordered by their stamp
``(source time, digest of the value)``: the digest breaks ties between two
writes stamped with the same instant, so the outcome never depends on
arrival order. The stamps live in the record's provenance; clearing a
field (``None``) is a write like any other and keeps its stamp, so a late
older value cannot bring a cleared field back.

Paths never overlap: :func:`crossdock.model.paths.flatten_record` expands a
cleared nested object into its leaves by the model's schema, not by the
record's current state. With that, applying any permutation of a set of
changes, with any duplicates, ends in the same state; ``tests/property``
holds this to account.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from crossdock.config.ownership import OwnershipMatrix, Verdict
from crossdock.model.base import EntityType
from crossdock.store.jsoncodec import dumps


@dataclass(slots=True)
class MergeResult:
    state: dict[str, Any]
    provenance: dict[str, list[Any]]
    changed: list[str]
    touched: bool
    rejected: list[tuple[str, str | None]]
    proposals: list[tuple[str, Any]]
    stale: list[str]
    withheld: int = 0
    """Values that differ from the record and were not applied (not owned, or stale)."""


#: The source time of an identity value a non-owner set: before every real time.
NAMED = ""


def _digest(value: Any) -> str:
    return hashlib.blake2b(dumps(value).encode(), digest_size=8).hexdigest()


def merge_fields(
    entity_type: EntityType,
    state: Mapping[str, Any],
    provenance: Mapping[str, list[Any]],
    fields: Mapping[str, Any],
    *,
    system: str,
    ts: str,
    version: int,
    matrix: OwnershipMatrix,
    identity: frozenset[str] = frozenset(),
) -> MergeResult:
    """Merge ``fields`` (flat path -> value) asserted by ``system`` at ``ts`` (fixed-width UTC).

    ``version`` is the version the record gets if anything changes; it is
    written into the provenance of the fields this change sets. Provenance
    entries are ``[system, source_ts, version]``.

    ``identity`` paths (what names the record: a SKU, an account number) are
    applied from any system while the record has no value for them: naming a
    record is not owning it. Once set, changing them is an owner's write.
    """
    new_state = dict(state)
    new_prov = dict(provenance)
    changed: list[str] = []
    rejected: list[tuple[str, str | None]] = []
    proposals: list[tuple[str, Any]] = []
    stale: list[str] = []
    touched = False
    withheld = 0
    verdicts = matrix.verdict_table(entity_type, system)
    for path, value in fields.items():
        current = new_state.get(path)
        verdict = verdicts.get(path)
        if verdict is None:
            verdict = verdicts[path] = matrix.verdict(entity_type, path, system)
        stamp = new_prov.get(path)
        # A non-owner may name the record (its SKU, account number) until an owner has
        # written that field: its write is stamped before every real time, so an owner's
        # value wins in any order, and two names compare by digest like any tie.
        naming = (
            verdict is not Verdict.APPLY
            and path in identity
            and (stamp is None or stamp[1] == NAMED)
        )
        if verdict is not Verdict.APPLY and not naming:
            if value != current:
                withheld += 1
                if verdict is Verdict.REJECT:
                    rejected.append((path, matrix.owner(entity_type, path)))
                elif verdict is Verdict.PROPOSE:
                    proposals.append((path, value))
            continue
        at = NAMED if naming else ts
        if stamp is not None:
            if at < stamp[1]:
                stale.append(path)
                withheld += value != current
                continue
            if at == stamp[1]:
                if value == current:
                    continue  # this very write is already in place
                if _digest(value) < _digest(current):
                    stale.append(path)
                    withheld += 1
                    continue
        if value != current:
            if value is None:
                new_state.pop(path, None)
            else:
                new_state[path] = value
            changed.append(path)
            new_prov[path] = [system, at, version]
        else:
            new_prov[path] = [system, at, stamp[2] if stamp else version]
            touched = True
    return MergeResult(new_state, new_prov, changed, touched, rejected, proposals, stale, withheld)


__all__ = ["MergeResult", "merge_fields"]
