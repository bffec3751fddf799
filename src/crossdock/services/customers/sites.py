"""Ship-to sites identified against the customer's own: one place is one site, however named.

Systems code a customer's sites their own way ("SHIP-7" in the portal is
"MAIN" in the ERP), and some send a site with no code at all (an EDI
partner's ship-to address, a web checkout). When a change asserts a
customer's ``sites``, each incoming site whose code the stored record does
not know is compared with the stored sites by normalized address (street
with its abbreviations and suite, city, postcode; the same normalization
the matcher and a merge use): a site found there takes the stored site's
code, so orders, contract prices (``scope.ship_tos``) and deliveries keep
naming the one site and no duplicate appears. Two incoming sites that come
to the same code are one site (their roles united, the first one's fields
kept). A site with no code and no stored match gets a code derived from its
normalized address (``site-`` and ten hex digits), so the same address sent
again is the same site. A site with neither a code nor a street is left as
sent: validation names ``sites.N.code``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

from crossdock.services.customers.survivorship import site_address


def address_code(address: str) -> str:
    """The code a site without one gets: stable for the same normalized address."""
    return "site-" + hashlib.sha256(address.encode()).hexdigest()[:10]


def identify_sites(
    stored: Sequence[Mapping[str, Any]], incoming: Sequence[Any]
) -> tuple[list[Any], dict[str, str]]:
    """The incoming sites named as the stored ones they are; sent code (or address) -> code.

    Returns the sites unchanged (the same list) when nothing was identified.
    """
    known = {s.get("code") for s in stored if isinstance(s, Mapping)}
    by_addr: dict[str, str] = {}
    for s in stored:
        if isinstance(s, Mapping) and isinstance(s.get("code"), str) and (a := site_address(s)):
            by_addr.setdefault(a, s["code"])
    out: list[Any] = []
    at: dict[str, int] = {}
    renamed: set[str] = set()
    joined: dict[str, str] = {}
    for s in incoming:
        if not isinstance(s, Mapping):
            out.append(s)  # not a site: validation says so
            continue
        sent = s.get("code")
        code = sent
        if sent not in known and (a := site_address(s)):
            code = by_addr.get(a) or (sent if sent else address_code(a))
        if code != sent and isinstance(code, str):
            joined[str(sent) if sent else site_address(s)] = code
            renamed.add(code)
        # the same site twice because one was identified: one site (a code the sender
        # itself repeats is left for validation to refuse)
        if isinstance(code, str) and code in at and code in renamed:
            first = out[at[code]]
            roles = list(dict.fromkeys([*first.get("roles", []), *s.get("roles", [])]))
            out[at[code]] = {**first, "roles": roles}
            continue
        if isinstance(code, str):
            at.setdefault(code, len(out))
        out.append({**s, "code": code} if code != sent else s)
    return (out, joined) if joined else (list(incoming), {})


__all__ = ["address_code", "identify_sites"]
