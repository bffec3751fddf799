"""The Tryton connector's settings: where the server is, who logs in, how native codes map.

The password is never written in the hub file: ``password_env`` names the
environment variable that holds it. ``warehouses`` maps Tryton warehouse
codes to the hub's location codes (a warehouse not in a non-empty map is not
pulled); ``units`` maps the hub's unit codes to Tryton unit symbols.

Example (``crossdock.yaml``)::

    - name: tryton
      kind: tryton
      settings:
        url: http://127.0.0.1:8000
        database: erp
        user: crossdock
        password_env: TRYTON_PASSWORD
        warehouses: {WH: DAL}
        units: {EA: u, DZ: dz}
"""

from __future__ import annotations

from enum import StrEnum

import httpx
from pydantic import BaseModel, ConfigDict, Field, field_validator


class PullKind(StrEnum):
    """What the source reads from Tryton."""

    CUSTOMERS = "customers"
    PRODUCTS = "products"
    PRICE_LISTS = "price_lists"
    STOCK = "stock"
    SALES = "sales"
    SHIPMENTS = "shipments"
    INVOICES = "invoices"


class TrytonSettings(BaseModel):
    """Typed settings of a ``kind: tryton`` system."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    url: str = Field(description="the trytond server, e.g. http://127.0.0.1:8000")
    database: str = Field(min_length=1, description="the Tryton database name")
    user: str = Field(default="admin", min_length=1, description="login of the RPC user")
    password_env: str = Field(
        pattern=r"^[A-Za-z_][A-Za-z0-9_]*$",
        description="environment variable holding the user's password",
    )
    timeout_seconds: float = Field(default=30.0, gt=0, le=600, description="per RPC call")
    read_batch: int = Field(default=200, ge=1, le=5000, description="ids per read call")
    write_batch: int = Field(
        default=50, ge=1, le=80, description="records per create call (SQLite fails above ~80)"
    )
    pull: list[PullKind] = Field(
        default_factory=lambda: list(PullKind), description="what the source reads"
    )
    overlap_seconds: float = Field(
        default=5.0,
        ge=0,
        le=3600,
        description="re-read this much before the bookmark (transactions that committed late)",
    )
    warehouses: dict[str, str] = Field(
        default_factory=dict,
        description="Tryton warehouse code -> hub location code; empty: every warehouse, "
        "under its own code",
    )
    units: dict[str, str] = Field(
        default_factory=lambda: {"EA": "u"},
        description="hub unit code -> Tryton unit symbol; other symbols pass through upper-cased",
    )
    confirm_sales: bool = Field(
        default=True, description="quote and confirm pushed sales (false: leave them as drafts)"
    )
    create_customers: bool = Field(
        default=True, description="create parties for customers the hub sends and Tryton lacks"
    )
    currency: str = Field(
        default="USD", pattern=r"^[A-Z]{3}$", description="the company currency's ISO code"
    )

    @field_validator("url")
    @classmethod
    def _check_url(cls, value: str) -> str:
        try:
            parsed = httpx.URL(value)
        except (httpx.InvalidURL, TypeError) as exc:
            raise ValueError(f"not a valid URL: {exc}") from exc
        if parsed.scheme not in ("http", "https") or not parsed.host:
            raise ValueError("must be an absolute http:// or https:// URL")
        return value.rstrip("/")

    def location_for(self, warehouse_code: str) -> str | None:
        """The hub location of a Tryton warehouse, or None when it is not mapped."""
        if not self.warehouses:
            return warehouse_code
        return self.warehouses.get(warehouse_code)

    def warehouse_for(self, location: str) -> str | None:
        """The Tryton warehouse code of a hub location (reverse of ``warehouses``)."""
        if not self.warehouses:
            return location
        for code, loc in self.warehouses.items():
            if loc == location:
                return code
        return None

    def unit_code(self, symbol: str) -> str:
        """The hub unit code of a Tryton unit symbol."""
        for code, sym in self.units.items():
            if sym == symbol:
                return code
        return "".join(ch for ch in symbol.upper() if ch.isalnum() or ch in "_-") or "UNIT"

    def unit_symbol(self, code: str) -> str:
        """The Tryton unit symbol of a hub unit code."""
        return self.units.get(code, code.lower())


__all__ = ["PullKind", "TrytonSettings"]
