"""Survivorship: which value of each field the merged customer keeps.

For a field both records know and disagree on, the rules are asked in turn
and the first that tells them apart decides:

1. **owner**: the value the field's owning system (the ownership matrix) set;
2. **priority**: the value set by the system earlier in ``customers.survivorship.priority``;
3. **recency**: the value with the newer source time;
4. **completeness**: the longer value (more of it is known);
5. otherwise the survivor's own value.

A value beats no value. Collections are united instead: sites de-duplicated
by code, then by normalized address (the survivor's site is kept, with the
roles of both); contacts by e-mail, else name; tax ids by normalized
number; price lists kept in order. Pure: no store, no clock.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from crossdock.config.ownership import DELETED, OwnershipMatrix
from crossdock.model.base import EntityType
from crossdock.model.customer import Customer
from crossdock.model.paths import flatten_record, unflatten
from crossdock.services.customers import normalize

UNITED = ("sites", "contacts", "tax_ids", "price_lists")
"""List fields united rather than chosen."""


@dataclass(frozen=True, slots=True)
class Side:
    """One record's data and provenance (``path -> [system, source_ts, version]``)."""

    data: Mapping[str, Any]
    provenance: Mapping[str, Sequence[Any]]


@dataclass(slots=True)
class Survived:
    data: dict[str, Any]
    provenance: dict[str, list[Any]]
    reasons: dict[str, str] = field(default_factory=dict)
    """path -> the rule that picked the value (for the audit log)."""
    sites_joined: dict[str, str] = field(default_factory=dict)
    """merged-away site code -> the survivor's site it was found to be."""


def _present(v: Any) -> bool:
    if isinstance(v, str):
        return bool(v.strip())  # a blank is no value: it never beats one
    return v is not None and v != [] and v != {}


def _pick(
    path: str, a: Any, b: Any, pa: Sequence[Any] | None, pb: Sequence[Any] | None,
    owner: str | None, priority: Sequence[str],
) -> tuple[bool, str]:  # fmt: skip
    """(True when the merged-away side's value ``b`` wins, the rule that decided)."""
    if not _present(b):
        return False, "only" if _present(a) else "same"
    if not _present(a):
        return True, "only"
    if a == b:
        return False, "same"
    sa = pa[0] if pa else None
    sb = pb[0] if pb else None
    if owner not in (None, "*") and (sa == owner) != (sb == owner):
        return sb == owner, "owner"
    rank = {s: i for i, s in enumerate(priority)}
    ra, rb = rank.get(sa or "", len(rank)), rank.get(sb or "", len(rank))
    if ra != rb:
        return rb < ra, "priority"
    ta = str(pa[1]) if pa and len(pa) > 1 else ""
    tb = str(pb[1]) if pb and len(pb) > 1 else ""
    if ta != tb:
        return tb > ta, "recency"
    la, lb = len(str(a)), len(str(b))
    if la != lb:
        return lb > la, "completeness"
    return False, "survivor"


def site_address(site: Mapping[str, Any]) -> str:
    addr = site.get("address") or {}
    street = normalize.address_line(addr.get("line1"), addr.get("line2"))
    if not street:
        return ""  # no street: nothing to recognise the site by
    return "|".join(
        (street, normalize.city(addr.get("city")), normalize.postcode(addr.get("postal_code")))
    )


def unite_sites(
    keep: Sequence[Mapping[str, Any]], other: Sequence[Mapping[str, Any]]
) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """The survivor's sites, then the other's not already there; other code -> kept code."""
    out = [dict(s) for s in keep]
    by_code = {s["code"]: i for i, s in enumerate(out)}
    by_addr = {a: i for i, s in enumerate(out) if (a := site_address(s))}
    joined: dict[str, str] = {}
    has_default = any(s.get("default") for s in out)
    for s in other:
        i = by_code.get(s["code"])
        if i is None and (a := site_address(s)):
            i = by_addr.get(a)
        if i is not None:
            joined[s["code"]] = out[i]["code"]
            roles = list(dict.fromkeys([*out[i].get("roles", []), *s.get("roles", [])]))
            out[i] = {**out[i], "roles": roles}
            continue
        site = dict(s)
        if has_default and site.get("default"):
            site["default"] = False  # one default site: the survivor's
        by_code[site["code"]] = len(out)
        if a := site_address(site):
            by_addr.setdefault(a, len(out))
        out.append(site)
    return out, joined


def _unite(items: Sequence[Any], more: Sequence[Any], key: Any) -> list[Any]:
    out = list(items)
    seen = {key(x) for x in out}
    for x in more:
        k = key(x)
        if k not in seen:
            seen.add(k)
            out.append(x)
    return out


def _contact_key(c: Mapping[str, Any]) -> str:
    email = (c.get("email") or "").strip().lower()
    return f"e:{email}" if email else f"n:{normalize.fold(c.get('name') or '')}|{c.get('phone')}"


def _tax_key(x: Mapping[str, Any]) -> str:
    return normalize.tax_id(x.get("scheme"), x.get("value"))


def survive(
    matrix: OwnershipMatrix,
    priority: Sequence[str],
    survivor: Side,
    merged: Side,
    version: int,
) -> Survived:
    """The merged record (``version`` stamps the provenance of fields whose value moved)."""
    fa = flatten_record(Customer, survivor.data)
    fb = flatten_record(Customer, merged.data)
    data: dict[str, Any] = {}
    prov: dict[str, list[Any]] = {
        k: list(v) for k, v in survivor.provenance.items() if k != DELETED
    }
    reasons: dict[str, str] = {}
    for path in sorted((set(fa) | set(fb)) - set(UNITED)):
        a, b = fa.get(path), fb.get(path)
        pa, pb = survivor.provenance.get(path), merged.provenance.get(path)
        take_b, why = _pick(path, a, b, pa, pb, matrix.owner(EntityType.CUSTOMER, path), priority)
        if why not in ("same", "only") or take_b:
            reasons[path] = why
        if take_b:
            data[path] = b
            if pb:
                prov[path] = [pb[0], pb[1], version]
        elif _present(a):
            data[path] = a
    sites, joined = unite_sites(survivor.data.get("sites") or [], merged.data.get("sites") or [])
    united = {
        "sites": sites,
        "contacts": _unite(
            survivor.data.get("contacts") or [], merged.data.get("contacts") or [], _contact_key
        ),
        "tax_ids": _unite(
            survivor.data.get("tax_ids") or [], merged.data.get("tax_ids") or [], _tax_key
        ),
        "price_lists": _unite(
            survivor.data.get("price_lists") or [], merged.data.get("price_lists") or [], str
        ),
    }
    for path, value in united.items():
        if value:
            data[path] = value
            if value != (survivor.data.get(path) or []):
                reasons[path] = "united"
                src = survivor.provenance.get(path) or merged.provenance.get(path)
                if src:
                    prov[path] = [src[0], src[1], version]
    prov = {k: v for k, v in prov.items() if k in data}
    return Survived(unflatten(data), prov, reasons, joined)


__all__ = ["UNITED", "Side", "Survived", "survive", "unite_sites"]
