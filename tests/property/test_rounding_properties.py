"""Rounding to an increment or an ending: the result is on the grid (a multiple of the
increment, or the ending plus one), within one increment of the price, on the side the
mode says; the least grid price at or above a value (what the floor raises to) is too."""

from __future__ import annotations

from decimal import Decimal as D  # noqa: N817

from hypothesis import given, settings
from hypothesis import strategies as st

from crossdock.model.price_list import Rounding, RoundingMode
from crossdock.services.pricing.rounding import Rounder

INCREMENTS = ["0.01", "0.05", "0.10", "0.25", "1", "5", "10"]
prices = st.integers(min_value=0, max_value=10_000_000).map(lambda n: D(n) / 10_000)


@st.composite
def rules(draw: st.DrawFn) -> Rounding:
    increment = draw(st.sampled_from([None, *INCREMENTS]))
    step = D(increment) if increment is not None else D(1)
    ending = None
    if increment is None or draw(st.booleans()):
        cents = draw(st.integers(0, int(step * 100) - 1))
        ending = str(D(cents) / 100)
    mode = draw(st.sampled_from(list(RoundingMode)))
    return Rounding(places=draw(st.integers(2, 4)), mode=mode, increment=increment, ending=ending)


@settings(max_examples=400, deadline=None)
@given(rules(), prices)
def test_a_rounded_price_is_on_the_grid_within_one_step_on_the_modes_side(
    rule: Rounding, value: D
) -> None:
    r = Rounder(rule)
    assert r.step is not None
    step, offset = r.step, r.offset
    out = r.round(value)
    assert (out - offset) % step == 0 and out >= offset  # on the grid
    assert out == out.quantize(r.quantum)  # in the list's places
    if value < offset:  # below the grid's first price: that price
        assert out == offset
        return
    assert abs(out - value) < step
    if rule.mode is RoundingMode.UP:
        assert out >= value
    elif rule.mode is RoundingMode.DOWN:
        assert out <= value
    else:  # the nearest; a tie goes up (half_up) or to the even multiple (half_even)
        assert abs(out - value) * 2 <= step
        if abs(out - value) * 2 == step and rule.mode is RoundingMode.HALF_UP:
            assert out > value
        if abs(out - value) * 2 == step and rule.mode is RoundingMode.HALF_EVEN:
            assert ((out - offset) / step) % 2 == 0


@settings(max_examples=400, deadline=None)
@given(rules(), prices)
def test_the_least_grid_price_at_or_above(rule: Rounding, value: D) -> None:
    r = Rounder(rule)
    assert r.step is not None
    least = r.ceil(value)
    assert (least - r.offset) % r.step == 0 and least >= value
    assert least - r.step < max(value, r.offset)  # nothing on the grid in between
    # what is already on the grid rounds to itself, whatever the mode
    assert r.round(least) == least and r.ceil(least) == least


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 6), st.sampled_from(list(RoundingMode)), prices)
def test_places_alone_round_as_decimal_does(places: int, mode: RoundingMode, value: D) -> None:
    r = Rounder(Rounding(places=places, mode=mode))
    assert r.step is None
    out = r.round(value)
    assert out == out.quantize(r.quantum) and abs(out - value) < r.quantum
    ceil = r.ceil(value)
    assert ceil >= value and ceil - r.quantum < value
