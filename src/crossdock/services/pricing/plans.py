"""Resolution plans: a SKU's candidates for one set of active lists, compiled for one unit.

Resolving a line in ``order`` mode walks the SKU's candidates in precedence
order and stops at the first normal group that prices. Most of that walk is
the same for every line of a SKU asked by customers with the same lists:
which candidates are active (the others are skipped), their order, each
one's price at every break (a bisect table), the margin floor. A plan is
that, compiled once per (active lists, currency, SKU, unit asked): the
active candidates only, each as (group, if_lower, entry, break points,
prices, own break index, last of its group), and the floor, which clamps
the walk's winner (:class:`~crossdock.services.pricing.candidates.Pricer`).

Every candidate's price is a step function of the base quantity, so the
walk's answer only changes at one of their break points: when every
candidate is tabled, the plan also keeps the union of those points and the
walk's winner from each one on, and a line is one bisect
(``Engine._planned_lines``). A plan with an untabled candidate walks per
line (:meth:`Planner._walk`).

Nothing in a plan depends on the instant beyond which lists are active: a
candidate whose price does (a dated list in its chain, which need not be
one the customer may use), or that is in another currency, or whose chain
does not price, keeps no table and is priced per line as before.

Plans are shared by every request with the same *shared* active lists
(open lists, and those scoped by group, tier, region, channel or site
code): a customer's personal lists (a scope naming customers, or assigned
by code) join the key only for the SKUs they name. The number of plans is
so bounded by the catalog times the distinct shared scopes, plus the
personal entries, never by customers times SKUs.

A plan outlives index changes that do not touch its SKU: it holds the
SKU's entries dict it was compiled from, which the index replaces whenever
a list, product or category entry pricing that SKU changes (its entries,
their lists, the lists their chains refer to, the product's cost, list
price and units), so a line whose plan holds another dict recompiles it.
What else a plan depends on is in its key: which lists are active (their
ids, from the customer, site, channel and instant), for a list with dated
entries which of its intervals the instant falls in (the entry that prices
each SKU then: ``QuoteContext.slots``), and the currency. All plans go at
once past ``limit`` (:meth:`Plans.clear`).
"""

from __future__ import annotations

from bisect import bisect_right
from decimal import Decimal
from typing import Any

from crossdock.config.pricing import PricingConfig, RuleKind
from crossdock.services.pricing.candidates import FIXED, QuoteContext
from crossdock.services.pricing.compiled import Entry
from crossdock.services.pricing.compiled import ProductInfo as Product
from crossdock.services.pricing.explain import Explainer
from crossdock.services.pricing.index import PriceIndex
from crossdock.services.pricing.turns import Priced, Timed

Ranked = tuple[tuple[int, bool, Priced | None, str], ...]
"""A SKU's candidates in precedence order: (group, if_lower, entry or None, list id)."""
Cand = tuple[
    int,
    bool,
    "Entry | None",
    "tuple[Decimal, ...] | None",
    tuple["Decimal | None", ...],
    tuple[int, ...],
    bool,
]
"""(group, if_lower, entry, break points or None: price per line, prices, breaks,
last of its group in the plan)."""
Winner = tuple[Decimal, "Entry | None", int]
"""(unit price, the winning entry or None for the list price, its break index or -1)."""
Plan = tuple[
    "Decimal | None",
    tuple[Cand, ...],
    "tuple[Decimal, ...] | None",
    "tuple[Winner | None, ...]",
    Product,
    Decimal,
    bool,
    "dict[str, Priced]",
]
"""(floor per request unit or None, the active candidates in order, the break points
where the winner may change or None: walk per line, the winner from each point on,
the product, the unit factor, whether an entry of the SKU is in a break group, the
SKU's entries it was compiled from: current while ``PriceIndex.candidates`` holds them)."""
PlanKey = tuple[str, "str | None"]
"""(SKU, the unit as the line asks it; None: the base unit)."""
Book = dict[PlanKey, Plan]
"""The plans of one (active lists, currency)."""
_ZERO = (Decimal(0),)
_NONE = ()


class Plans:
    """The plan books of one engine, by (active lists, currency)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.size = 0
        """Plans made since the last clear."""
        self._sets: dict[frozenset[object], int] = {}
        self._books: dict[tuple[int, str], Book] = {}
        self._next = 0
        self.made = 0
        """Plans made in all (never reset)."""

    def clear(self) -> None:
        self._sets.clear()
        self._books.clear()
        self.size = 0

    def token(self, ids: frozenset[object]) -> int:
        """A number for a set of list ids; never reused for another set, also after a clear."""
        found = self._sets.get(ids)
        if found is None:
            self._next += 1
            found = self._sets[ids] = self._next
        return found

    def unique(self) -> int:
        """A number no set of lists has, nor will have."""
        self._next += 1
        return self._next

    def book(self, token: int, currency: str) -> Book:
        """The plans for the lists ``token`` names, in ``currency``."""
        key = (token, currency)
        found = self._books.get(key)
        if found is None:
            found = self._books[key] = {}
        return found

    def counted(self) -> None:
        """One more plan; past ``limit`` all go (the books in use stay valid, only unshared)."""
        self.size += 1
        self.made += 1
        if self.size > self.limit:
            self.clear()
            self.size = 1


class Planner(Explainer):
    """An :class:`Explainer` that compiles plans (``Engine._planned_lines`` walks them)."""

    def __init__(self, index: PriceIndex, config: PricingConfig, plan_size: int) -> None:
        super().__init__(index, config)
        self._ranked_memo: dict[str, tuple[dict[str, Priced], Ranked, bool]] = {}
        self._plans = Plans(plan_size)

    def _ranked(self, sku: str) -> Ranked:
        """The SKU's candidates in precedence order, as (group, if_lower, entry, list id).

        ``group`` numbers the distinct (rank, priority) pairs in order; the list
        price is a pseudo-entry (``None``).
        """
        return self._memo(sku)[1]

    def _grouped(self, sku: str) -> bool:
        """Whether an entry of the SKU is in a break group (mix and match)."""
        return self._memo(sku)[2]

    def _memo(self, sku: str) -> tuple[dict[str, Priced], Ranked, bool]:
        entries = self.index.entries(sku)
        found = self._ranked_memo.get(sku)
        if found is not None and found[0] is entries:
            return found
        items: list[tuple[int, int, str, bool, Priced | None, str]] = []
        for lid, e in entries.items():
            pl = e.plist
            items.append(
                (self._ranks[pl.kind], -pl.priority, pl.code, pl.kind in self._if_lower, e, lid)
            )
        if self._list_price:
            kind = RuleKind.LIST_PRICE
            items.append((self._ranks[kind], 0, "", kind in self._if_lower, None, ""))
        items.sort(key=lambda x: (x[0], x[1], x[2]))
        ranked: list[tuple[int, bool, Priced | None, str]] = []
        group, last = -1, None
        for rank, negp, _, if_lower, entry, lid in items:
            if (rank, negp) != last:
                group, last = group + 1, (rank, negp)
            ranked.append((group, if_lower, entry, lid))
        grouped = any(
            e.break_groups if isinstance(e, Timed) else e.break_group is not None
            for e in entries.values()
        )
        memo = (entries, tuple(ranked), grouped)
        self._ranked_memo[sku] = memo
        return memo

    @property
    def compiled(self) -> int:
        """How many plans this engine has compiled (a measure of its heap's growth)."""
        return self._plans.made

    def _plan(
        self, ctx: QuoteContext, p: Product, f: Decimal, unit: str | None, personal: bool
    ) -> Plan:
        """The line's plan, compiled on first use; ``personal``: a personal list may price it."""
        book = ctx.plans
        assert book is not None
        if personal:  # the customer's own book
            book = ctx.full_plans
            if book is None:
                book = ctx.full_plans = self._plans.book(ctx.tokens[1], ctx.currency)
        key = (p.sku, unit)
        plan = book.get(key)
        if plan is None or plan[7] is not self.index.entries(p.sku):
            # no personal list prices the SKU when the plan goes to the shared book: its
            # candidates are the same for every customer whose shared lists are these
            plan = book[key] = self._compile(ctx, p, f)
            self._plans.counted()
        return plan

    def _compile(self, ctx: QuoteContext, p: Product, f: Decimal) -> Plan:
        active = ctx.active
        entries = self.index.entries(p.sku)
        cands: list[tuple[Any, ...]] = []
        for group, if_lower, priced, lid in self._ranked(p.sku):
            if priced is None:
                if p.list_price is None:
                    continue
                lp = self._list_price_of(ctx, p, f)
                if lp is not None:
                    cands.append((group, if_lower, None, _ZERO, (lp,), (-1,)))
                continue
            if lid not in active:
                continue
            if isinstance(priced, Timed):  # the book's key holds the turn it takes
                e = priced.at(ctx.instant(priced.plist))
                if e is None:
                    continue
            else:
                e = priced
            if e.plist.currency == ctx.currency:
                if e.method is FIXED and f is e.unit_factor:
                    cands.append((group, if_lower, e, e.mins, e.values_q, e.own))
                    continue
                table = e.fast[f] if f in e.fast else self._table(ctx, e, p, f)
                e.fast[f] = table
                if table is not None and None not in table[1]:
                    cands.append((group, if_lower, e, *table))
                    continue
            cands.append((group, if_lower, e, None, _NONE, _NONE))
        n = len(cands)
        out: tuple[Cand, ...] = tuple(
            (*c, k + 1 == n or cands[k + 1][0] != c[0]) for k, c in enumerate(cands)
        )
        floor = self._line_floor(ctx, p, f)
        points: tuple[Decimal, ...] | None = None
        winners: tuple[Winner | None, ...] = ()
        if all(c[3] is not None for c in out):
            # the walk is a step function of the quantity: its value at each point holds
            # until the next one
            points = tuple(sorted({x for c in out for x in c[3]}))  # type: ignore[union-attr]
            winners = tuple(self._walk(ctx, floor, out, p, f, x) for x in points)
        return (floor, out, points, winners, p, f, self._grouped(p.sku), entries)

    def _walk(
        self,
        ctx: QuoteContext,
        floor: Decimal | None,
        cands: tuple[Cand, ...],
        p: Product,
        f: Decimal,
        qb: Decimal,
    ) -> Winner | None:
        """The winner among a plan's candidates for ``qb`` base units (None: none prices).

        Same answer as ``Engine._resolve`` (a property test holds them to it):
        if-lower kinds above the first normal candidate are kept aside (the
        cheapest, ties to the higher precedence) and win only when cheaper;
        then the margin floor clamps the winner.
        """
        aside: Winner | None = None
        win: Winner | None = None
        stop = -1
        for group, if_lower, e, points, prices, brks, last in cands:
            if stop >= 0 and group != stop:
                break
            if points is None:
                assert e is not None
                found, brk, _ = self._price(ctx, e, p, f, qb, 0)
                if found is None:
                    continue
                price = found
            else:
                j = bisect_right(points, qb) - 1
                if j < 0:
                    continue
                price = prices[j]  # type: ignore[assignment]
                brk = brks[j]
            if if_lower:
                if aside is None or price < aside[0]:
                    aside = (price, e, brk)
                continue
            if win is None or price < win[0]:
                win = (price, e, brk)
            if last:  # the walk would stop at the next candidate
                break
            stop = group
        if aside is not None and (win is None or aside[0] < win[0]):
            win = aside
        if win is not None and floor is not None and win[0] < floor:
            return (self._raise(win[0], win[1], floor), win[1], win[2])
        return win


__all__ = ["Book", "Plan", "PlanKey", "Planner", "Plans", "Winner"]
