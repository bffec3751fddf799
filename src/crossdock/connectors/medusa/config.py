"""The Medusa connector's settings: where the server is, which key, what goes where.

The secret API key is never written in the hub file: ``api_key_env`` names the
environment variable that holds it (a Medusa *secret* key, ``sk_…``, sent as
HTTP Basic auth). ``locations`` maps the hub's location codes to the names of
Medusa stock locations (made on first use); a location not in the map is not
pushed. ``units`` lists the sellable units that become variants (empty: every
unit the product has).

Example (``crossdock.yaml``)::

    - name: shop
      kind: medusa
      settings:
        url: http://127.0.0.1:9000
        api_key_env: MEDUSA_API_KEY
        currency: usd
        sales_channel: Default Sales Channel
        locations: {DAL: Dallas, ATL: Atlanta}
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class MedusaPull(StrEnum):
    """What the source reads from Medusa (see :mod:`crossdock.connectors.medusa.source`)."""

    CUSTOMERS = "customers"
    ORDERS = "orders"


class MedusaSettings(BaseModel):
    """Typed settings of a ``kind: medusa`` system."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    url: str = Field(description="the Medusa server, e.g. http://127.0.0.1:9000")
    api_key_env: str = Field(
        pattern=r"^[A-Za-z_][A-Za-z0-9_]*$",
        description="environment variable holding the Admin API's secret key (sk_…)",
    )
    timeout_seconds: float = Field(default=30.0, gt=0, le=600, description="per request")
    currency: str = Field(
        default="usd", pattern=r"^[a-zA-Z]{3}$", description="currency of the variant prices"
    )
    channel: str | None = Field(
        default=None,
        description="only products whose `channels` name it are sold (None: every product)",
    )
    sales_channel: str | None = Field(
        default=None, description="Medusa sales channel (by name) products and stock are in"
    )
    units: list[str] = Field(
        default_factory=list, description="unit codes sold as variants (empty: all)"
    )
    locations: dict[str, str] = Field(
        default_factory=dict, description="hub location code → Medusa stock location name"
    )
    stock_channel: str = Field(
        default="web",
        description="the availability channel whose ATP becomes the stocked quantity",
    )
    pull: list[MedusaPull] = Field(
        default_factory=list,
        description="what the source reads: registered customers (ingest), orders (intake)",
    )
    overlap_seconds: float = Field(
        default=5.0, ge=0, le=3600, description="each read starts this long before its bookmark"
    )
    order_prefix: str = Field(
        default="MED-",
        max_length=16,
        pattern=r"^[A-Za-z0-9_-]*$",
        description="the hub's order number of a Medusa order: this prefix + its display id",
    )


__all__ = ["MedusaPull", "MedusaSettings"]
