"""The in-memory price index: per-SKU candidate entries and per-customer eligible lists.

Built once from the store's current products, price lists and customers,
then kept current record by record (:meth:`PriceIndex.put_product`,
:meth:`put_list`, :meth:`put_customer`, each also taking a deletion). Memos
(the merged candidates of a SKU, the eligible lists of a customer/ship-to/
channel) are dropped for exactly what a change touches, and ``generation``
counts changes so callers can tell an index has moved.

A list change is the one that may touch every customer's eligible lists
(a promotion open to all, say): rather than rebuild each customer's from
every list, a customer's next read re-checks only the lists changed since
its own was built (``lists_generation`` counts list changes; the last
:data:`PATCH_LIMIT` are kept), which gives the same tuple a rebuild would.
A customer change drops that customer's alone; a product change, none.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable
from datetime import datetime
from typing import NamedTuple

from crossdock.model.customer import Customer
from crossdock.model.price_list import PriceEntry, PriceList
from crossdock.model.product import Product
from crossdock.services.pricing.compiled import (
    CustomerInfo,
    Entry,
    PList,
    ProductInfo,
    compile_entry,
)
from crossdock.services.pricing.turns import Priced, Timed, timeline

_NO_ENTRIES: dict[str, list[PriceEntry]] = {}
PATCH_LIMIT = 64
"""How many list changes behind a customer's eligible lists may be patched, not rebuilt."""


class EligibleKey(NamedTuple):
    account: str
    ship_to: str | None
    channel: str | None


_Eligible = tuple[tuple[PList, ...], tuple[str, ...], int]


class PriceIndex:
    """Everything resolution reads, in memory, keyed for the hot path."""

    def __init__(self, currency: str = "USD") -> None:
        self.currency = currency
        self.products: dict[str, ProductInfo] = {}
        self._product_sku: dict[str, str] = {}
        self._category_skus: dict[str, set[str]] = {}
        """Per category, the SKUs of the products in it (what a category entry touches)."""
        self.lists: dict[str, PList] = {}
        self.list_ids: dict[str, str] = {}
        self._raw_sku: dict[str, dict[str, list[PriceEntry]]] = {}
        self._raw_cat: dict[str, dict[str, list[PriceEntry]]] = {}
        """Per SKU (category), per list id: the list's entries for it, in list order."""
        self._list_skus: dict[str, list[str]] = {}
        self._list_cats: dict[str, list[str]] = {}
        self.customers: dict[str, CustomerInfo] = {}
        self._customer_account: dict[str, str] = {}
        self._general: set[str] = set()
        self._by_customer: dict[str, set[str]] = {}
        self._by_group: dict[str, set[str]] = {}
        self._by_tier: dict[str, set[str]] = {}
        self.candidates: dict[str, dict[str, Priced]] = {}
        """Per SKU, the entries pricing it as :meth:`entries` compiled them; a change
        touching the SKU drops its dict, so holding that dict's identity tells
        whether what was made from it is current (read-only outside the index)."""
        self._eligible: dict[str, dict[EligibleKey, _Eligible]] = {}
        """Per account, per (site, channel): the eligible lists (by id), their ids, and
        ``lists_generation`` when they were last brought up to date."""
        self.lists_generation = 0
        """How many list changes the index has taken in (a subset of ``generation``)."""
        self._list_log: list[str] = []
        """The record ids of the last list changes, the newest last."""
        self._open: tuple[int, tuple[PList, ...]] = (0, ())
        self.problems: dict[str, str] = {}
        self.generation = 0
        self.has_groups = False

    # -- reads ----------------------------------------------------------------------------
    def entries(self, sku: str) -> dict[str, Priced]:
        """What each list prices ``sku`` with, by list id (SKU entries over category ones).

        An :class:`Entry`, or a :class:`Timed` when the list's entries for the
        SKU take turns over time (windows of their own).
        """
        found = self.candidates.get(sku)
        if found is not None:
            return found
        product = self.products.get(sku)
        out: dict[str, Priced] = {}
        if product is not None:
            owns = self._raw_sku.get(sku, _NO_ENTRIES)
            cats = _NO_ENTRIES
            if product.category is not None:
                cats = self._raw_cat.get(product.category, _NO_ENTRIES)
                for list_id, cat in cats.items():
                    priced = self._compile(list_id, cat, owns.get(list_id, []), product)
                    if priced is not None:
                        out[list_id] = priced
            for list_id, own in owns.items():
                if list_id not in cats:
                    priced = self._compile(list_id, [], own, product)
                    if priced is not None:
                        out[list_id] = priced
        self.candidates[sku] = out
        return out

    def _compile(
        self, list_id: str, cat: list[PriceEntry], own: list[PriceEntry], p: ProductInfo
    ) -> Priced | None:
        pl = self.lists[list_id]
        if not pl.edges:  # no dated entry: one for all time, the SKU's own over the
            return self._entry(pl, (own or cat)[-1], p)  # category's, the later one
        compiled: dict[int, Entry | None] = {}
        starts: list[datetime] = []
        picks: list[Entry | None] = []
        for start, raw in timeline(pl, cat, own):
            e = None
            if raw is not None:
                if id(raw) not in compiled:
                    compiled[id(raw)] = self._entry(pl, raw, p)
                e = compiled[id(raw)]
            if picks and picks[-1] is e:
                continue
            starts.append(start)
            picks.append(e)
        if len(picks) == 1:
            return picks[0]
        return Timed(pl, tuple(starts), tuple(picks))

    def _entry(self, pl: PList, raw: PriceEntry, p: ProductInfo) -> Entry | None:
        compiled = compile_entry(pl, raw, p)
        if compiled is None:
            self.problems[f"{pl.id}:{p.sku}"] = (
                f"list {pl.code}: unit {raw.unit!r} is not defined for SKU {p.sku}"
            )
        return compiled

    def eligible(self, customer: CustomerInfo, key: EligibleKey) -> tuple[PList, ...]:
        """Lists whose scope (or the customer's assignment) admits this customer/site/channel.

        The same tuple object until a list change or a change of this customer
        alters it (callers may memoise on its identity).
        """
        mine = self._eligible.get(customer.account)
        found = mine.get(key) if mine is not None else None
        region = customer.regions.get(key.ship_to) if key.ship_to else None
        if found is not None:
            result, order, seen = found
            behind = self.lists_generation - seen
            if behind == 0:
                return result
            if behind <= len(self._list_log):
                pls, keys = list(result), list(order)
                for lid in set(self._list_log[-behind:]):
                    i = bisect_left(keys, lid)
                    if i < len(keys) and keys[i] == lid:
                        del keys[i], pls[i]
                    pl = self.lists.get(lid)
                    if pl is not None and self._admits(pl, customer, key, region):
                        keys.insert(i, lid)
                        pls.insert(i, pl)
                patched = tuple(pls)
                if patched == result:  # same lists, same objects: keep the identity
                    patched = result
                if mine is not None:
                    mine[key] = (patched, tuple(keys), self.lists_generation)
                return patched
        ids = set(self._general)
        ids |= self._by_customer.get(customer.account, set())
        if customer.group is not None:
            ids |= self._by_group.get(customer.group, set())
        if customer.tier is not None:
            ids |= self._by_tier.get(customer.tier, set())
        ids |= {self.list_ids[c] for c in customer.assigned if c in self.list_ids}
        out = []
        for list_id in sorted(ids):
            pl = self.lists[list_id]
            if scope_miss(pl, customer, key.ship_to, region, key.channel) is None:
                out.append(pl)
        result = tuple(out)
        entry = (result, tuple(pl.id for pl in out), self.lists_generation)
        self._eligible.setdefault(customer.account, {})[key] = entry
        return result

    def open_lists(self) -> tuple[PList, ...]:
        """The lists eligible for every customer, site and channel (``PList.open``)."""
        generation, found = self._open
        if generation != self.lists_generation:
            found = tuple(pl for pl in self.lists.values() if pl.open)
            self._open = (self.lists_generation, found)
        return found

    def _admits(
        self, pl: PList, customer: CustomerInfo, key: EligibleKey, region: str | None
    ) -> bool:
        """One list, as :meth:`eligible` would find it (its scope buckets, then its scope)."""
        assigned = pl.code in customer.assigned and self.list_ids.get(pl.code) == pl.id
        reached = assigned or (
            not pl.frozen
            and (
                pl.general
                or customer.account in pl.customers
                or customer.group in pl.groups
                or customer.tier in pl.tiers
            )
        )
        return reached and scope_miss(pl, customer, key.ship_to, region, key.channel) is None

    def priced_by(self, list_ids: tuple[str, ...]) -> tuple[frozenset[str], frozenset[str | None]]:
        """The SKUs and the categories these lists have entries for."""
        skus: set[str] = set()
        cats: set[str | None] = set()
        for lid in list_ids:
            skus.update(self._list_skus.get(lid, ()))
            cats.update(self._list_cats.get(lid, ()))
        return frozenset(skus), frozenset(cats)

    def sku_of(self, product_id: str) -> str | None:
        """The SKU of a product record id, if the index holds it."""
        return self._product_sku.get(product_id)

    def customer(self, ref: str) -> CustomerInfo | None:
        """A customer by account number or canonical id."""
        found = self.customers.get(ref)
        if found is None and ref in self._customer_account:
            found = self.customers.get(self._customer_account[ref])
        return found

    # -- writes ---------------------------------------------------------------------------
    def put_product(self, record_id: str, version: int, product: Product | None) -> None:
        old_sku = self._product_sku.pop(record_id, None)
        if old_sku is not None:
            gone = self.products.pop(old_sku, None)
            if gone is not None and gone.category is not None:
                self._category_skus.get(gone.category, set()).discard(old_sku)
            self.candidates.pop(old_sku, None)
        if product is not None:
            info = ProductInfo(product, record_id, version, self.currency)
            self.products[info.sku] = info
            self._product_sku[record_id] = info.sku
            if info.category is not None:
                self._category_skus.setdefault(info.category, set()).add(info.sku)
            if info.break_group is not None:
                self.has_groups = True
            self.candidates.pop(info.sku, None)
        self.generation += 1

    def put_list(
        self, record_id: str, version: int, plist: PriceList | None, *, eligible: bool = True
    ) -> None:
        """Add, replace or (``None``) remove a list.

        ``eligible=False``: only referable by code (the frozen copies behind a
        price lock), never a candidate of its own.
        """
        old = self.lists.pop(record_id, None)
        touched: set[str] = set()
        categories: set[str] = set()
        if old is not None:
            if self.list_ids.get(old.code) == record_id:  # not a code another list took since
                del self.list_ids[old.code]
            for sku in self._list_skus.pop(record_id, []):
                self._raw_sku.get(sku, {}).pop(record_id, None)
                touched.add(sku)
            for cat in self._list_cats.pop(record_id, []):
                self._raw_cat.get(cat, {}).pop(record_id, None)
                categories.add(cat)
            for bucket in (self._general, *self._scope_sets()):
                bucket.discard(record_id)
        if plist is not None:
            pl = PList(plist, record_id, version, self.currency)
            pl.frozen = not eligible
            pl.open = eligible and pl.general and not (pl.ship_tos or pl.regions or pl.channels)
            self.lists[record_id] = pl
            holder = self.list_ids.get(pl.code)
            if holder is not None and holder != record_id:  # the code moves: both change
                self._logged(holder)
            self.list_ids[pl.code] = record_id
            skus: dict[str, None] = {}
            cats: dict[str, None] = {}
            for e in plist.entries:
                if e.break_group is not None:
                    self.has_groups = True
                if e.sku is not None:
                    self._raw_sku.setdefault(e.sku, {}).setdefault(record_id, []).append(e)
                    skus[e.sku] = None
                elif e.category is not None:
                    self._raw_cat.setdefault(e.category, {}).setdefault(record_id, []).append(e)
                    cats[e.category] = None
            self._list_skus[record_id] = list(skus)
            self._list_cats[record_id] = list(cats)
            touched.update(skus)
            categories.update(cats)
            if eligible:
                self._index_scope(pl)
        for cat in categories:
            touched |= self._category_skus.get(cat, set())
        for sku in touched:
            self.candidates.pop(sku, None)
        self._logged(record_id)
        self.generation += 1

    def _logged(self, record_id: str) -> None:
        self.lists_generation += 1
        self._list_log.append(record_id)
        if len(self._list_log) > 2 * PATCH_LIMIT:
            del self._list_log[:-PATCH_LIMIT]

    def put_customer(self, record_id: str, version: int, customer: Customer | None) -> None:
        old = self._customer_account.pop(record_id, None)
        held = self.customers.get(old) if old is not None else None
        if old is not None and held is not None and held.id == record_id:
            # only this record's own entry: a merge's survivor may hold the account now
            self.customers.pop(old, None)
            self._eligible.pop(old, None)
        if customer is not None:
            info = CustomerInfo(customer, record_id, version)
            self.customers[info.account] = info
            self._customer_account[record_id] = info.account
            self._eligible.pop(info.account, None)
        self.generation += 1

    def _scope_sets(self) -> Iterable[set[str]]:
        for mapping in (self._by_customer, self._by_group, self._by_tier):
            yield from mapping.values()

    def _index_scope(self, pl: PList) -> None:
        if pl.general:
            self._general.add(pl.id)
        for c in pl.customers:
            self._by_customer.setdefault(c, set()).add(pl.id)
        for g in pl.groups:
            self._by_group.setdefault(g, set()).add(pl.id)
        for t in pl.tiers:
            self._by_tier.setdefault(t, set()).add(pl.id)


def scope_miss(
    pl: PList,
    customer: CustomerInfo,
    ship_to: str | None,
    region: str | None,
    channel: str | None,
) -> str | None:
    """Why a list does not admit this customer/site/channel (None: it does).

    A list the customer is assigned by code (``customer.price_lists``) skips
    the customer, group and tier checks; ship-to, region and channel still apply.
    """
    if pl.code not in customer.assigned:
        if pl.customers and customer.account not in pl.customers:
            return "scope.customers"
        if pl.groups and customer.group not in pl.groups:
            return "scope.groups"
        if pl.tiers and customer.tier not in pl.tiers:
            return "scope.tiers"
    if pl.ship_tos and ship_to not in pl.ship_tos:
        return "scope.ship_tos"
    if pl.regions and region not in pl.regions:
        return "scope.regions"
    if pl.channels and channel not in pl.channels:
        return "scope.channels"
    return None


__all__ = ["PATCH_LIMIT", "EligibleKey", "PriceIndex", "scope_miss"]
