"""``GET /v1/events``: the outbox as a feed of CloudEvents 1.0, read by position."""

from __future__ import annotations

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from crossdock.api.auth import Reader, require_entity
from crossdock.api.cloudevents import CloudEvent, to_cloudevent
from crossdock.api.deps import HubDep, Limit, SeqAfter
from crossdock.api.masking import Mask
from crossdock.api.problems import problem_responses
from crossdock.api.routing import AuthFirstRoute
from crossdock.model.base import EntityType

router = APIRouter(
    route_class=AuthFirstRoute, tags=["events"], responses=problem_responses(401, 403, 422)
)


class EventPage(BaseModel):
    items: list[CloudEvent]
    next_after: int = Field(
        description="pass as `after` to read on: the last sequence number answered "
        "(or the `after` asked for, when there was nothing new)"
    )


@router.get(
    "/events",
    response_model=EventPage,
    response_model_exclude_none=True,  # a CloudEvents attribute is absent, never null
    summary="Outbox events after a position",
    description="Events in commit order, as CloudEvents 1.0 JSON; filter by entity type.",
)
def list_events(
    hub: HubDep,
    who: Reader,
    after: SeqAfter = 0,
    limit: Limit = 100,
    entity_types: list[EntityType] | None = Query(
        default=None, alias="type", description="entity type; repeat for several"
    ),
) -> EventPage:
    for et in entity_types or ():
        require_entity(who, et.value)
    wanted = sorted(set(entity_types)) if entity_types else None
    if wanted is None and who.entities != ("*",):
        wanted = [et for et in EntityType if who.may_use(et.value)]
    rows = hub.store.outbox.after(after, limit=limit, entity_types=wanted)
    masks: dict[EntityType, Mask] = {}
    items = []
    for ev in rows:
        mask = masks.get(ev.entity_type)
        if mask is None:
            mask = masks[ev.entity_type] = Mask(hub.config.masking, ev.entity_type, who.viewer)
        doc = to_cloudevent(ev)
        doc["data"] = mask.data(ev.data)
        doc["changed"] = ",".join(mask.changed(ev.changed))
        items.append(CloudEvent.model_validate(doc))
    return EventPage(items=items, next_after=rows[-1].seq if rows else after)
