"""The hub file and customers the onboarding tests share."""

from __future__ import annotations

from datetime import date
from typing import Any

from crossdock.config.customers import CustomersConfig
from crossdock.config.hub import EntityOwnership, HubConfig, SystemConfig
from crossdock.model.base import EntityType
from crossdock.model.change import Change

CUS = EntityType.CUSTOMER
ONBOARDING: dict[str, Any] = {
    "sources": ["crm", "portal"],
    "erp": "erp",
    "auto_approve_credit": "10000",
    "territories": [
        {"name": "midwest", "rep": "jdoe", "postcodes": ["60000-62999"]},
        {"name": "texas", "rep": "mlopez", "regions": ["TX"]},
    ],
}


def hub(**onboarding: Any) -> HubConfig:
    return HubConfig(
        systems=[SystemConfig(name=s, kind="files") for s in ("crm", "portal", "erp")],
        ownership={
            CUS: EntityOwnership(
                owner="crm",
                create=["crm", "portal", "erp"],
                fields={
                    "*": "*",
                    "account_number": "erp",
                    "territory": "erp",
                    "sales_rep": "erp",
                },
            )
        },
        customers=CustomersConfig.model_validate({"onboarding": {**ONBOARDING, **onboarding}}),
    )


def cust(
    name: str,
    line1: str = "1 Elm St",
    postcode: str = "62701",
    *,
    exempt: bool = False,
    region: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    site: dict[str, Any] = {
        "code": "MAIN",
        "roles": ["sold_to", "ship_to"],
        "address": {"line1": line1, "city": "Springfield", "postal_code": postcode},
    }
    if exempt:
        site["tax_exempt"] = True
    if region:
        site["region"] = region
    return {"name": name, "sites": [site], **extra}


def cert(value: str, region: str, expires: date) -> dict[str, Any]:
    return {"scheme": "exemption", "value": value, "region": region, "expires_on": expires}


def change(system: str, native: str, data: dict[str, Any]) -> Change:
    return Change(system=system, entity_type=CUS, native_id=native, data=data)
