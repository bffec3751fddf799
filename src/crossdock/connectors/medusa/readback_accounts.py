"""Reading back what the hub keeps of its B2B accounts in Medusa: groups, buyers, price lists.

Part of ``crossdock reconcile <medusa system>`` (see :mod:`.readback`); the
same mismatch kinds, each healed by the route re-sending the hub's record.

* an account (``customer``): its group, by name (``missing_in_system``), and
  the group's buyers by e-mail address against the account's contacts with an
  address (``different``, field ``buyers``; an inactive, blocked or deleted
  account should have none); a group the hub made (``metadata.crossdock_account``)
  for no account it sends is ``unknown_to_hub``;
* a published customer price (``customer_price``): each variant's price in
  the account's override list, in the record's currency, as the destination
  computes it (:mod:`.tiers`: a price per quantity break, a case's own
  price): missing, ``different`` (field ``prices[SKU].amount``, a break's
  ``prices[SKU@min].amount`` / ``.max_quantity``), or held for a price the hub withdrew
  (``deleted_in_hub``). A list or a price in it the hub never sent, and a
  second list for one account, are ``unknown_to_hub``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from crossdock.connectors.base import Mismatch, MismatchKind, ReadBack, Sent
from crossdock.connectors.medusa.client import MedusaClient
from crossdock.connectors.medusa.config import MedusaSettings
from crossdock.connectors.medusa.customers import META_ACCOUNT, buyer_emails
from crossdock.connectors.medusa.mapper import META_UNIT, handle_for
from crossdock.connectors.medusa.pricelists import (
    META_CUSTOMER,
    PRICE_FIELDS,
    Held,
    PriceKey,
    factor_of,
    held_prices,
)
from crossdock.connectors.medusa.tiers import variant_tiers
from crossdock.model.base import EntityType

_NO_BUYERS = frozenset({"inactive", "blocked"})


def _mismatch(
    kind: MismatchKind, s: Sent, native: str | None, field: str | None, medusa: Any, hub: Any
) -> Mismatch:
    return Mismatch(kind, s.entity_type, native, s.entity_id, field, medusa, hub, s.route)


def _unknown(etype: EntityType, native: str, held: Any) -> Mismatch:
    return Mismatch("unknown_to_hub", etype, native, None, None, held, None)


class AccountsReadBack:
    """Compares groups, their buyers and the accounts' price lists; adds to ``out``."""

    def __init__(self, client: MedusaClient, settings: MedusaSettings, out: ReadBack) -> None:
        self.client = client
        self.settings = settings
        self.out = out

    def _add(self, mismatches: list[Mismatch]) -> None:
        self.out.records += 1
        self.out.mismatches.extend(mismatches)
        if not mismatches:
            self.out.agreeing += 1

    # -- groups and buyers --------------------------------------------------------------
    def _emails(self, gid: str) -> list[str]:
        rows = self.client.list_all(
            "/admin/customers",
            "customers",
            action="read a group's buyers",
            groups=gid,
            fields="id,email",
        )
        return sorted(str(r.get("email") or "").lower() for r in rows)

    def groups(self, sent: Sequence[Sent]) -> None:
        rows = self.client.list_all(
            "/admin/customer-groups",
            "customer_groups",
            action="read customer groups back",
            fields="id,name,metadata",
        )
        by_name = {str(r["name"]): r for r in rows}
        for s in sent:
            account = str(s.data.get("account_number") or "").strip()
            if not account:
                continue
            group = by_name.pop(account, None)
            gone = s.withdrawn or str(s.data.get("status") or "") in _NO_BUYERS
            wanted = [] if gone else sorted(buyer_emails(s.data))
            if group is None:
                miss = (
                    [] if gone else [_mismatch("missing_in_system", s, None, None, None, account)]
                )
                self._add(miss)
                continue
            have = self._emails(str(group["id"]))
            self._add(
                []
                if have == wanted
                else [_mismatch("different", s, str(group["id"]), "buyers", have, wanted)]
            )
        for name, group in sorted(by_name.items()):
            if (group.get("metadata") or {}).get(META_ACCOUNT):
                self.out.mismatches.append(
                    _unknown(EntityType.CUSTOMER, str(group["id"]), {"name": name})
                )

    # -- price lists --------------------------------------------------------------------
    def _lists(self) -> dict[str, list[dict[str, Any]]]:
        """Account → its lists in Medusa, oldest first."""
        out: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for row in self.client.list_all(
            "/admin/price-lists", "price_lists", action="read price lists back"
        ):
            account = (row.get("metadata") or {}).get(META_CUSTOMER)
            if account:
                out[str(account)].append(row)
        for rows in out.values():
            rows.sort(key=lambda r: (str(r.get("created_at") or ""), str(r["id"])))
        return out

    def _prices(self, list_id: str) -> dict[PriceKey, Held]:
        return held_prices(
            self.client.list_all(
                f"/admin/price-lists/{list_id}/prices",
                "prices",
                action="read a price list back",
                fields=PRICE_FIELDS,
            )
        )

    def price_lists(self, sent: Sequence[Sent], products: Mapping[str, Mapping[str, Any]]) -> None:
        lists = self._lists()
        per_account: dict[str, list[Sent]] = defaultdict(list)
        for s in sent:
            channel = s.data.get("channel")
            if channel is not None and self.settings.channel not in (None, channel):
                continue  # priced for another channel: never pushed here
            per_account[str(s.data.get("customer"))].append(s)
        for account, records in sorted(per_account.items()):
            found = lists.pop(account, [])
            for extra in found[1:]:
                self.out.mismatches.append(
                    _unknown(EntityType.CUSTOMER_PRICE, str(extra["id"]), {"title": extra["title"]})
                )
            held = self._prices(str(found[0]["id"])) if found else {}
            for s in records:
                self._add(self._price(s, products, held))
            for (vid, currency, _low), (pid, amount, _high) in sorted(
                held.items(), key=lambda kv: kv[1][0]
            ):
                self.out.mismatches.append(
                    _unknown(EntityType.CUSTOMER_PRICE, pid, {"variant": vid, currency: amount})
                )
        for rows in lists.values():
            for row in rows:
                self.out.mismatches.append(
                    _unknown(EntityType.CUSTOMER_PRICE, str(row["id"]), {"title": row["title"]})
                )

    def _price(
        self,
        s: Sent,
        products: Mapping[str, Mapping[str, Any]],
        held: dict[PriceKey, Held],
    ) -> list[Mismatch]:
        """One customer price against the list's prices (the ones compared are taken out)."""
        sku = str(s.data.get("sku") or "")
        currency = str(s.data.get("currency") or self.settings.currency).lower()
        on = not s.withdrawn and s.data.get("unit_price") is not None
        product = products.get(handle_for(sku))
        if product is None:
            return (
                [_mismatch("missing_in_system", s, None, None, None, s.data.get("unit_price"))]
                if on
                else []
            )
        out: list[Mismatch] = []
        for v in product.get("variants") or []:
            vid, vsku = str(v["id"]), str(v.get("sku"))
            unit = (v.get("metadata") or {}).get(META_UNIT)
            wanted = variant_tiers(s.data, factor_of(v), str(unit)) if on and unit else []
            for low, high, amount in wanted:
                at = f"prices[{vsku}]" if low is None else f"prices[{vsku}@{low}]"
                have = held.pop((vid, currency, low), None)
                if have is None:
                    out.append(
                        _mismatch("missing_in_system", s, None, f"{at}.amount", None, amount)
                    )
                    continue
                if have[1] != amount:
                    out.append(_mismatch("different", s, have[0], f"{at}.amount", have[1], amount))
                if have[2] != high:
                    out.append(
                        _mismatch("different", s, have[0], f"{at}.max_quantity", have[2], high)
                    )
            for key in [k for k in held if k[0] == vid and k[1] == currency]:
                pid, amount, _high = held.pop(key)
                at = f"prices[{vsku}]" if key[2] is None else f"prices[{vsku}@{key[2]}]"
                out.append(_mismatch("deleted_in_hub", s, pid, f"{at}.amount", amount, None))
        return out


__all__ = ["AccountsReadBack"]
