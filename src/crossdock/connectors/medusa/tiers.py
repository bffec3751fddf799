"""A published customer price as the prices of one variant in a Medusa price list.

Medusa prices a cart line by its quantity: a price in a list holds from its
``min_quantity`` to its ``max_quantity`` (either empty: open), counted in the
variant's own units. The hub publishes the price of one base unit with its
quantity ``breaks`` (from so many base units on, so much per base unit) and
``unit_prices`` for a larger unit a list prices itself. For a variant of
``factor`` base units:

* a unit with its own price: that price, for any quantity (one tier);
* otherwise a tier starts at each quantity of the variant where the base
  quantity reaches a break (``ceil(break / factor)``), priced at the break
  then in force times the factor; neighbours with one price are one tier.

No breaks: one tier with no bounds, the list's plain price.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_CEILING, Decimal
from typing import Any

Tier = tuple[int | None, int | None, Decimal]
"""(min quantity, max quantity, amount) of one price, quantities in the variant's units."""


def _quantity(value: Any) -> int | None:
    return None if value is None else int(Decimal(str(value)))


def bounds(price: Mapping[str, Any]) -> tuple[int | None, int | None]:
    """A Medusa price's (min, max) quantity; a min of 1 or less is no bound."""
    low = _quantity(price.get("min_quantity"))
    return (None if low is not None and low <= 1 else low), _quantity(price.get("max_quantity"))


def variant_tiers(data: Mapping[str, Any], factor: Decimal, unit: str | None) -> list[Tier]:
    """The variant's prices for a published customer price (``data``); empty: none."""
    price = data.get("unit_price")
    if price is None:
        return []
    own = (data.get("unit_prices") or {}).get(unit) if unit else None
    if own is not None:
        return [(None, None, Decimal(str(own)))]
    steps = [(Decimal(1), Decimal(str(price)))] + [
        (Decimal(str(b["min_quantity"])), Decimal(str(b["unit_price"])))
        for b in data.get("breaks") or []
    ]
    starts = sorted({int((q / factor).to_integral_value(ROUND_CEILING)) for q, _ in steps} | {1})
    tiers: list[tuple[int, Decimal]] = []
    for n in starts:
        base = Decimal(n) * factor
        in_force = [p for q, p in steps if q <= base][-1]
        amount = in_force * factor
        if not tiers or tiers[-1][1] != amount:
            tiers.append((n, amount))
    out: list[Tier] = []
    for i, (n, amount) in enumerate(tiers):
        upper = tiers[i + 1][0] - 1 if i + 1 < len(tiers) else None
        out.append((None if n <= 1 else n, upper, amount))
    return out


__all__ = ["Tier", "bounds", "variant_tiers"]
