"""One record pushed to one system outside any route, for a service's idempotent side effect.

A workflow step (the onboarding's "create the party in the ERP") needs the
destination's answer before it can commit its own state, which a route's
cursor cannot give it. The caller makes the push idempotent: a stable
``delivery_id`` and data the destination finds the record by (the ERP finds
a party by its code), so pushing again after a crash changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from crossdock.connectors.base import Delivery, DeliveryStatus, Destination
from crossdock.errors import CrossdockError, PermanentError
from crossdock.model.base import EntityType
from crossdock.model.change import ChangeOp

Destinations = Callable[[str], Destination]
"""A system's name -> its destination (``Hub.destination``)."""


@dataclass(frozen=True, slots=True)
class Pushed:
    delivered: bool
    native_id: str | None = None
    error: str | None = None
    permanent: bool = False
    """The destination refused for good: trying again will not help without a person."""


def push_one(
    destinations: Destinations,
    system: str,
    *,
    delivery_id: str,
    entity_type: EntityType,
    entity_id: str,
    data: Mapping[str, Any],
    native_id: str | None,
    source_system: str,
) -> Pushed:
    """Push one version of one record to ``system``; what it answered (errors as ``Pushed``)."""
    d = Delivery(
        delivery_id=delivery_id,
        route=f"direct:{system}",
        entity_type=entity_type,
        entity_id=entity_id,
        version=1,
        op=ChangeOp.UPSERT,
        data=data,
        native_id=native_id,
        event_time=datetime.now(UTC),
        source_system=source_system,
    )
    try:
        [result] = destinations(system).push([d])
    except CrossdockError as exc:
        return Pushed(False, error=exc.message, permanent=isinstance(exc, PermanentError))
    if result.status is DeliveryStatus.DELIVERED:
        return Pushed(True, native_id=result.native_id)
    return Pushed(
        False,
        error=result.error or result.status.value,
        permanent=result.status is DeliveryStatus.FAILED,
    )


__all__ = ["Destinations", "Pushed", "push_one"]
