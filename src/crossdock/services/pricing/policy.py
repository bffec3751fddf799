"""The precedence policy: which eligible candidate wins, and why each other one lost.

A scored candidate is ``(rank, -priority, price, list code, if_lower)``
followed by whatever the caller carries. ``mode: order`` walks the
candidates from the lowest precedence up: a normal kind replaces the
current winner, an ``if_lower`` kind replaces it only with a strictly
lower price (or, against another ``if_lower`` winner, an equal one). So
the first normal candidate in precedence order beats all below it, and the
cheapest ``if_lower`` candidate above it wins only by being cheaper.
``mode: lowest`` takes the lowest price. Ties follow
:data:`crossdock.config.pricing.TIE_BREAK`.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from crossdock.services.pricing.results import Outcome

Scored = tuple[int, int, Decimal, str, bool, Any]


def choose(items: list[Scored], lowest: bool) -> int:
    """Index of the winner in ``items`` (which must not be empty)."""
    if len(items) == 1:
        return 0
    if not lowest and not any(s[4] for s in items):
        best = 0
        for j in range(1, len(items)):
            if _order_key(items[j]) < _order_key(items[best]):
                best = j
        return best
    if lowest:
        return min(range(len(items)), key=lambda j: _lowest_key(items[j]))
    order = sorted(range(len(items)), key=lambda j: _order_key(items[j]))
    winner = order[-1]
    for j in reversed(order[:-1]):
        item = items[j]
        w = items[winner]
        # a normal kind always replaces; an if-lower kind must be cheaper than a normal
        # winner, or no dearer than an if-lower one (then the higher precedence wins)
        if not item[4] or item[2] < w[2] or (w[4] and item[2] == w[2]):
            winner = j
    return winner


def _order_key(s: Scored) -> tuple[int, int, Decimal, str]:
    return (s[0], s[1], s[2], s[3])


def _lowest_key(s: Scored) -> tuple[Decimal, int, int, str]:
    return (s[2], s[0], s[1], s[3])


def loss(loser: Scored, winner: Scored, lowest: bool) -> Outcome:
    """Why ``loser`` lost to ``winner``."""
    if lowest:
        if loser[2] > winner[2]:
            return Outcome.HIGHER_PRICE
        return _tie(loser, winner)
    if loser[0] != winner[0]:
        if loser[0] < winner[0]:
            return Outcome.HIGHER_PRICE  # an if_lower kind that was not lower
        return Outcome.HIGHER_PRICE if winner[4] else Outcome.LOWER_PRIORITY
    if loser[1] != winner[1]:
        return Outcome.LOWER_PRIORITY
    if loser[2] != winner[2]:
        return Outcome.HIGHER_PRICE
    return Outcome.TIE_BREAK


def _tie(loser: Scored, winner: Scored) -> Outcome:
    if (loser[0], loser[1]) != (winner[0], winner[1]):
        return Outcome.LOWER_PRIORITY
    return Outcome.TIE_BREAK


__all__ = ["Scored", "choose", "loss"]
