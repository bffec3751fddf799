"""The publish threshold: which ATP changes are worth sending to channel routes.

Zero is always published (a channel must stop selling at once). Otherwise a
change is published when it crosses one of the configured levels, in either
direction: a level ``L`` splits ATP into "at or below L" (low) and "above L",
so 6 -> 5 crosses a level of 5 and 5 -> 4 does not. Or when it moves by at
least ``min_change``. With neither configured, every change is published. The
first figure for a position (nothing published yet) is always published.
"""

from __future__ import annotations

from decimal import Decimal

from crossdock.config.availability import PublishRule


def should_publish(previous: Decimal | None, current: Decimal, rule: PublishRule) -> bool:
    """Whether moving from ``previous`` (last published, or None) to ``current`` is published."""
    if not rule.enabled:
        return False
    if previous is None:
        return True
    if current == previous:
        return False
    if current == 0:
        return True
    for level in rule.levels:
        if (previous <= level) != (current <= level):
            return True
    if rule.min_change > 0:
        return abs(current - previous) >= rule.min_change
    return not rule.levels


__all__ = ["should_publish"]
