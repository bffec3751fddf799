"""A published price with quantity breaks as a variant's Medusa prices (min/max quantity).

Property: for any breaks, factor and cart quantity, exactly one tier holds the
quantity and its amount is the break in force for that many base units times
the factor: what the hub's quote charges, so Medusa charges the same.
"""

from __future__ import annotations

import itertools
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from crossdock.connectors.medusa.tiers import variant_tiers

prices = st.decimals(min_value=Decimal("0.01"), max_value=Decimal(1000), places=2)


@given(
    base=prices,
    breaks=st.dictionaries(st.integers(2, 500), prices, max_size=5),
    factor=st.sampled_from([Decimal(1), Decimal(6), Decimal(12), Decimal(48)]),
    quantity=st.integers(1, 200),
)
def test_the_tier_holding_a_quantity_charges_the_break_in_force(
    base: Decimal, breaks: dict[int, Decimal], factor: Decimal, quantity: int
) -> None:
    data = {
        "unit_price": str(base),
        "breaks": [
            {"min_quantity": str(q), "unit_price": str(p)} for q, p in sorted(breaks.items())
        ],
    }
    tiers = variant_tiers(data, factor, "CS")
    holding = [t for t in tiers if (t[0] or 1) <= quantity and (t[1] is None or quantity <= t[1])]
    assert len(holding) == 1, tiers
    in_force = [base] + [p for q, p in sorted(breaks.items()) if q <= quantity * factor]
    assert holding[0][2] == in_force[-1] * factor
    # tiers are ordered, touching, the first from one and the last open
    assert tiers[0][0] is None and tiers[-1][1] is None
    for (_, high, _), (low, _, _) in itertools.pairwise(tiers):
        assert high is not None and low == high + 1


def test_a_unit_priced_by_itself_is_one_tier_and_no_price_is_none() -> None:
    data = {"unit_price": "10", "breaks": [{"min_quantity": "10", "unit_price": "9"}]}
    assert variant_tiers({**data, "unit_prices": {"CS": "100.00"}}, Decimal(12), "CS") == [
        (None, None, Decimal("100.00"))
    ]
    assert variant_tiers({"unit_price": "10"}, Decimal(12), "CS") == [(None, None, Decimal(120))]
    assert variant_tiers({"unit_price": None}, Decimal(1), "EA") == []
