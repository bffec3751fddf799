"""Reconciling an ERP snapshot with the event-fed state, under the precedence rule.

A snapshot is taken at ``as_of``; WMS events that happened after it (picks in
flight, receipts) are not in it. So the snapshot is compared with what the
events say on hand was at ``as_of``: ``expected = event_on_hand - in_flight``
where ``in_flight`` is the sum of the deltas of events after ``as_of``. The
drift is ``snapshot - expected``. Then the precedence decides:

* WMS owns on hand: the event-fed figure stays; the drift is reported.
* ERP owns on hand: the snapshot wins, with the in-flight events replayed on
  top (``snapshot + in_flight``), so picks already made are not undone; the
  drift is reported too.

A position no WMS event has ever touched adopts the snapshot either way.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from crossdock.config.availability import Feed


class Resolution(StrEnum):
    KEPT_WMS = "kept_wms"
    APPLIED_ERP = "applied_erp"
    ADOPTED = "adopted"


@dataclass(frozen=True, slots=True)
class Reconciled:
    on_hand: Decimal
    expected: Decimal
    drift: Decimal
    resolution: Resolution


def reconcile_on_hand(
    event_on_hand: Decimal,
    snapshot_on_hand: Decimal,
    in_flight: Decimal,
    owner: Feed,
    *,
    has_events: bool = True,
) -> Reconciled:
    """The on-hand figure to keep and the drift to report for one SKU at one location."""
    if not has_events:
        return Reconciled(snapshot_on_hand, snapshot_on_hand, Decimal(0), Resolution.ADOPTED)
    expected = event_on_hand - in_flight
    drift = snapshot_on_hand - expected
    if owner is Feed.ERP:
        return Reconciled(snapshot_on_hand + in_flight, expected, drift, Resolution.APPLIED_ERP)
    return Reconciled(event_on_hand, expected, drift, Resolution.KEPT_WMS)


__all__ = ["Reconciled", "Resolution", "reconcile_on_hand"]
