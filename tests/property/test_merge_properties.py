"""Merge is order- and duplicate-insensitive, and never lets a non-owner change an owned field."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from crossdock.config.hub import EntityOwnership, NonOwnerPolicy
from crossdock.config.ownership import DELETED, OwnershipMatrix
from crossdock.model.base import EntityType
from crossdock.sync.merge import merge_fields

SYSTEMS = ["erp", "crm", "portal"]
# Leaf paths as flatten_record yields them: never overlapping.
PATHS = ["name", "credit_limit", "terms", "address.city", "address.country"]
VALUES = st.one_of(st.none(), st.sampled_from(["a", "b", "10.00", "10.5"]), st.integers(0, 3))
TIMES = st.sampled_from([f"2026-01-0{d}T00:00:00.000000Z" for d in range(1, 5)])

Change = tuple[str, str, dict[str, Any]]
changes_st = st.lists(
    st.tuples(
        st.sampled_from(SYSTEMS),
        TIMES,
        st.dictionaries(st.sampled_from([*PATHS, DELETED]), VALUES, min_size=1, max_size=4),
    ),
    min_size=1,
    max_size=8,
)


def _matrix(policy: NonOwnerPolicy) -> OwnershipMatrix:
    return OwnershipMatrix(
        {
            EntityType.CUSTOMER: EntityOwnership(
                owner="erp", fields={"name": "crm", "address*": "crm"}, non_owner=policy
            )
        }
    )


def _apply(matrix: OwnershipMatrix, entity: EntityType, changes: list[Change]) -> dict[str, Any]:
    state: dict[str, Any] = {}
    prov: dict[str, list[Any]] = {}
    for version, (system, ts, fields) in enumerate(changes, start=1):
        result = merge_fields(
            entity, state, prov, fields, system=system, ts=ts, version=version, matrix=matrix
        )
        state, prov = result.state, result.provenance
    return state


@settings(max_examples=300, deadline=None)
@given(changes_st, st.randoms(use_true_random=False), st.lists(st.integers(0, 7), max_size=6))
def test_any_order_and_duplication_gives_the_same_state(
    changes: list[Change], rnd: Any, dup_idx: list[int]
) -> None:
    for entity in (EntityType.CUSTOMER, EntityType.PRODUCT):  # owned, and no system of record
        matrix = _matrix(NonOwnerPolicy.REJECT)
        expected = _apply(matrix, entity, changes)
        shuffled = list(changes) + [changes[i % len(changes)] for i in dup_idx]
        rnd.shuffle(shuffled)
        assert _apply(matrix, entity, shuffled) == expected


@settings(max_examples=300, deadline=None)
@given(changes_st, st.sampled_from(list(NonOwnerPolicy)))
def test_a_non_owner_never_changes_an_owned_field(
    changes: list[Change], policy: NonOwnerPolicy
) -> None:
    matrix = _matrix(policy)
    state: dict[str, Any] = {}
    prov: dict[str, list[Any]] = {}
    for version, (system, ts, fields) in enumerate(changes, start=1):
        result = merge_fields(
            EntityType.CUSTOMER,
            state,
            prov,
            fields,
            system=system,
            ts=ts,
            version=version,
            matrix=matrix,
        )
        for path in result.changed:
            assert matrix.owner(EntityType.CUSTOMER, path) == system
        for path, value in result.state.items():
            if state.get(path) != value:
                assert matrix.owner(EntityType.CUSTOMER, path) == system
        state, prov = result.state, result.provenance


IDENTITY = frozenset({"account_number"})
named_st = st.lists(
    st.tuples(
        st.sampled_from(SYSTEMS),
        TIMES,
        st.dictionaries(
            st.sampled_from(["account_number", "name", "terms"]),
            st.one_of(st.none(), st.sampled_from(["A-1", "A-2", "x"])),
            min_size=1,
            max_size=3,
        ),
    ),
    min_size=1,
    max_size=8,
)


def _apply_named(matrix: OwnershipMatrix, changes: list[Change]) -> tuple[dict[str, Any], Any]:
    state: dict[str, Any] = {}
    prov: dict[str, list[Any]] = {}
    for version, (system, ts, fields) in enumerate(changes, start=1):
        result = merge_fields(
            EntityType.CUSTOMER,
            state,
            prov,
            fields,
            system=system,
            ts=ts,
            version=version,
            matrix=matrix,
            identity=IDENTITY,
        )
        state, prov = result.state, result.provenance
    return state, prov


@settings(max_examples=400, deadline=None)
@given(named_st, st.randoms(use_true_random=False))
def test_identity_named_by_non_owners_is_order_independent_and_yields_to_the_owner(
    changes: list[Change], rnd: Any
) -> None:
    """Any system may name a record; the owner's own value wins, whatever the order."""
    matrix = _matrix(NonOwnerPolicy.REJECT)  # erp owns account_number
    expected, _ = _apply_named(matrix, changes)
    shuffled = list(changes)
    rnd.shuffle(shuffled)
    assert _apply_named(matrix, shuffled)[0] == expected
    owner_writes = [
        (ts, f["account_number"]) for s, ts, f in changes if s == "erp" and "account_number" in f
    ]
    if owner_writes:
        newest = max(owner_writes, key=lambda w: w[0])[0]
        at_newest = {v for ts, v in owner_writes if ts == newest}
        assert expected.get("account_number") in at_newest
