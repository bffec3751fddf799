"""Ingest's planning part, without a database: order-free, all-or-nothing, honest events."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crossdock.config.hub import EntityOwnership
from crossdock.config.ownership import DELETED, OwnershipMatrix
from crossdock.errors import ErrorCode
from crossdock.model.base import EntityType
from crossdock.model.change import Change, ChangeOp
from crossdock.model.paths import flatten_record
from crossdock.model.product import Product
from crossdock.store.jsoncodec import loads
from crossdock.sync.ingest_plan import ChangePlanner, KeyOwners, Outcome, WorkingRecord
from crossdock.sync.ingest_problems import Refused

NOW = datetime(2026, 12, 4, tzinfo=UTC)
MATRIX = OwnershipMatrix(
    {
        EntityType.PRODUCT: EntityOwnership(
            owner="erp", fields={"description": "portal", "channels": "portal"}
        )
    }
)

erp_change = st.builds(
    lambda minute, price, brand, status: Change(
        system="erp",
        entity_type=EntityType.PRODUCT,
        native_id="E-1",
        data={"sku": "SKU-1", "list_price": price, "brand": brand}
        | ({"status": status} if status else {}),
        source_ts=NOW + timedelta(minutes=minute),
    ),
    st.integers(0, 30),
    st.sampled_from(["1.00", "2.50", "10"]),
    st.sampled_from(["Acme", "Bolt"]),
    st.sampled_from([None, "active", "discontinued"]),
)
erp_delete = st.builds(
    lambda minute: Change(
        system="erp",
        entity_type=EntityType.PRODUCT,
        native_id="E-1",
        op=ChangeOp.DELETE,
        source_ts=NOW + timedelta(minutes=minute),
    ),
    st.integers(0, 30),
)
portal_change = st.builds(
    lambda minute, text, channels: Change(
        system="portal",
        entity_type=EntityType.PRODUCT,
        native_id="P-1",
        data={"sku": "SKU-1", "description": text, "channels": channels},
        source_ts=NOW + timedelta(minutes=minute),
    ),
    st.integers(0, 30),
    st.sampled_from(["red", "blue", None]),
    st.sampled_from([["web"], ["web", "edi"], []]),
)
changes_st = st.lists(
    st.one_of(erp_change, erp_change, erp_delete, portal_change), min_size=1, max_size=8
)


def _planner(holders: dict[tuple[str, str], str] | None = None) -> ChangePlanner:
    store_keys = dict(holders or {})
    keys = KeyOwners(lambda wanted: {k: store_keys[k] for k in wanted if k in store_keys})
    return ChangePlanner(Product, EntityType.PRODUCT, MATRIX, keys, NOW)


def _run(changes: list[Change]) -> tuple[WorkingRecord, list[dict[str, Any]]]:
    """Plan ``changes`` in order into one record; refused ones wait and go again, as ingest
    releases changes that waited for their record."""
    planner = _planner()
    w = WorkingRecord.new("prd_1")
    events: list[dict[str, Any]] = []
    pending = list(changes)
    while pending:
        waiting: list[Change] = []
        for c in pending:
            try:
                plan = planner.plan(c, w)
            except Refused:
                waiting.append(c)
                continue
            if plan.event is not None:
                events.append(plan.event)
        if len(waiting) == len(pending):
            break
        pending = waiting
    return w, events


@settings(max_examples=200, deadline=None)
@given(changes_st, st.randoms(use_true_random=False))
def test_any_arrival_order_ends_in_the_same_record(changes: list[Change], rnd: Any) -> None:
    shuffled = list(changes)
    rnd.shuffle(shuffled)
    a, _ = _run(changes)
    b, _ = _run(shuffled)
    assert (a.data, a.deleted, a.exists) == (b.data, b.deleted, b.exists)


@settings(max_examples=200, deadline=None)
@given(changes_st)
def test_each_event_is_the_next_version_and_names_exactly_what_changed(
    changes: list[Change],
) -> None:
    w, events = _run(changes)
    before: dict[str, Any] = {}
    was_deleted = False
    for n, ev in enumerate(events, start=1):
        assert ev["version"] == n
        data = loads(ev["data"])
        after = flatten_record(Product, data)
        now_deleted = ev["op"] == ChangeOp.DELETE.value
        diff = sorted(p for p in before.keys() | after.keys() if before.get(p) != after.get(p))
        if now_deleted != was_deleted:
            diff.append(DELETED)
        assert loads(ev["changed"]) == diff
        assert diff, "an event that changes nothing"
        before, was_deleted = after, now_deleted
    assert w.version == len(events)
    if events:
        assert loads(events[-1]["data"]) == w.data


@settings(max_examples=200, deadline=None)
@given(changes_st)
def test_a_refused_change_leaves_the_record_as_it_was(changes: list[Change]) -> None:
    w, _ = _run(changes)
    bad = Change(
        system="erp",
        entity_type=EntityType.PRODUCT,
        native_id="E-1",
        data={"sku": "SKU-1", "list_price": "-5"},
        source_ts=NOW + timedelta(days=1),
    )
    snapshot = copy.deepcopy(w)
    with pytest.raises(Refused) as refused:
        _planner().plan(bad, w)
    assert w == snapshot
    assert refused.value.exception.code == ErrorCode.VALIDATION_FAILED
    assert refused.value.exception.field == "list_price"


def test_a_natural_key_held_by_another_record_is_refused_and_nothing_moves() -> None:
    planner = _planner({("sku", "SKU-1"): "prd_other"})
    w = WorkingRecord.new("prd_1")
    snapshot = copy.deepcopy(w)
    change = Change(
        system="erp",
        entity_type=EntityType.PRODUCT,
        native_id="E-9",
        data={"sku": "SKU-1", "list_price": "3"},
        source_ts=NOW,
    )
    with pytest.raises(Refused) as refused:
        planner.plan(change, w)
    assert refused.value.exception.code == ErrorCode.CONFLICT
    assert "prd_other" in refused.value.exception.reason
    assert w == snapshot


def test_a_non_owners_value_is_refused_in_part_and_the_rest_applies() -> None:
    planner = _planner()
    w = WorkingRecord.new("prd_1")
    planner.plan(
        Change(
            system="erp",
            entity_type=EntityType.PRODUCT,
            native_id="E-1",
            data={"sku": "SKU-1", "list_price": "3"},
            source_ts=NOW,
        ),
        w,
    )
    plan = planner.plan(
        Change(
            system="portal",
            entity_type=EntityType.PRODUCT,
            native_id="P-1",
            data={"sku": "SKU-1", "list_price": "1", "description": "blue"},
            source_ts=NOW + timedelta(minutes=1),
        ),
        w,
    )
    assert plan.outcome is Outcome.UPDATED
    assert plan.problem is not None and plan.problem.code == ErrorCode.OWNERSHIP_CONFLICT
    assert w.data["list_price"] == "3" and w.data["description"] == "blue"
