"""Customer master: one customer however many systems know it.

Matching (:mod:`.normalize`, :mod:`.profile`, :mod:`.compare`, :mod:`.weights`,
:mod:`.em`): normalized fields, blocking keys, comparison levels and
Fellegi-Sunter weights with m/u estimated by EM. Online, ingest asks
:class:`CustomerMatcher` about a customer it cannot identify by crosswalk or
account number (link, hold for review, or create); in bulk,
:class:`CustomerService` dedupes the store and carries the steward's
decisions: merge and unmerge (:mod:`.merge`, :mod:`.survivorship`), and
four eyes on sensitive changes (the rule is ``config/approvals.py``; ingest
holds the fields, :meth:`CustomerService.request_change` names the requester).
"""

from crossdock.services.customers.matcher import CustomerMatcher, matcher_factory
from crossdock.services.customers.profile import Profile, blocking_keys, profile
from crossdock.services.customers.service import (
    CustomerService,
    Decided,
    DedupeReport,
    Trained,
)
from crossdock.services.customers.weights import MatchModel, Score

__all__ = [
    "CustomerMatcher",
    "CustomerService",
    "Decided",
    "DedupeReport",
    "MatchModel",
    "Profile",
    "Score",
    "Trained",
    "blocking_keys",
    "matcher_factory",
    "profile",
]
