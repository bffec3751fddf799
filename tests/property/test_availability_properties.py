"""ATP bucket arithmetic and the projection by date, checked over generated positions."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from crossdock.config.availability import ChannelRule
from crossdock.services.availability import (
    Buckets,
    Inbound,
    channel_atp,
    earliest_covering,
    from_units,
    projected_on,
    timeline,
    to_units,
)

TODAY = date(2026, 12, 1)
qty = st.decimals(min_value=0, max_value=10_000, places=3, allow_nan=False, allow_infinity=False)
signed_qty = st.decimals(
    min_value=-10_000, max_value=10_000, places=3, allow_nan=False, allow_infinity=False
)
buckets = st.builds(
    Buckets, on_hand=signed_qty, allocated=qty, reserved=qty, safety_stock=qty, on_hold=qty
)
inbound = st.lists(
    st.builds(
        Inbound,
        reference=st.text("abc", min_size=1, max_size=3),
        quantity=qty.filter(lambda q: q > 0),
        eta=st.dates(TODAY - timedelta(days=5), TODAY + timedelta(days=60)),
    ),
    max_size=6,
)


@given(buckets)
def test_atp_is_on_hand_less_every_claim_never_below_zero(b: Buckets) -> None:
    raw = b.on_hand - b.allocated - b.reserved - b.safety_stock - b.on_hold
    assert b.raw_atp == raw
    assert b.atp == max(Decimal(0), raw)
    assert b.atp >= 0


@given(buckets, qty)
def test_more_claims_never_raise_atp(b: Buckets, extra: Decimal) -> None:
    for more in (
        Buckets(b.on_hand, b.allocated + extra, b.reserved, b.safety_stock, b.on_hold),
        Buckets(b.on_hand, b.allocated, b.reserved + extra, b.safety_stock, b.on_hold),
        Buckets(b.on_hand, b.allocated, b.reserved, b.safety_stock + extra, b.on_hold),
        Buckets(b.on_hand, b.allocated, b.reserved, b.safety_stock, b.on_hold + extra),
    ):
        assert more.atp <= b.atp
        assert b.atp - more.atp <= extra


@given(buckets)
def test_stored_form_is_exact(b: Buckets) -> None:
    stored = [to_units(v, "q") for v in (b.on_hand, b.allocated, b.reserved, b.safety_stock)]
    back = [from_units(v) for v in stored]
    assert back == [b.on_hand, b.allocated, b.reserved, b.safety_stock]
    # SQL-side arithmetic on the integers equals Decimal arithmetic on the quantities.
    assert from_units(stored[0] - stored[1] - stored[2] - stored[3]) == (
        b.on_hand - b.allocated - b.reserved - b.safety_stock
    )


@given(signed_qty, inbound, st.integers(0, 70), st.integers(0, 70))
def test_projection_never_falls_with_time(raw: Decimal, inb: list[Inbound], a: int, b: int) -> None:
    d1, d2 = sorted((TODAY + timedelta(days=a), TODAY + timedelta(days=b)))
    p1, p2 = projected_on(raw, inb, d1), projected_on(raw, inb, d2)
    assert 0 <= p1 <= p2
    due = sum((i.quantity for i in inb if i.eta <= d2), Decimal(0))
    assert p2 == max(Decimal(0), raw + due)


@given(signed_qty, inbound)
def test_timeline_agrees_with_projection_on_every_day(raw: Decimal, inb: list[Inbound]) -> None:
    points = timeline(raw, inb, TODAY)
    assert points[0][0] == TODAY
    assert [d for d, _ in points] == sorted(d for d, _ in points)
    for offset in range(0, 62):
        day = TODAY + timedelta(days=offset)
        current = [q for d, q in points if d <= day][-1]
        assert current == projected_on(raw, inb, day)


@given(signed_qty, inbound, qty.filter(lambda q: q > 0))
def test_earliest_covering_is_the_first_day_that_covers(
    raw: Decimal, inb: list[Inbound], want: Decimal
) -> None:
    when = earliest_covering(raw, inb, want, TODAY)
    if when is None:
        assert projected_on(raw, inb, TODAY + timedelta(days=400)) < want
    else:
        assert projected_on(raw, inb, when) >= want
        if when > TODAY:
            assert projected_on(raw, inb, when - timedelta(days=1)) < want


@given(
    qty,
    st.one_of(st.none(), qty),
    st.one_of(st.none(), st.decimals(0, 100, places=2)),
    qty,
)
def test_a_channel_never_sees_more_than_atp_or_its_fence(
    atp: Decimal, units: Decimal | None, pct: Decimal | None, safety: Decimal
) -> None:
    rule = ChannelRule(
        name="web", ring_fence_units=units, ring_fence_percent=pct, safety_stock=safety
    )
    seen = channel_atp(atp, rule, "W1")
    assert 0 <= seen <= atp
    assert seen <= max(Decimal(0), atp - safety)
    if units is not None:
        assert seen <= units
    if pct is not None:
        assert seen <= atp * pct / 100
