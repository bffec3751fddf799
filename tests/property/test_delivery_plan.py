"""Delivery's planning part, without a database: compaction, no echo, parked order, filters."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from crossdock.config.hub import RouteConfig
from crossdock.connectors.base import DeliveryResult, DeliveryStatus
from crossdock.errors import ErrorCode
from crossdock.model.base import EntityType
from crossdock.model.change import ChangeOp
from crossdock.store import EventRow
from crossdock.sync.delivery_plan import PARKED_BEHIND, plan_batch, settle_batch

T0 = datetime(2026, 12, 4, tzinfo=UTC)
ENTITIES = ["prd_a", "prd_b", "prd_c", "prd_d"]
SYSTEMS = ["erp", "portal", "wms"]
FIELDS = ["sku", "list_price", "status", "description"]

event_parts = st.tuples(
    st.sampled_from(ENTITIES),
    st.sampled_from(SYSTEMS),
    st.lists(st.sampled_from(FIELDS), min_size=1, max_size=3, unique=True),
    st.sampled_from(["active", "discontinued"]),
    st.booleans(),
)
routes = st.builds(
    lambda fields, filtered: RouteConfig(
        name="to_portal",
        entities=[EntityType.PRODUCT],
        destination="portal",
        fields=fields,
        filter={"status": ["active"]} if filtered else {},
    ),
    st.sampled_from([["*"], ["sku", "list_price"], ["description"]]),
    st.booleans(),
)


def _events(parts: list[tuple[str, str, list[str], str, bool]]) -> list[EventRow]:
    """A window in outbox order: each entity's versions count up from 1."""
    versions: dict[str, int] = {}
    out = []
    for seq, (entity, system, changed, status, delete) in enumerate(parts, start=1):
        versions[entity] = versions.get(entity, 0) + 1
        data: dict[str, Any] = (
            {}
            if delete
            else {"sku": entity, "list_price": "1", "status": status, "description": "x"}
        )
        out.append(
            EventRow(
                seq,
                f"ev{seq}",
                EntityType.PRODUCT,
                entity,
                versions[entity],
                ChangeOp.DELETE if delete else ChangeOp.UPSERT,
                system,
                changed,
                data,
                T0,
            )
        )
    return out


@settings(max_examples=300, deadline=None)
@given(
    routes,
    st.lists(event_parts, min_size=1, max_size=12),
    st.sets(st.sampled_from(ENTITIES)),
    st.booleans(),
)
def test_every_entity_is_sent_once_at_its_newest_version_or_accounted_for(
    route: RouteConfig, parts: list[Any], parked: set[str], passed_before: bool
) -> None:
    events = _events(parts)
    plan = plan_batch(
        route,
        events,
        parked=parked,
        native_ids={(EntityType.PRODUCT, "prd_a"): "A-1"},
        passed_before=lambda _ev, _first: passed_before,
    )
    newest = {ev.entity_id: ev.version for ev in events}
    sent = [d for _, d in plan.to_send]
    behind = [d for _, d in plan.behind]
    # each entity of the window: exactly one of sent, parked behind, skipped
    assert len(sent) + len(behind) + plan.skipped == len(newest)
    assert len({d.entity_id for d in sent + behind}) == len(sent) + len(behind)
    for d in sent + behind:
        assert d.version == newest[d.entity_id], "compaction keeps the newest version"
    for ev, d in plan.to_send:
        assert d.entity_id not in parked, "a parked entity's later version jumped the queue"
        own = [ev for ev in events if ev.entity_id == d.entity_id]
        assert any(ev.source_system != "portal" for ev in own), "echoed the destination's change"
        assert set(d.data) <= {f for f in FIELDS if route.sends(f)}
        assert d.native_id == ("A-1" if d.entity_id == "prd_a" else None)
        if d.op is ChangeOp.UPSERT and route.filter:
            assert ev.data["status"] == "active", "sent a record the filter keeps out"
    for d in behind:
        assert d.entity_id in parked


@settings(max_examples=300, deadline=None)
@given(
    st.lists(event_parts, min_size=1, max_size=12),
    st.sets(st.sampled_from(ENTITIES)),
    st.lists(st.sampled_from(list(DeliveryStatus)), min_size=12, max_size=12),
)
def test_settling_records_each_delivery_once_as_delivered_or_parked(
    parts: list[Any], parked: set[str], statuses: list[DeliveryStatus]
) -> None:
    route = RouteConfig(name="r", entities=[EntityType.PRODUCT], destination="portal")
    plan = plan_batch(
        route, _events(parts), parked=parked, native_ids={}, passed_before=lambda *_: True
    )
    results = {
        d.delivery_id: DeliveryResult(
            d.delivery_id,
            status,
            native_id=f"N-{d.entity_id}" if status is DeliveryStatus.DELIVERED else None,
            error=None if status is DeliveryStatus.DELIVERED else "no",
            code=None if status is DeliveryStatus.DELIVERED else ErrorCode.VALIDATION_FAILED,
        )
        for (_, d), status in zip(plan.to_send, statuses, strict=False)
    }
    settled = settle_batch(plan, results, {})
    ids = [d.delivery_id for d in settled.delivered] + [
        p.delivery.delivery_id for p in settled.parked
    ]
    assert sorted(ids) == sorted(d.delivery_id for _, d in plan.to_send + plan.behind)
    for d in settled.delivered:
        assert results[d.delivery_id].status is DeliveryStatus.DELIVERED
    assert [n for _, n in settled.native_ids] == [f"N-{d.entity_id}" for d in settled.delivered]
    for p in settled.parked:
        if p.delivery.entity_id in parked:
            assert (p.error, p.attempts) == (PARKED_BEHIND, 0)
        else:
            assert p.code == ErrorCode.VALIDATION_FAILED and p.attempts == 1


def test_a_record_that_leaves_the_filter_is_withdrawn_only_if_it_was_there() -> None:
    route = RouteConfig(
        name="r",
        entities=[EntityType.PRODUCT],
        destination="portal",
        filter={"status": ["active"]},
    )
    window = _events([("prd_a", "erp", ["status"], "discontinued", False)])
    for was_there, expected in ((True, [ChangeOp.DELETE]), (False, [])):
        plan = plan_batch(
            route, window, parked=(), native_ids={}, passed_before=lambda *_, w=was_there: w
        )
        assert [d.op for _, d in plan.to_send] == expected
        assert all(d.data == {} for _, d in plan.to_send)


@settings(max_examples=300, deadline=None)
@given(
    routes,
    st.lists(event_parts, min_size=1, max_size=12),
    st.sets(st.sampled_from(ENTITIES)),
    st.booleans(),
)
def test_every_version_sends_each_version_in_order_or_accounts_for_it(
    route: RouteConfig, parts: list[Any], parked: set[str], passed_before: bool
) -> None:
    """Compaction off: each version is sent, skipped or parked behind, once, in outbox order;
    a version that leaves the filter withdraws only what the destination held."""
    route = route.model_copy(update={"every_version": True})
    events = _events(parts)
    plan = plan_batch(
        route,
        events,
        parked=parked,
        native_ids={},
        passed_before=lambda ev, first: passed_before,
    )
    sent = [ev.seq for ev, _ in plan.to_send]
    assert sent == sorted(sent)
    assert len(sent) + len(plan.behind) + plan.skipped == len(events)
    assert all(ev.entity_id in parked for ev, _ in plan.behind)
    assert not any(ev.source_system == route.destination for ev, _ in plan.to_send)
    for ev, d in plan.to_send:
        assert d.version == ev.version
        if d.op is ChangeOp.DELETE and ev.op is ChangeOp.UPSERT:
            earlier = [e for e in events if e.entity_id == ev.entity_id and e.seq < ev.seq]
            held = (
                earlier[-1].op is ChangeOp.UPSERT and earlier[-1].data.get("status") == "active"
                if earlier
                else passed_before
            )
            assert held  # withdrawn only when the version before was in the filter


def test_a_refused_version_parks_the_later_ones_behind_it() -> None:
    route = RouteConfig(
        name="to_portal", entities=[EntityType.PRODUCT], destination="portal", every_version=True
    )
    events = _events([("prd_a", "erp", ["status"], "active", False)] * 3)
    plan = plan_batch(route, events, parked=set(), native_ids={}, passed_before=lambda e, f: False)
    ids = [d.delivery_id for _, d in plan.to_send]
    results = {
        ids[0]: DeliveryResult(ids[0], DeliveryStatus.DELIVERED),
        ids[1]: DeliveryResult(ids[1], DeliveryStatus.FAILED, error="no", code=ErrorCode.PERMANENT),
        ids[2]: DeliveryResult(ids[2], DeliveryStatus.DELIVERED),
    }
    settled = settle_batch(plan, results, {})
    assert [d.version for d in settled.delivered] == [1]
    assert [(p.delivery.version, p.error) for p in settled.parked] == [
        (2, "no"),
        (3, PARKED_BEHIND),
    ]
