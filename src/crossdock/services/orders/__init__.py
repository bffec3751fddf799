"""Orders: intake from every channel, validation rules, the decision, holds, one order's timeline.

:class:`OrderService` takes an :class:`OrderIn` from a channel (idempotent per
channel and order number; a changed body amends the order), runs the rules
the hub file's ``orders:`` section configures for that channel (:mod:`.rules`),
reserves stock through the availability service (:mod:`.stock`) and decides:
accepted, on hold (with reason codes) or rejected. :class:`HoldSweeper`
releases an order held for credit or stock once its cause clears.
"""

from crossdock.services.orders.holds import HoldSweeper, Sweep
from crossdock.services.orders.intake import MAX_LINES, OrderIn, OrderLineIn
from crossdock.services.orders.rules import Action, RuleName, RuleResult
from crossdock.services.orders.service import OrderService, Submitted

__all__ = [
    "MAX_LINES",
    "Action",
    "HoldSweeper",
    "OrderIn",
    "OrderLineIn",
    "OrderService",
    "RuleName",
    "RuleResult",
    "Submitted",
    "Sweep",
]
