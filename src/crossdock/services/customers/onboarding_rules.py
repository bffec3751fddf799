"""The onboarding's decisions that need no I/O: credit, tax exemption, territory.

Each takes the customer as stored (a canonical :class:`Customer`) and the
hub file's rules and answers with a :class:`Verdict`: passed with the facts
it found, or held with the reason a person reads.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from crossdock.config.onboarding import OnboardingConfig, Territory
from crossdock.model.customer import Customer, Site, SiteRole


@dataclass(frozen=True, slots=True)
class Verdict:
    passed: bool
    detail: str
    facts: dict[str, Any] = field(default_factory=dict)


def credit(customer: Customer, cfg: OnboardingConfig) -> Verdict:
    """The requested credit limit (the customer's ``credit_limit``) up to the threshold passes."""
    asked = customer.credit_limit
    if asked is None or asked <= cfg.auto_approve_credit:
        limit = asked if asked is not None else Decimal("0")
        return Verdict(
            True,
            f"credit limit {limit} approved automatically (up to {cfg.auto_approve_credit})",
            {"credit_limit": str(limit), "credit_approved_by": "auto"},
        )
    return Verdict(
        False,
        f"requested credit limit {asked} is above the automatic {cfg.auto_approve_credit}: "
        "a person approves (crossdock customers onboarding approve)",
        {"credit_requested": str(asked)},
    )


def main_site(customer: Customer) -> Site | None:
    """The default sold-to site, else the first sold-to, else the first site."""
    sold = customer.sites_with(SiteRole.SOLD_TO)
    return (
        next((s for s in sold if s.default), None)
        or (sold[0] if sold else None)
        or (customer.sites[0] if customer.sites else None)
    )


def tax(customer: Customer, cfg: OnboardingConfig, today: date) -> Verdict:
    """Every site claiming exemption needs a certificate for its region, not expired."""
    certs = [t for t in customer.tax_ids if t.scheme in cfg.exemption_schemes]
    for site in customer.sites:
        if not site.tax_exempt:
            continue
        where = site.region or (site.address.region if site.address else None)
        fits = [c for c in certs if c.region is None or where is None or c.region == where]
        region = f" in {where}" if where else ""
        if not fits:
            return Verdict(
                False,
                f"site {site.code} claims tax exemption{region} but no exemption certificate "
                f"({', '.join(cfg.exemption_schemes)}) covers it",
            )
        valid = [c for c in fits if c.expires_on is None or c.expires_on >= today]
        if not valid:
            c = max(fits, key=lambda c: c.expires_on or today)
            return Verdict(
                False,
                f"site {site.code}: exemption certificate {c.value}{region} "
                f"expired on {c.expires_on}",
            )
    exempt = [s.code for s in customer.sites if s.tax_exempt]
    if not exempt:
        return Verdict(True, "no tax exemption claimed")
    return Verdict(True, f"tax exemption of {', '.join(exempt)} backed by a valid certificate")


def territory_of(customer: Customer, cfg: OnboardingConfig) -> Territory | None:
    """The first territory whose postcode ranges or regions cover the main site."""
    site = main_site(customer)
    addr = site.address if site else None
    postcode = addr.postal_code if addr else None
    region = (site.region if site else None) or (addr.region if addr else None)
    for t in cfg.territories:
        if postcode and any(r.covers(postcode) for r in t.postcodes):
            return t
        if region and region in t.regions:
            return t
    if cfg.default_territory is None:
        return None
    return next(t for t in cfg.territories if t.name == cfg.default_territory)


def territory(customer: Customer, cfg: OnboardingConfig) -> Verdict:
    found = territory_of(customer, cfg)
    if found is None:
        site = main_site(customer)
        addr = site.address if site else None
        where = f"postcode {addr.postal_code!r}" if addr and addr.postal_code else "no postcode"
        return Verdict(False, f"no territory rule covers the main site ({where})")
    return Verdict(
        True,
        f"territory {found.name}, sales rep {found.rep}",
        {"territory": found.name, "sales_rep": found.rep},
    )


__all__ = ["Verdict", "credit", "main_site", "tax", "territory", "territory_of"]
