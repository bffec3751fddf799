"""The Tryton example hub file with onboarding on, and the portal sign-ups the tests send."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from crossdock.model.base import EntityType
from crossdock.model.change import Change

from .conftest import TrytonServer, hub_yaml

ONBOARDING = """
customers:
  onboarding:
    sources: [portal]
    erp: tryton
    auto_approve_credit: "10000"
    account_prefix: "ON-"
    territories:
      - {name: north-texas, rep: mlopez, postcodes: ["75000-76999"]}
      - {name: rest, rep: house}
    default_territory: rest
"""


WORDS = [
    "Zephyr",
    "Quill",
    "Marlin",
    "Basalt",
    "Juniper",
    "Onyx",
    "Falcon",
    "Cobalt",
    "Meadow",
    "Granite",
    "Harbor",
    "Ivory",
    "Jasper",
    "Kestrel",
    "Lantern",
    "Mosaic",
    "Nimbus",
    "Orchid",
    "Pioneer",
    "Quarry",
    "Raven",
    "Summit",
    "Tundra",
    "Umber",
    "Vertex",
    "Willow",
    "Yonder",
    "Zenith",
    "Alder",
    "Birch",
    "Cedar",
    "Dune",
]


def onboarding_yaml(server: TrytonServer, tmp_path: Path) -> str:
    return hub_yaml(server, tmp_path) + ONBOARDING


def signup(n: int, **extra: Any) -> Change:
    """A portal self-registration: a name, one site, no account number."""
    site = {
        "code": "MAIN",
        "roles": ["sold_to", "ship_to"],
        "address": {
            "line1": f"{100 + n} {WORDS[-1 - n % len(WORDS)]} Road",
            "city": "Dallas",
            "postal_code": f"{75201 + 37 * n}",
            "country": "US",
        },
    }
    # Names and places far apart, so that the matcher takes none for another's duplicate.
    name = f"{WORDS[n % len(WORDS)]} {WORDS[(7 * n + 3) % len(WORDS)]} Supply"
    return Change(
        system="portal",
        entity_type=EntityType.CUSTOMER,
        native_id=f"signup-{n}",
        data={"name": name, "sites": [site], **extra},
    )
