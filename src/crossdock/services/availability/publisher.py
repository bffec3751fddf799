"""Publishing availability changes to channel routes, through ingest and the outbox.

When a position's ATP moves in a way the publish rule cares about (see
:mod:`.publish`), the service ingests an ``inventory`` change from the
pseudo-system ``availability.publish_system`` (``crossdock-atp``) carrying the
published ATP and what each channel may promise, inside the same write
transaction as the stock change itself. Routes that carry inventory deliver
it like any other change; the last published figure is kept on the position,
so the threshold compares against what channels were last told.

Ownership: the publisher's own ingestor owns ``available`` and
``available_by_channel`` and shares ``sku`` and ``location`` (needed to find
the record by its natural key), whatever the hub file says about inventory;
no other field is ever sent by it.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from crossdock.config.availability import AvailabilityConfig
from crossdock.config.hub import EntityOwnership, HubConfig
from crossdock.model.base import EntityType
from crossdock.model.change import Change
from crossdock.services.availability.buckets import Buckets, from_units, to_units
from crossdock.services.availability.channels import channel_atp
from crossdock.services.availability.publish import should_publish
from crossdock.store import Store
from crossdock.store.availability import PositionRow, StockTx
from crossdock.sync.ingest import Ingestor

PUBLISHED_FIELDS = ("available", "available_by_channel")


def buckets_of(row: PositionRow) -> Buckets:
    return Buckets.from_stored(
        row.on_hand, row.allocated, row.reserved, row.safety_stock, row.on_hold
    )


def _publisher_hub(hub: HubConfig, system: str) -> HubConfig:
    ownership = dict(hub.ownership)
    rule = ownership.get(EntityType.INVENTORY)
    if rule is not None:
        fields = dict(rule.fields)
        fields.update({f: system for f in PUBLISHED_FIELDS})
        fields.update({"sku": "*", "location": "*"})
        create = None if rule.create is None else [*rule.create, system]
        ownership[EntityType.INVENTORY] = EntityOwnership(
            owner=rule.owner, fields=fields, non_owner=rule.non_owner, create=create
        )
    return hub.model_copy(update={"ownership": ownership})


class Publisher:
    """Decides and emits availability changes inside the caller's write transaction."""

    def __init__(self, store: Store, hub: HubConfig, config: AvailabilityConfig) -> None:
        self.config = config
        self.system = config.publish_system
        self.ingestor = Ingestor(store, _publisher_hub(hub, self.system))

    def channels_of(self, atp: Decimal, location: str) -> dict[str, Decimal]:
        return {c.name: channel_atp(atp, c, location) for c in self.config.channels}

    def flush(self, stx: StockTx, rows: Iterable[PositionRow]) -> int:
        """Publish what the rule says of ``rows`` (the latest row per position wins)."""
        latest: dict[tuple[str, str], PositionRow] = {}
        for row in rows:
            latest[(row.sku, row.location)] = row
        changes: list[Change] = []
        for key in sorted(latest):
            row = latest[key]
            atp = buckets_of(row).atp
            previous = None if row.published_atp is None else from_units(row.published_atp)
            if not should_publish(previous, atp, self.config.publish):
                continue
            stx.set_published(row.sku, row.location, to_units(atp, "atp"))
            changes.append(
                Change(
                    system=self.system,
                    entity_type=EntityType.INVENTORY,
                    native_id=f"{row.sku}@{row.location}",
                    data={
                        "sku": row.sku,
                        "location": row.location,
                        "available": format(atp, "f"),
                        "available_by_channel": {
                            k: format(v, "f")
                            for k, v in self.channels_of(atp, row.location).items()
                        },
                    },
                    idempotency_key=f"atp:{row.sku}@{row.location}:v{row.version}",
                )
            )
        if changes:
            self.ingestor.apply_in(stx.tx, changes)
        return len(changes)


__all__ = ["PUBLISHED_FIELDS", "Publisher", "buckets_of"]
