"""Customer prices as Medusa price lists: one override list per B2B account, for its group.

The pricing service publishes one ``customer_price`` record per (account,
SKU): the unit price the hub quotes that customer for one base unit, with
contract, tier, promotion and margin-floor rules already applied. Each
account gets one Medusa price list of type ``override`` whose rule is the
account's customer group (``customer.groups.id``; the group is the one
:mod:`~crossdock.connectors.medusa.customers` keeps the account's buyers in).
An override list's price is what Medusa charges a customer of the group,
whether above or below the variant's own price, so the price a buyer sees is
the hub's quote. Each variant of the SKU gets the unit price times its unit's
factor (a case of 12 costs 12 base units), in the record's currency; a case a
list prices itself gets that price, and quantity breaks become prices with
``min_quantity``/``max_quantity`` (:mod:`~crossdock.connectors.medusa.tiers`),
so a cart of that quantity is charged the quote.

Never twice: the list is found by its account before it is made (its
``metadata.crossdock_customer``, searched by title), and an account's prices
are pushed under a lease in the hub's store
(:mod:`~crossdock.connectors.medusa.claims`), so two hub processes pushing
one account's prices make one list and one price per variant; the process
that did not push last reads the list again first. Where several lists exist
anyway (made before the lease), the oldest is the account's. A variant's price in
it is updated when it has one, so a push repeated after a lost answer updates
what the first one made. The list's prices are read once per process and then
kept from Medusa's answers; if Medusa refuses an update because the price is
gone (edited in the admin), they are read again and the push is made once
more. A withdrawn price (the record deleted, or no unit price) removes the
SKU's prices from the list: the buyer falls back to the variant's price.
A price published for another channel than the system's ``channel`` (when
it names one) is not this store's and is left out.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from crossdock.connectors.base import Delivery
from crossdock.connectors.medusa.claims import Claims
from crossdock.connectors.medusa.client import MedusaClient
from crossdock.connectors.medusa.config import MedusaSettings
from crossdock.connectors.medusa.customers import META_ACCOUNT, CustomerGroups
from crossdock.connectors.medusa.errors import MedusaValidationError, Waiting
from crossdock.connectors.medusa.mapper import META_UNIT, handle_for
from crossdock.connectors.medusa.tiers import Tier, bounds, variant_tiers
from crossdock.errors import ErrorCode, PermanentError
from crossdock.model.change import ChangeOp

#: The metadata key naming the account a price list is for.
META_CUSTOMER = "crossdock_customer"
GROUP_RULE = "customer.groups.id"

PriceKey = tuple[str, str, int | None]
"""(variant id, currency, min quantity) of a price in a list."""
Held = tuple[str, Decimal, int | None]
"""(price id, amount, max quantity) of a price in a list."""
PRICE_FIELDS = "id,amount,currency_code,min_quantity,max_quantity,price_set.variant.id"


@dataclass
class PriceList:
    """A Medusa price list of one account and, once read, its prices by variant and currency."""

    id: str
    prices: dict[PriceKey, Held] = field(default_factory=dict)
    loaded: bool = False


def held_prices(rows: Iterable[Mapping[str, Any]]) -> dict[PriceKey, Held]:
    """Medusa's prices of a list by (variant, currency, min quantity)."""
    out: dict[PriceKey, Held] = {}
    for p in rows:
        variant = ((p.get("price_set") or {}).get("variant") or {}).get("id")
        if variant:
            low, high = bounds(p)
            out[(str(variant), str(p["currency_code"]), low)] = (
                str(p["id"]),
                Decimal(str(p["amount"])),
                high,
            )
    return out


def list_title(account: str) -> str:
    return f"{account} customer prices (Crossdock)"


def list_body(account: str, group_id: str) -> dict[str, Any]:
    """``POST /admin/price-lists``: an active override list for the account's group."""
    return {
        "title": list_title(account),
        "description": f"The prices the Crossdock hub quotes {account}; edit them in the hub.",
        "type": "override",
        "status": "active",
        "rules": {GROUP_RULE: [group_id]},
        "metadata": {META_CUSTOMER: account},
    }


def factor_of(variant: Mapping[str, Any]) -> Decimal:
    """Base units in the variant's unit (``metadata.crossdock_factor``; 1 if absent)."""
    return Decimal(str((variant.get("metadata") or {}).get("crossdock_factor") or 1))


class MedusaPriceLists:
    """Pushes published customer prices into per-account override price lists."""

    def __init__(
        self,
        client: MedusaClient,
        settings: MedusaSettings,
        groups: CustomerGroups,
        find_product: Callable[[str], dict[str, Any] | None],
        claims: Claims | None = None,
    ) -> None:
        self.client = client
        self.claims = claims or Claims("medusa")
        self.settings = settings
        self.groups = groups
        self.find_product = find_product
        self._lists: dict[str, PriceList] = {}
        self._lock = threading.Lock()

    # -- the list of an account -----------------------------------------------------------
    def all_of(self, account: str) -> list[dict[str, Any]]:
        """Every list Medusa holds for the account, oldest first."""
        rows = self.client.list_all(
            "/admin/price-lists",
            "price_lists",
            action="find a price list",
            q=account,
        )
        mine = [r for r in rows if (r.get("metadata") or {}).get(META_CUSTOMER) == account]
        return sorted(mine, key=lambda r: (str(r.get("created_at") or ""), str(r["id"])))

    def find(self, account: str) -> str | None:
        found = self.all_of(account)
        return str(found[0]["id"]) if found else None

    def make(self, account: str) -> str:
        gid = self.groups.group_id(account, {META_ACCOUNT: account})
        made = self.client.post(
            "/admin/price-lists", list_body(account, gid), action="create a price list"
        )
        return str(made["price_list"]["id"])

    def price_list(self, account: str) -> PriceList:
        """The account's list (found, else made for its group), with its prices read."""
        with self._lock:
            found = self._lists.get(account)
            if found is None:
                pid = self.find(account) or self.make(account)
                found = self._lists[account] = PriceList(pid)
            if not found.loaded:
                found.prices = held_prices(
                    self.client.list_all(
                        f"/admin/price-lists/{found.id}/prices",
                        "prices",
                        action="read a price list",
                        fields=PRICE_FIELDS,
                    )
                )
                found.loaded = True
            return found

    # -- one published price --------------------------------------------------------------
    def push(self, d: Delivery) -> str | None:
        data = d.data
        account, sku = str(data["customer"]), str(data["sku"])
        channel = data.get("channel")
        if channel is not None and self.settings.channel not in (None, channel):
            return None  # priced for another channel than the one this store sells
        product = self.find_product(handle_for(sku))
        if product is None:
            if d.op is ChangeOp.DELETE:
                return None
            raise Waiting(f"{sku} is not in Medusa yet; {account}'s price follows the product")
        currency = str(data.get("currency") or self.settings.currency).lower()
        wanted: dict[str, list[Tier]] = {}
        if d.op is not ChangeOp.DELETE:
            for v in product.get("variants") or []:
                unit = (v.get("metadata") or {}).get(META_UNIT)
                if unit:
                    wanted[str(v["id"])] = variant_tiers(data, factor_of(v), str(unit))
        variants = [str(v["id"]) for v in product.get("variants") or []]
        with self.claims.hold("price-list", account) as others:
            if others:  # another hub process may have changed the list since
                with self._lock:
                    self._lists.pop(account, None)
            plist = self._push(account, variants, currency, wanted)
        return f"{plist}:{sku}"  # one crosswalk entry per (account, SKU)

    def _push(
        self, account: str, variants: list[str], currency: str, wanted: Mapping[str, list[Tier]]
    ) -> str:
        try:
            plist = self._apply(account, variants, currency, wanted)
        except MedusaValidationError as exc:
            if not _stale(exc):
                raise
            with self._lock:  # a price edited away in the admin: read the list again
                self._lists.pop(account, None)
            plist = self._apply(account, variants, currency, wanted)
        except PermanentError as exc:
            if exc.code is not ErrorCode.NOT_FOUND:
                raise
            with self._lock:  # the list itself was deleted in the admin: make it again
                self._lists.pop(account, None)
            plist = self._apply(account, variants, currency, wanted)
        return plist

    def _apply(
        self, account: str, variants: list[str], currency: str, wanted: Mapping[str, list[Tier]]
    ) -> str:
        plist = self.price_list(account)
        create: list[dict[str, Any]] = []
        update: list[dict[str, Any]] = []
        delete: list[str] = []
        for vid in variants:
            have = {
                low: held
                for (v, cur, low), held in plist.prices.items()
                if v == vid and cur == currency
            }
            for low, high, amount in wanted.get(vid, []):
                body = {
                    "variant_id": vid,
                    "currency_code": currency,
                    "amount": amount,
                    "min_quantity": low,
                    "max_quantity": high,
                }
                held = have.pop(low, None)
                if held is None:
                    create.append(body)
                elif (held[1], held[2]) != (amount, high):
                    update.append({"id": held[0], **body})
            delete.extend(held[0] for held in have.values())
        if create or update or delete:
            answer = self.client.post(
                f"/admin/price-lists/{plist.id}/prices/batch",
                {"create": create, "update": update, "delete": delete},
                action="set customer prices",
            )
            gone = set(delete)
            with self._lock:
                for key in [k for k, held in plist.prices.items() if held[0] in gone]:
                    del plist.prices[key]
                for p in (answer.get("created") or []) + (answer.get("updated") or []):
                    for key in [k for k, held in plist.prices.items() if held[0] == p["id"]]:
                        del plist.prices[key]  # an update may have moved its min quantity
                    plist.prices.update(held_prices([p]))
        return plist.id


def _stale(exc: MedusaValidationError) -> bool:
    """Whether Medusa refused because a price the hub remembered is gone."""
    message = exc.medusa_message.lower()
    return "price" in message and ("not found" in message or "does not exist" in message)


__all__ = [
    "GROUP_RULE",
    "META_CUSTOMER",
    "MedusaPriceLists",
    "PriceList",
    "factor_of",
    "list_body",
    "list_title",
]
