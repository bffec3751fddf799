"""Pieces of the hubs the Medusa tests open: the Medusa system, a delivery made by hand."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from crossdock.config.hub import SystemConfig
from crossdock.connectors.base import Delivery
from crossdock.model.base import EntityType
from crossdock.model.change import ChangeOp

from .medusa_server import MedusaPeer


def shop_system(medusa: MedusaPeer, **settings: Any) -> SystemConfig:
    """The ``shop`` system on the test Medusa, its key in $MEDUSA_API_KEY."""
    return SystemConfig(
        name="shop",
        kind="medusa",
        settings={
            "url": medusa.url,
            "api_key_env": "MEDUSA_API_KEY",
            "sales_channel": "Default Sales Channel",
            **settings,
        },
    )


def by_hand(etype: EntityType, entity_id: str, data: dict[str, Any]) -> Delivery:
    """A delivery of a record as a process that remembers nothing would send it again."""
    return Delivery(
        f"again:{entity_id}",
        "again",
        etype,
        entity_id,
        1,
        ChangeOp.UPSERT,
        data,
        None,
        datetime.now(UTC),
    )
