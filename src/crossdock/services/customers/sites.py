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

A system that knows a site by an id of its own sends it as the site's
``native_id`` (else its code is its id). Where that id is another code
than the site's, or was sent as ``native_id``, the site crosswalk keeps
(customer, system, id) -> code, and the id decides before anything else:
a site the system moves to another address or gives another code keeps
updating the same canonical site, under the code orders and price lists
already name. One id sent for two sites that are not the same site is
refused (which of them the id names would be a guess that moves orders to
the wrong dock). A merge adds the codes it joined into a survivor's site as
aliases (system ``crossdock``), so a system still sending the joined-away
code, and a price list naming it, reach the surviving site.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from crossdock.services.customers.survivorship import site_address


def address_code(address: str) -> str:
    """The code a site without one gets: stable for the same normalized address."""
    return "site-" + hashlib.sha256(address.encode()).hexdigest()[:10]


@dataclass(frozen=True, slots=True)
class Identified:
    """Incoming sites named as the stored ones they are."""

    sites: list[Any]
    joined: dict[str, str]
    """sent code (or address) -> the code it was found to be."""
    learned: dict[str, str]
    """the sender's own site id -> code, where the site crosswalk should say so (new or moved)."""
    repeated: tuple[int, str, str, str] | None = None
    """(index, id, first code, this code): one site id sent for two sites of the change."""


def identify(
    stored: Sequence[Mapping[str, Any]],
    incoming: Sequence[Any],
    own: Mapping[str, str] | None = None,
    aliases: Mapping[str, str] | None = None,
) -> Identified:
    """Each incoming site's code: the sender's crosswalk, a stored code, a joined code, its address.

    ``own``: the sender's site crosswalk (its site id -> code); a site's id is its
    ``native_id`` when sent (dropped here: it is no canonical field), else the code it
    sends. ``aliases``: codes a merge joined into another site -> the surviving code.
    """
    own, aliases = own or {}, aliases or {}
    known = {s.get("code") for s in stored if isinstance(s, Mapping)}
    by_addr: dict[str, str] = {}
    for s in stored:
        if isinstance(s, Mapping) and isinstance(s.get("code"), str) and (a := site_address(s)):
            by_addr.setdefault(a, s["code"])
    out: list[Any] = []
    at: dict[str, int] = {}
    renamed: set[str] = set()
    joined: dict[str, str] = {}
    learned: dict[str, str] = {}
    first_code: dict[str, str] = {}
    repeated: tuple[int, str, str, str] | None = None
    stripped = False
    for i, s in enumerate(incoming):
        if not isinstance(s, Mapping):
            out.append(s)  # not a site: validation says so
            continue
        native = s.get("native_id")
        if "native_id" in s:
            s = {k: v for k, v in s.items() if k != "native_id"}
            stripped = True
        sent = s.get("code")
        sid = native if isinstance(native, str) and native else sent
        code = sent
        if isinstance(sid, str) and sid in own:
            code = own[sid]  # the sender's own id decides: a moved or renamed site stays itself
        elif sent in known:
            pass
        elif isinstance(sent, str) and sent in aliases:
            code = aliases[sent]
        elif a := site_address(s):
            code = by_addr.get(a) or (sent if sent else address_code(a))
        if code != sent and isinstance(code, str):
            joined[str(sent) if sent else site_address(s)] = code
            renamed.add(code)
        if isinstance(sid, str) and isinstance(code, str):
            seen = first_code.setdefault(sid, code)
            if seen != code and repeated is None:  # which of the two the id names is a guess
                repeated = (i, sid, seen, code)
        if (
            isinstance(sid, str)
            and isinstance(code, str)
            and (sid != code or sid == native)
            and own.get(sid) != code
        ):
            learned[sid] = code
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
    if joined or stripped:
        return Identified(out, joined, learned, repeated)
    return Identified(list(incoming), {}, learned, repeated)


def identify_sites(
    stored: Sequence[Mapping[str, Any]], incoming: Sequence[Any]
) -> tuple[list[Any], dict[str, str]]:
    """The incoming sites named as the stored ones they are; sent code (or address) -> code.

    Returns the sites unchanged (the same list) when nothing was identified.
    """
    found = identify(stored, incoming)
    return found.sites, found.joined


__all__ = ["Identified", "address_code", "identify", "identify_sites"]
