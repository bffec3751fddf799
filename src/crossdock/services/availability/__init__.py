"""Availability: available-to-promise per SKU x location and channel, reservations, feeds.

Pure parts (no I/O): :mod:`.buckets` (the ATP arithmetic), :mod:`.projection`
(ATP by date), :mod:`.channels` (ring-fence and channel safety stock),
:mod:`.sourcing` (a plan for order lines), :mod:`.publish` (the publish
threshold), :mod:`.reconcile` (snapshot versus events). Store-backed:
:mod:`.reservations`, :mod:`.feeds`, :mod:`.publisher`, and the face,
:class:`AvailabilityService`.
"""

from crossdock.services.availability.buckets import Buckets, from_units, to_units
from crossdock.services.availability.channels import channel_atp
from crossdock.services.availability.feeds import (
    ErpSnapshot,
    EventKind,
    EventResult,
    InboundIn,
    SnapshotItem,
    SnapshotLine,
    WmsEvent,
)
from crossdock.services.availability.projection import (
    Inbound,
    earliest_covering,
    projected_on,
    timeline,
)
from crossdock.services.availability.publish import should_publish
from crossdock.services.availability.reconcile import Reconciled, Resolution, reconcile_on_hand
from crossdock.services.availability.reservations import (
    Reservation,
    ReservationStatus,
    ReserveRequest,
)
from crossdock.services.availability.service import (
    AvailabilityService,
    LocationAvailability,
    ShipTo,
    SkuAvailability,
    SourceLineIn,
    SourceRequest,
)
from crossdock.services.availability.sourcing import (
    Allocation,
    Backorder,
    LineOutcome,
    LinePlan,
    LineRequest,
    Stock,
    plan_sourcing,
)

__all__ = [
    "Allocation",
    "AvailabilityService",
    "Backorder",
    "Buckets",
    "ErpSnapshot",
    "EventKind",
    "EventResult",
    "Inbound",
    "InboundIn",
    "LineOutcome",
    "LinePlan",
    "LineRequest",
    "LocationAvailability",
    "Reconciled",
    "Reservation",
    "ReservationStatus",
    "ReserveRequest",
    "Resolution",
    "ShipTo",
    "SkuAvailability",
    "SnapshotItem",
    "SnapshotLine",
    "SourceLineIn",
    "SourceRequest",
    "Stock",
    "WmsEvent",
    "channel_atp",
    "earliest_covering",
    "from_units",
    "plan_sourcing",
    "projected_on",
    "reconcile_on_hand",
    "should_publish",
    "timeline",
    "to_units",
]
