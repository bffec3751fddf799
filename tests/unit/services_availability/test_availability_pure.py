"""The pure parts of the availability service: channels, publish threshold, reconcile, sourcing."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

import crossdock.services.availability as availability
from crossdock.config.availability import AvailabilityConfig, ChannelRule, Feed, PublishRule
from crossdock.errors import InvalidInput
from crossdock.services.availability import (
    Inbound,
    LineOutcome,
    LineRequest,
    Resolution,
    Stock,
    channel_atp,
    plan_sourcing,
    reconcile_on_hand,
    should_publish,
    to_units,
)

TODAY = date(2026, 12, 1)
D = Decimal


def test_exports_are_what_we_mean() -> None:
    assert "AvailabilityService" in availability.__all__
    assert sorted(availability.__all__) == sorted(set(availability.__all__))
    for name in availability.__all__:
        assert hasattr(availability, name)


def test_channel_rules() -> None:
    web = ChannelRule(name="web", ring_fence_percent=D(30), safety_stock=D(2), locations=["W1"])
    assert channel_atp(D(10), web, "W1") == D(3)  # 30% of 10, below 10 - 2
    assert channel_atp(D(7), web, "W1") == D(2)  # 30% of 7 = 2.1, whole units down
    assert channel_atp(D(10), web, "W2") == D(0)  # W2 does not serve web
    amazon = ChannelRule(name="amazon", ring_fence_units=D(5), safety_stock=D(4))
    assert channel_atp(D(100), amazon, "W2") == D(5)
    assert channel_atp(D(6), amazon, "W2") == D(2)
    assert channel_atp(D(3), amazon, "W2") == D(0)
    assert channel_atp(D("7.5"), ChannelRule(name="x", ring_fence_percent=D(50)), "W") == D("3.75")


@pytest.mark.parametrize(
    ("prev", "cur", "rule", "expected"),
    [
        (None, D(7), PublishRule(levels=[D(5)]), True),  # nothing published yet
        (D(9), D(8), PublishRule(levels=[D(5)]), False),  # noise above the level
        (D(6), D(5), PublishRule(levels=[D(5)]), True),  # lands on the level
        (D(6), D(4), PublishRule(levels=[D(5)]), True),  # crosses down
        (D(4), D(6), PublishRule(levels=[D(5)]), True),  # crosses up
        (D(5), D(4), PublishRule(levels=[D(5)]), False),  # already at or below the level
        (D(5), D(6), PublishRule(levels=[D(5)]), True),  # back above it
        (D(1), D(0), PublishRule(levels=[D(5)], min_change=D(100)), True),  # zero, always
        (D(20), D(12), PublishRule(min_change=D(10)), False),
        (D(20), D(10), PublishRule(min_change=D(10)), True),
        (D(20), D(19), PublishRule(), True),  # nothing configured: every change
        (D(20), D(20), PublishRule(), False),
        (D(1), D(0), PublishRule(enabled=False), False),
    ],
)
def test_publish_threshold(prev: D | None, cur: D, rule: PublishRule, expected: bool) -> None:
    assert should_publish(prev, cur, rule) is expected


@given(st.decimals(0, 1000, places=0), st.decimals(0, 1000, places=0))
def test_zero_is_always_published(prev: D, level: D) -> None:
    rule = PublishRule(levels=[level], min_change=D(10_000))
    assert should_publish(prev, D(0), rule) is (prev != 0)


def test_reconcile_under_each_precedence() -> None:
    # Events say 85 now; 5 were picked after the snapshot's as_of; the ERP says 88.
    wms = reconcile_on_hand(D(85), D(88), D(-5), Feed.WMS)
    assert (wms.on_hand, wms.expected, wms.drift, wms.resolution) == (
        D(85),
        D(90),
        D(-2),
        Resolution.KEPT_WMS,
    )
    erp = reconcile_on_hand(D(85), D(88), D(-5), Feed.ERP)
    assert (erp.on_hand, erp.drift, erp.resolution) == (D(83), D(-2), Resolution.APPLIED_ERP)
    agree = reconcile_on_hand(D(85), D(90), D(-5), Feed.ERP)
    assert (agree.on_hand, agree.drift) == (D(85), D(0))  # the picks in flight are not undone
    fresh = reconcile_on_hand(D(0), D(40), D(0), Feed.WMS, has_events=False)
    assert (fresh.on_hand, fresh.resolution) == (D(40), Resolution.ADOPTED)


def test_quantities_beyond_six_decimals_are_refused() -> None:
    assert to_units(D("1.000001"), "q") == 1_000_001
    with pytest.raises(InvalidInput) as exc:
        to_units(D("1.0000001"), "lines.0.quantity")
    assert exc.value.field == "lines.0.quantity"
    with pytest.raises(InvalidInput):
        to_units(D("1e15"), "q")


def _stock(avail: int, inbound: tuple[Inbound, ...] = ()) -> Stock:
    return Stock(D(avail), D(avail), inbound)


def test_sourcing_prefers_one_location_in_order_then_splits() -> None:
    pos = {("A", "W1"): _stock(3), ("A", "W2"): _stock(10), ("A", "W3"): _stock(4)}
    plan = plan_sourcing(
        [LineRequest("1", "A", D(5))],
        pos,
        preference=["W1", "W3", "W2"],
        split_allowed=True,
        substitutes={},
        today=TODAY,
    )
    assert plan[0].outcome is LineOutcome.FULL
    assert [(a.location, a.quantity) for a in plan[0].allocations] == [("W2", D(5))]
    plan = plan_sourcing(
        [LineRequest("1", "A", D(15))],
        pos,
        preference=["W1", "W3", "W2"],
        split_allowed=True,
        substitutes={},
        today=TODAY,
    )
    assert plan[0].outcome is LineOutcome.SPLIT
    assert [(a.location, a.quantity) for a in plan[0].allocations] == [
        ("W1", D(3)),
        ("W3", D(4)),
        ("W2", D(8)),
    ]


def test_sourcing_substitutes_then_backorders_with_a_promise_date() -> None:
    po = Inbound("PO-1", D(20), date(2026, 12, 10))
    late = Inbound("PO-2", D(50), date(2027, 1, 5))
    pos = {
        ("A", "W1"): _stock(2, (late,)),
        ("A", "W2"): _stock(1, (po,)),
        ("B", "W1"): _stock(3),
    }
    subs = {"A": ["B"]}
    # Splitting forbidden: no single location covers 5 of A; B covers 5? no (3): backorder.
    plan = plan_sourcing(
        [LineRequest("1", "A", D(5))],
        pos,
        preference=["W1", "W2"],
        split_allowed=False,
        substitutes=subs,
        today=TODAY,
    )
    assert plan[0].outcome is LineOutcome.BACKORDER and plan[0].allocations == []
    assert plan[0].backorder is not None
    assert (plan[0].backorder.location, plan[0].backorder.promise_date) == ("W2", po.eta)
    # Splitting allowed: 2 + 1 of A, the shortfall of 2 from substitute B.
    plan = plan_sourcing(
        [LineRequest("1", "A", D(5))],
        pos,
        preference=["W1", "W2"],
        split_allowed=True,
        substitutes=subs,
        today=TODAY,
    )
    assert plan[0].outcome is LineOutcome.SUBSTITUTED
    assert [(a.sku, a.location, a.quantity, a.substitute_for) for a in plan[0].allocations] == [
        ("A", "W1", D(2), None),
        ("A", "W2", D(1), None),
        ("B", "W1", D(2), "A"),
    ]
    assert plan[0].backorder is None


def test_two_lines_never_promise_the_same_unit() -> None:
    pos = {("A", "W1"): _stock(4, (Inbound("PO", D(3), date(2026, 12, 5)),))}
    plan = plan_sourcing(
        [LineRequest("1", "A", D(4)), LineRequest("2", "A", D(3)), LineRequest("3", "A", D(1))],
        pos,
        preference=["W1"],
        split_allowed=True,
        substitutes={},
        today=TODAY,
    )
    assert plan[0].outcome is LineOutcome.FULL
    assert plan[1].backorder is not None and plan[1].backorder.promise_date == date(2026, 12, 5)
    assert plan[2].backorder is not None and plan[2].backorder.promise_date is None


@given(
    st.lists(st.integers(0, 10), min_size=1, max_size=4),
    st.lists(st.integers(1, 15), min_size=1, max_size=5),
    st.booleans(),
)
def test_sourcing_never_allocates_more_than_there_is(
    stock: list[int], lines: list[int], split: bool
) -> None:
    locs = [f"W{i}" for i in range(len(stock))]
    pos = {("A", loc): _stock(n) for loc, n in zip(locs, stock, strict=True)}
    plan = plan_sourcing(
        [LineRequest(str(i), "A", D(q)) for i, q in enumerate(lines)],
        pos,
        preference=locs,
        split_allowed=split,
        substitutes={},
        today=TODAY,
    )
    taken: dict[str, D] = {}
    for p in plan:
        got = sum((a.quantity for a in p.allocations), D(0))
        back = p.backorder.quantity if p.backorder else D(0)
        assert got + back == p.quantity
        if not split:
            assert len(p.allocations) <= 1
        for a in p.allocations:
            taken[a.location] = taken.get(a.location, D(0)) + a.quantity
    for loc, n in zip(locs, stock, strict=True):
        assert taken.get(loc, D(0)) <= n


def test_config_checks_its_references() -> None:
    with pytest.raises(ValueError, match="unknown location 'W9'"):
        AvailabilityConfig(locations=["W1"], regions={"east": ["W9"]})
    with pytest.raises(ValueError, match="unique"):
        AvailabilityConfig(channels=[ChannelRule(name="a"), ChannelRule(name="a")])
    cfg = AvailabilityConfig(locations=["W1", "W2", "W3"], regions={"west": ["W3", "W1"]})
    assert cfg.preference("west") == ["W3", "W1", "W2"]
    assert cfg.preference(None) == ["W1", "W2", "W3"]
