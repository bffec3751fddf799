"""Generated distributor customers with planted duplicates, for matching tests and benchmarks.

Each customer is a company with a legal form, a street address, a phone and
a work email. A share of them is typed in again by another system, the
way systems do: another legal form ("Corp." / "Corporation" / none), address
abbreviations ("St" / "Street", "Ste 4" / "#4"), other case, a typo in
the name, a missing phone or email, or the company moved (new address,
same phone). Some different companies share a name word and a postcode
(the near misses blocking must not merge). ``truth`` names the planted
pairs, so precision and recall can be measured.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

_WORDS = [
    "Acme",
    "Apex",
    "Atlas",
    "Beacon",
    "Birch",
    "Cedar",
    "Summit",
    "Harbor",
    "Keystone",
    "Liberty",
    "Maple",
    "Meridian",
    "Northstar",
    "Oak",
    "Orion",
    "Pioneer",
    "Prairie",
    "Quarry",
    "Redwood",
    "Ridge",
    "Sierra",
    "Silver",
    "Spruce",
    "Sterling",
    "Tidewater",
    "Union",
    "Valley",
    "Vanguard",
    "Willow",
    "Zenith",
    "Granite",
    "Falcon",
    "Cobalt",
    "Ember",
    "Horizon",
    "Juniper",
    "Lakeside",
    "Magnolia",
    "Nimbus",
    "Osprey",
    "Pinnacle",
    "Riverbend",
    "Sequoia",
    "Timber",
    "Upland",
]
_TRADES = [
    "Supply",
    "Hardware",
    "Foods",
    "Distributors",
    "Electric",
    "Plumbing",
    "Industrial",
    "Medical",
    "Office",
    "Farm",
    "Auto",
    "Building",
    "Paper",
    "Packaging",
    "Chemical",
    "Tools",
    "Lumber",
    "Marine",
    "Restaurant",
    "Janitorial",
]
_FORMS = (("Corp.", "Corporation"), ("Inc.", "Incorporated"), ("LLC", "L.L.C."), ("Ltd", "Limited"))
_STREETS = [
    "Main",
    "Oak",
    "Pine",
    "Elm",
    "Maple",
    "Cedar",
    "Lake",
    "Hill",
    "Park",
    "Washington",
    "Lincoln",
    "Market",
    "Mill",
]
_SUFFIX = (
    ("St", "Street"),
    ("Ave", "Avenue"),
    ("Rd", "Road"),
    ("Blvd", "Boulevard"),
    ("Dr", "Drive"),
)
_CITIES = [
    "Springfield",
    "Riverton",
    "Fairview",
    "Franklin",
    "Greenville",
    "Clinton",
    "Madison",
    "Georgetown",
    "Salem",
]


@dataclass(slots=True)
class Generated:
    customers: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    """(native id, canonical customer data)."""
    entity: dict[str, int] = field(default_factory=dict)
    """native id -> the company it is (two ids of one company are a planted duplicate)."""
    companies: list[dict[str, Any]] = field(default_factory=list)

    def truth(self) -> set[frozenset[str]]:
        by: dict[int, list[str]] = {}
        for nid, e in self.entity.items():
            by.setdefault(e, []).append(nid)
        return {frozenset((a, b)) for ids in by.values() for a in ids for b in ids if a < b}


def _typo(rng: random.Random, s: str) -> str:
    i = rng.randrange(1, len(s) - 1)
    kind = rng.random()
    if kind < 0.4:
        return s[:i] + s[i + 1 :]
    if kind < 0.8:
        return s[:i] + s[i + 1] + s[i] + s[i + 2 :]
    return s[:i] + rng.choice("aeiourstn") + s[i + 1 :]


def _company(rng: random.Random, i: int) -> dict[str, Any]:
    base = f"{rng.choice(_WORDS)} {rng.choice(_TRADES)}"
    if rng.random() < 0.5:
        base = f"{rng.choice(_WORDS)} {base}"
    form = rng.choice(_FORMS)
    return {
        "base": base,
        "form": form,
        "number": rng.randrange(1, 9999),
        "street": rng.choice(_STREETS),
        "suffix": rng.choice(_SUFFIX),
        "suite": rng.randrange(1, 400) if rng.random() < 0.4 else None,
        "city": rng.choice(_CITIES),
        "postcode": f"{rng.randrange(10000, 99999):05d}",
        "phone": f"{rng.randrange(200, 999)}{rng.randrange(200, 999)}{rng.randrange(0, 9999):04d}",
        # namesakes elsewhere have domains of their own
        "domain": base.lower().replace(" ", "")
        + "".join(rng.choices("abcdefghijklmnopqrstuvwxyz", k=3))
        + rng.choice((".com", ".net", ".us")),
        "id": i,
    }


def _record(rng: random.Random, c: dict[str, Any], *, variant: bool) -> dict[str, Any]:
    name = c["base"]
    suffix, suite = c["suffix"], c["suite"]
    line1 = (
        f"{c['number']} {c['street']} {suffix[1] if variant and rng.random() < 0.5 else suffix[0]}"
    )
    if suite is not None:
        line1 += rng.choice((f", Ste {suite}", f" Suite {suite}", f" #{suite}"))
    postcode, phone, city = c["postcode"], c["phone"], c["city"]
    form = c["form"][0]
    if variant:
        form = rng.choice((*c["form"], ""))
        if rng.random() < 0.3:
            name = name.upper()
        if rng.random() < 0.25:
            name = _typo(rng, name)
        if rng.random() < 0.15:  # moved: new address, same phone and domain
            line1 = f"{rng.randrange(1, 9999)} {rng.choice(_STREETS)} {rng.choice(_SUFFIX)[0]}"
            postcode = f"{rng.randrange(10000, 99999):05d}"
            city = rng.choice(_CITIES)
        if rng.random() < 0.1:
            postcode = f"{postcode}-{rng.randrange(0, 9999):04d}"
    contact: dict[str, Any] = {"name": "Buyer", "role": "purchasing"}
    if not (variant and rng.random() < 0.3):
        contact["phone"] = f"({phone[:3]}) {phone[3:6]}-{phone[6:]}"
    if not (variant and rng.random() < 0.3):
        contact["email"] = f"orders@{c['domain']}"
    return {
        "name": f"{name} {form}".strip(),
        "sites": [
            {
                "code": "MAIN",
                "roles": ["sold_to", "ship_to", "bill_to"],
                "address": {"line1": line1, "city": city, "postal_code": postcode, "country": "US"},
            }
        ],
        "contacts": [contact],
    }


def generate(n: int, *, duplicates: float = 0.1, seed: int = 7) -> Generated:
    """About ``n`` customers, ``duplicates`` of them a second system's copy of another."""
    rng = random.Random(seed)
    out = Generated()
    companies = [_company(rng, i) for i in range(int(n * (1 - duplicates)))]
    out.companies = companies
    for c in companies:
        nid = f"C{len(out.customers):06d}"
        out.customers.append((nid, _record(rng, c, variant=False)))
        out.entity[nid] = c["id"]
    for c in rng.sample(companies, n - len(companies)):
        nid = f"C{len(out.customers):06d}"
        out.customers.append((nid, _record(rng, c, variant=True)))
        out.entity[nid] = c["id"]
    return out


def respell(g: Generated, k: int, *, seed: int = 13) -> list[tuple[int, dict[str, Any]]]:
    """``k`` more spellings of companies in ``g``: (company, data), as another system types them."""
    rng = random.Random(seed)
    return [(c["id"], _record(rng, c, variant=True)) for c in rng.choices(g.companies, k=k)]


__all__ = ["Generated", "generate", "respell"]
