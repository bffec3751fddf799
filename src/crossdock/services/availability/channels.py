"""Channel rules: how much of a location's ATP one sales channel may see and reserve.

A channel sees the location's ATP less its own safety stock, capped by its
ring-fence (at most N units, at most N percent of ATP, whichever is lower),
and only at the locations that serve it. Percentages round down to the
stored precision (and to whole units when ATP is whole), so two channels
never see a fraction that does not exist.
"""

from __future__ import annotations

from decimal import ROUND_FLOOR, Decimal

from crossdock.config.availability import ChannelRule
from crossdock.services.availability.buckets import floor_units


def serves(rule: ChannelRule | None, location: str) -> bool:
    """Whether ``location`` serves the channel (no rule, or no list: every location does)."""
    return rule is None or rule.locations is None or location in rule.locations


def channel_atp(atp: Decimal, rule: ChannelRule | None, location: str) -> Decimal:
    """What the channel of ``rule`` may promise at ``location`` out of the location's ``atp``."""
    if rule is None:
        return atp
    if not serves(rule, location):
        return Decimal(0)
    seen = max(Decimal(0), atp - rule.safety_stock)
    if rule.ring_fence_units is not None:
        seen = min(seen, rule.ring_fence_units)
    if rule.ring_fence_percent is not None:
        share = atp * rule.ring_fence_percent / 100
        share = (
            share.quantize(Decimal(1), rounding=ROUND_FLOOR)
            if atp == atp.to_integral_value()
            else floor_units(share)
        )
        seen = min(seen, share)
    return max(Decimal(0), seen)


__all__ = ["channel_atp", "serves"]
