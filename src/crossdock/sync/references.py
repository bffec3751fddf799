"""References that follow a merge: a change naming a merged-away record names its survivor.

A price list's scope names customers by account number. When two customers
are merged, the merge moves the merged-away account number's key to the
survivor and rewrites the stored lists that named it; a list that a system
sends afterwards, still naming the old number, must not scope a record that
no longer exists. Ingest therefore reads each reference through the key
index: a key held by a record whose own value is another (the survivor of a
merge, which kept its own number) is renamed to that value, and the rename
is audited. A key no record holds is left as sent (a contract may name a
customer that has not arrived yet).

Only entity types with a matcher merge, so only references to those are
followed; without one this costs nothing. Ingest takes the referenced keys'
locks together with its own (one ``lock_keys`` call, so no deadlock), the
same locks a merge takes for the account numbers it moves: a list ingested
during a merge is either seen and rewritten by the merge, or sees the merge
and is renamed here.

Ship-to codes follow the same way (``site_references``): a merge that joins
a merged-away site into one of the survivor's keeps the joined-away code as
an alias in the site crosswalk (system ``crossdock``); a list's ship-to
code that is such an alias of one of the customers it names (after their
renames) is renamed to the surviving site's code, under the same locks.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import replace
from typing import Any

from crossdock.model.base import CanonicalEntity, EntityType
from crossdock.model.change import Change
from crossdock.store import WriteTx
from crossdock.store.customer_rows import SITE_ALIAS
from crossdock.store.protocols import CustomerMerges

Ref = tuple[EntityType, str, str]
"""(entity type named, key kind, key value)."""


def lock_key(entity_type: EntityType, kind: str, value: str) -> str:
    """The lock ingest and a merge take on one natural key (as ingest's identify does)."""
    return f"{entity_type.value}:nk:{kind}:{value}"


def _values(data: Mapping[str, Any], path: str) -> Any:
    node: Any = data
    for part in path.split("."):
        if not isinstance(node, Mapping):
            return None
        node = node.get(part)
    return node


def _named(
    model: type[CanonicalEntity], c: Change, follow: Collection[EntityType]
) -> Iterator[Ref]:
    for path, (target, kind) in model.references.items():
        if target not in follow:
            continue
        values = _values(c.data, path)
        if isinstance(values, list):
            yield from ((target, kind, v) for v in values if isinstance(v, str) and v)


def named_refs(
    model: type[CanonicalEntity], changes: Sequence[Change], follow: Collection[EntityType]
) -> list[Ref]:
    """The followed references ``changes`` name, without repeats."""
    if not model.references:
        return []
    return list(dict.fromkeys(r for c in changes for r in _named(model, c, follow)))


def renames(tx: WriteTx, refs: Sequence[Ref]) -> dict[Ref, str]:
    """Each reference whose key now lives on a record with another value -> that value."""
    out: dict[Ref, str] = {}
    by_type: dict[EntityType, list[Ref]] = {}
    for r in refs:
        by_type.setdefault(r[0], []).append(r)
    for target, wanted in by_type.items():
        holders = tx.natural_lookup(target, [(k, v) for _, k, v in wanted])
        recs = tx.load_records(target, sorted(set(holders.values())))
        for ref in wanted:
            rec = recs.get(holders.get((ref[1], ref[2]), ""))
            own = None if rec is None or rec.deleted else rec.data.get(ref[1])
            if isinstance(own, str) and own != ref[2]:
                out[ref] = own
    return out


def renamed(
    model: type[CanonicalEntity],
    c: Change,
    names: Mapping[Ref, str],
    follow: Collection[EntityType],
) -> Change:
    """``c`` with its renamed references replaced (order kept, repeats dropped)."""
    if not any(r in names for r in _named(model, c, follow)):
        return c
    data = _copy_path(c.data, model)
    for path, (target, kind) in model.references.items():
        values = _values(data, path)
        if target in follow and isinstance(values, list):
            values[:] = list(dict.fromkeys(names.get((target, kind, v), v) for v in values))
    return replace(c, data=data)


def _copy_path(data: Mapping[str, Any], model: type[CanonicalEntity]) -> dict[str, Any]:
    """A copy of ``data`` whose mappings and lists along the reference paths are new objects."""
    out = dict(data)
    for path in model.references:
        node = out
        *parents, leaf = path.split(".")
        for part in parents:
            child = node.get(part)
            if not isinstance(child, Mapping):
                break
            node[part] = node = dict(child)
        else:
            if isinstance(node.get(leaf), list):
                node[leaf] = list(node[leaf])
    return out


def follow_sites(
    tx: WriteTx, merges: CustomerMerges, model: type[CanonicalEntity], changes: Sequence[Change]
) -> list[tuple[Change, dict[str, str]]]:
    """Each change with its ship-to codes that a merge joined away renamed; code -> code."""
    if not model.site_references:
        return [(c, {}) for c in changes]
    accounts = {
        a
        for c in changes
        for path, of in model.site_references.items()
        if isinstance(_values(c.data, path), list)
        and isinstance(names := _values(c.data, of), list)
        for a in names
        if isinstance(a, str) and a
    }
    holders = (
        tx.natural_lookup(EntityType.CUSTOMER, [("account_number", a) for a in sorted(accounts)])
        if accounts
        else {}
    )
    aliases: dict[str, dict[str, str]] = {}
    if holders:
        for rid, _, old, code in merges.site_links(tx, sorted(set(holders.values())), [SITE_ALIAS]):
            aliases.setdefault(rid, {})[old] = code
    out: list[tuple[Change, dict[str, str]]] = []
    for c in changes:
        moved: dict[str, str] = {}
        data: dict[str, Any] | None = None
        for path, of in model.site_references.items():
            codes, names = _values(c.data, path), _values(c.data, of)
            if not isinstance(codes, list) or not isinstance(names, list):
                continue
            known: dict[str, str] = {}
            for a in names:
                known = {**aliases.get(holders.get(("account_number", a), ""), {}), **known}
            new = list(dict.fromkeys(known.get(x, x) if isinstance(x, str) else x for x in codes))
            if new == codes:
                continue
            moved.update({x: known[x] for x in codes if isinstance(x, str) and x in known})
            data = data if data is not None else _copy_paths(c.data, model.site_references)
            *parents, leaf = path.split(".")
            node = _values(data, ".".join(parents)) if parents else data
            node[leaf] = new
        out.append((c if data is None else replace(c, data=data), moved))
    return out


def _copy_paths(data: Mapping[str, Any], paths: Collection[str]) -> dict[str, Any]:
    """A copy of ``data`` whose mappings along ``paths`` are new objects."""
    out = dict(data)
    for path in paths:
        node = out
        for part in path.split(".")[:-1]:
            child = node.get(part)
            if not isinstance(child, Mapping):
                break
            node[part] = node = dict(child)
    return out


__all__ = ["Ref", "follow_sites", "lock_key", "named_refs", "renamed", "renames"]
