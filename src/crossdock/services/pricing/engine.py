"""The resolver: price every line of a quote from the index under the hub's policy.

Per request: the customer, its eligible lists (memoised per customer,
ship-to and channel), those active at the quote's instant (or day, in each
list's time zone), each with its precedence key. Per line: the item's unit
factor, the quantity in base units (pooled across lines sharing a break
group when an entry or the product has one), then each active entry's
price (the one valid at the instant, when a list's entries take turns): a
bisect into its breaks, the method (fixed, percent off another list, markup
on cost), unit and currency conversion, the list's rounding. The policy
picks the winner and the margin floor clamps it (unless it is exempt); with
``explain`` every other candidate (also the lists that did not apply) is
listed with the reason it lost. In ``order`` mode without
``explain`` a line walks its plan instead (:mod:`.plans`): the same
candidates, those that cannot apply already left out, prices already tabled.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, NamedTuple

from crossdock.config.pricing import PricingConfig
from crossdock.errors import InvalidInput
from crossdock.services.pricing.candidates import CENT, FIXED, QuoteContext
from crossdock.services.pricing.compiled import ONE, Entry, PList
from crossdock.services.pricing.compiled import ProductInfo as Product
from crossdock.services.pricing.index import EligibleKey, PriceIndex
from crossdock.services.pricing.plans import Planner, Winner
from crossdock.services.pricing.results import (
    LineCode,
    LineProblem,
    Outcome,
    PricedLine,
    Quote,
    QuoteLine,
    QuoteRequest,
)
from crossdock.services.pricing.turns import MAX_TIME, MIN_TIME, Timed

_MISS: Any = object()
MAX_QUANTITY = Decimal(10) ** 12
"""The largest quantity a line may ask for (prices stay exact well past it)."""


class _Active(NamedTuple):
    """A customer/ship-to/channel's active lists, valid from ``lo`` until ``hi``.

    Made from its eligible lists alone (their windows, scopes, entries): it
    holds while ``PriceIndex.eligible`` returns the same tuple, which it does
    until a change touches one of them or the customer.
    """

    lo: datetime
    hi: datetime
    active: dict[str, tuple[int, int, str]]
    slots: dict[str, int]
    eligible: tuple[PList, ...]
    token: int
    personal: tuple[str, ...]
    tokens: tuple[int, int]
    personal_skus: tuple[frozenset[str], frozenset[str | None]]


class _Open(NamedTuple):
    """The open lists (:meth:`PriceIndex.open_lists`) active from ``lo`` until ``hi``.

    The same for every customer: a context made after a list change starts
    from it and walks only its own scoped lists.
    """

    generation: int
    lo: datetime
    hi: datetime
    active: dict[str, tuple[int, int, str]]
    slots: dict[str, int]


def _beyond(i: int) -> LineProblem:
    return LineProblem(
        i,
        f"lines.{i}.quantity",
        LineCode.BAD_QUANTITY,
        "this quantity's price is beyond what the hub computes exactly (28 significant digits)",
    )


class Engine(Planner):
    """Resolves quotes against one :class:`PriceIndex` under one :class:`PricingConfig`.

    The resolution cache (``cache_size`` winners, 0: none) maps (active lists,
    currency, SKU, unit, base quantity) to the winner; the plans (at most
    ``plan_size``, 0: none; about 0.6 kB each, measured at 100k SKUs) hold
    each SKU's candidates per shared scope. The cache is emptied whenever the
    index changes (``PriceIndex.generation``); a plan is recompiled when the
    change touched its SKU (:mod:`.plans`), so neither outlives a change the
    index has taken in.
    """

    def __init__(
        self,
        index: PriceIndex,
        config: PricingConfig,
        *,
        cache_size: int = 100_000,
        plan_size: int = 1_000_000,
    ) -> None:
        super().__init__(index, config, plan_size)
        self._active_memo: dict[EligibleKey, _Active] = {}
        """Per customer/ship-to/channel: the active lists, valid between two list edges."""
        self._cache_size = cache_size
        self._cache: dict[tuple[int, int, str, str, Decimal, Decimal], object] | None = (
            {} if cache_size > 0 else None
        )
        self._edges = self._all_edges()
        """Every list's and entry's window edges, sorted: a cached winner holds between two
        of them (a list a price refers to may be dated without being one the customer may
        use)."""
        self._cache_generation = index.generation
        self._edges_generation = index.lists_generation
        self._open: _Open | None = None
        self._tokens = 0

    # -- requests ---------------------------------------------------------------------
    def context(self, request: QuoteRequest) -> QuoteContext:
        """The request's context; :class:`InvalidInput` naming the field when it cannot be."""
        customer = self.index.customer(request.customer)
        if customer is None:
            raise InvalidInput(
                f"unknown customer {request.customer!r}",
                field="customer",
                reason="no customer with this account number or id",
            )
        if request.ship_to is not None and request.ship_to not in customer.ship_tos:
            raise InvalidInput(
                f"customer {customer.account} has no ship-to site {request.ship_to!r}",
                field="ship_to",
                reason=f"known ship-to sites: {sorted(customer.ship_tos)}",
            )
        if request.at is not None and request.at.utcoffset() is None:
            raise InvalidInput(
                "the quote's instant has no time zone", field="at", reason="give a UTC offset"
            )
        currency = request.currency or customer.currency or self.config.default_currency
        ctx = QuoteContext(customer, request, currency)
        eligible = self.index.eligible(customer, ctx.key)
        if ctx.on is not None:  # each list's own midnight: no shared interval to reuse
            self._tokens += 1
            ctx.token = self._tokens
            for pl in eligible:
                if ctx.window(pl) is None:
                    ctx.active[pl.id] = (self._ranks[pl.kind], -pl.priority, pl.code)
                    if pl.edges:
                        ctx.slots[pl.id] = pl.slot(ctx.instant(pl))
            self._split(ctx)
            return ctx
        if ctx.at is None:
            ctx.at = datetime.now(UTC)
        at = ctx.at
        found = self._active_memo.get(ctx.key)
        if found is not None and found.lo <= at < found.hi and found.eligible is eligible:
            ctx.active = found.active
            ctx.slots = found.slots
            ctx.token = found.token
            ctx.personal = found.personal
            ctx.tokens = found.tokens
            ctx.personal_skus = found.personal_skus
            return ctx
        # the open lists' interval is bounded by every list's edges, so it holds for
        # the scoped ones too
        shared = self._open_at(at)
        lo, hi = shared.lo, shared.hi
        ctx.active = dict(shared.active)
        ctx.slots = dict(shared.slots) if shared.slots else {}
        scoped = []
        for pl in eligible:
            if pl.open:
                continue
            if ctx.window(pl) is None:
                ctx.active[pl.id] = (self._ranks[pl.kind], -pl.priority, pl.code)
                scoped.append(pl.id)
                if pl.edges:
                    ctx.slots[pl.id] = pl.slot(at)
        if len(self._active_memo) > 100_000:
            self._active_memo.clear()
        self._tokens += 1
        ctx.token = self._tokens
        self._split(ctx, scoped)
        self._active_memo[ctx.key] = _Active(
            lo,
            hi,
            ctx.active,
            ctx.slots,
            eligible,
            ctx.token,
            ctx.personal,
            ctx.tokens,
            ctx.personal_skus,
        )
        return ctx

    def _open_at(self, at: datetime) -> _Open:
        """The open lists active at ``at``, and the interval around it where that holds."""
        found = self._open
        generation = self.index.lists_generation
        if found is not None and found.generation == generation and found.lo <= at < found.hi:
            return found
        # every list's edges bound the interval: narrower than the open lists' own,
        # so it is recomputed a little more often, never kept too long
        edges = self._current_edges()
        k = bisect_right(edges, at)
        lo = edges[k - 1] if k > 0 else MIN_TIME
        hi = edges[k] if k < len(edges) else MAX_TIME
        active: dict[str, tuple[int, int, str]] = {}
        slots: dict[str, int] = {}
        ranks = self._ranks
        for pl in self.index.open_lists():
            vf, vt = pl.valid_from, pl.valid_to
            if (vf is None or vf <= at) and (vt is None or at < vt):
                active[pl.id] = (ranks[pl.kind], -pl.priority, pl.code)
                if pl.edges:
                    slots[pl.id] = pl.slot(at)
        self._open = _Open(generation, lo, hi, active, slots)
        return self._open

    def _current_edges(self) -> tuple[datetime, ...]:
        if self._edges_generation != self.index.lists_generation:
            self._edges = self._all_edges()
            self._edges_generation = self.index.lists_generation
        return self._edges

    def _split(self, ctx: QuoteContext, scoped: list[str] | None = None) -> None:
        """The active lists personal to the customer, what they price, and the plan books.

        The shared lists (the others) are numbered by content, so customers with
        the same share one book; the book of all active lists is this
        customer's own (it only holds the SKUs a personal list prices).
        ``scoped``: the active lists that are not open, when the caller has them.
        An open list is never personal, even when assigned: every customer has
        it active, so it belongs with the shared lists.
        """
        lists = self.index.lists
        assigned = ctx.customer.assigned
        if scoped is None:
            scoped = [lid for lid in ctx.active if not lists[lid].open]
        ctx.personal = tuple(
            lid for lid in scoped if lists[lid].customers or lists[lid].code in assigned
        )
        ctx.personal_skus = self.index.priced_by(ctx.personal)
        shared: frozenset[object] = frozenset(ctx.active).difference(ctx.personal)
        if ctx.slots:  # a list's dated entries take turns: the turn is part of the key
            turns = [(lid, k) for lid, k in ctx.slots.items() if lid not in ctx.personal]
            shared = shared.union(turns)
        ctx.tokens = (self._plans.token(shared), self._plans.unique())

    def quote(self, request: QuoteRequest, *, explain: bool = False) -> Quote:
        """Price every line; bad lines become :class:`LineProblem` and the others still price."""
        if len(request.lines) > self.config.max_lines:
            raise InvalidInput(
                f"a quote takes at most {self.config.max_lines} lines, not {len(request.lines)}",
                field="lines",
                reason=f"at most {self.config.max_lines} lines",
            )
        if self._cache_generation != self.index.generation:
            # plans stay: each knows whether the change touched its SKU
            if self._cache is not None:
                self._cache.clear()
            self._current_edges()
            self._cache_generation = self.index.generation
        ctx = self.context(request)
        if ctx.on is None and ctx.at is not None:
            ctx.epoch = bisect_right(self._edges, ctx.at)
        if self._plans.limit > 0:
            ctx.plans = self._plans.book(ctx.tokens[0], ctx.currency)
        quote = Quote(
            request.customer,
            ctx.customer.id,
            request.ship_to,
            request.channel,
            ctx.currency,
            request.at,
            request.on,
        )
        out = quote.lines
        fast = not explain and not self.lowest
        products = self.index.products
        if fast and ctx.plans is not None:
            pool = None
            if self.index.has_groups:
                pool = self._pool(ctx, [self._parse(i, x) for i, x in enumerate(request.lines)])
            self._planned_lines(ctx, request.lines, out, pool)
            return quote
        if not self.index.has_groups and fast:
            # no pooling pass, no intermediate list
            for i, line in enumerate(request.lines):
                p = products.get(line.sku)
                f = p.factors.get(line.unit or p.base_uom) if p is not None else None
                q = line.quantity
                if p is None or f is None or not (0 < q <= MAX_QUANTITY):
                    out.append(self._parse(i, line))  # type: ignore[arg-type]
                    continue
                try:
                    out.append(self._fast_line(ctx, i, line, p, f, None))
                except ArithmeticError:
                    out.append(_beyond(i))
            return quote
        parsed: list[tuple[int, QuoteLine, Product, Decimal] | LineProblem] = []
        for i, line in enumerate(request.lines):
            parsed.append(self._parse(i, line))
        pool = self._pool(ctx, parsed) if self.index.has_groups else None
        for item in parsed:
            if isinstance(item, LineProblem):
                out.append(item)
                continue
            try:
                if fast:
                    out.append(self._fast_line(ctx, item[0], item[1], item[2], item[3], pool))
                else:
                    out.append(self._line(ctx, item[0], item[1], item[2], item[3], pool, explain))
            except ArithmeticError:
                out.append(_beyond(item[0]))
        return quote

    def _parse(
        self, i: int, line: QuoteLine
    ) -> tuple[int, QuoteLine, Product, Decimal] | LineProblem:
        product = self.index.products.get(line.sku)
        if product is None:
            return LineProblem(
                i, f"lines.{i}.sku", LineCode.UNKNOWN_SKU, f"unknown SKU {line.sku!r}"
            )
        if not line.quantity > 0:
            return LineProblem(
                i, f"lines.{i}.quantity", LineCode.BAD_QUANTITY, "quantity must be greater than 0"
            )
        if line.quantity > MAX_QUANTITY:
            return LineProblem(
                i, f"lines.{i}.quantity", LineCode.BAD_QUANTITY, f"quantity above {MAX_QUANTITY}"
            )
        factor = product.factors.get(line.unit or product.base_uom)
        if factor is None:
            known = ", ".join(sorted(product.factors))
            return LineProblem(
                i,
                f"lines.{i}.unit",
                LineCode.UNKNOWN_UNIT,
                f"unit {line.unit!r} is not defined for SKU {line.sku!r} (it has: {known})",
            )
        return (i, line, product, factor)

    def _pool(
        self, ctx: QuoteContext, parsed: list[tuple[int, QuoteLine, Product, Decimal] | LineProblem]
    ) -> dict[tuple[str, str], Decimal]:
        """Base quantity per (list, break group) across the order's lines (mix and match)."""
        pool: dict[tuple[str, str], Decimal] = {}
        for item in parsed:
            if isinstance(item, LineProblem):
                continue
            _, line, product, factor = item
            qb = line.quantity * factor
            for lid, priced in self.index.entries(product.sku).items():
                if lid not in ctx.active:
                    continue
                e = ctx.entry(priced)
                if e is not None and e.break_group is not None:
                    k = (lid, e.break_group)
                    pool[k] = pool.get(k, Decimal(0)) + qb
        return pool

    def _all_edges(self) -> tuple[datetime, ...]:
        edges = set()
        for pl in self.index.lists.values():
            if pl.valid_from is not None:
                edges.add(pl.valid_from)
            if pl.valid_to is not None:
                edges.add(pl.valid_to)
            if pl.edges:
                edges.update(pl.edges)
        return tuple(sorted(edges))

    # -- one line, the fast way ----------------------------------------------------------
    def _resolve(
        self,
        ctx: QuoteContext,
        p: Product,
        f: Decimal,
        qb: Decimal,
        pool: dict[tuple[str, str], Decimal] | None,
    ) -> tuple[Decimal, Entry | None, int] | None:
        """Order mode: the winner, stopping at the first normal candidate group that prices.

        Candidates come in precedence order; if-lower kinds above the first
        normal candidate are kept aside (the cheapest, ties to the higher
        precedence) and win only when cheaper; the margin floor clamps the
        winner. Same answer as :meth:`_line` (a property test holds them to
        it), without pricing what cannot win.
        """
        active = ctx.active
        aside: tuple[Decimal, Entry | None, int] | None = None
        win: tuple[Decimal, Entry | None, int] | None = None
        stop = -1
        currency = ctx.currency
        for group, if_lower, priced, lid in self._ranked(p.sku):
            if stop >= 0 and group != stop:
                break
            e: Entry | None
            if priced is None:
                if p.list_price is None:
                    continue
                e = None
                price = self._list_price_of(ctx, p, f)
                brk = -1
            else:
                if lid not in active:
                    continue
                if isinstance(priced, Timed):
                    e = priced.at(ctx.instant(priced.plist))
                    if e is None:
                        continue
                else:
                    e = priced
                qbreak = qb
                if pool is not None and e.break_group is not None:
                    qbreak = pool.get((lid, e.break_group), qb)
                pl = e.plist
                if pl.currency != currency:
                    price, brk, _ = self._price(ctx, e, p, f, qbreak, 0)
                elif e.method is FIXED and f is e.unit_factor:
                    brk = bisect_right(e.mins, qbreak) - 1
                    price = e.values_q[brk] if brk >= 0 else None
                else:
                    table = e.fast.get(f, _MISS)
                    if table is _MISS:
                        table = e.fast[f] = self._table(ctx, e, p, f)
                    price = None
                    if table is not None:
                        j = bisect_right(table[0], qbreak) - 1
                        if j >= 0:
                            price = table[1][j]
                            brk = table[2][j]
                    if price is None:
                        price, brk, _ = self._price(ctx, e, p, f, qbreak, 0)
            if price is None:
                continue
            if if_lower:
                if aside is None or price < aside[0]:
                    aside = (price, e, brk)
                continue
            if win is None or price < win[0]:
                win = (price, e, brk)
            stop = group
        if aside is not None and (win is None or aside[0] < win[0]):
            win = aside
        if win is not None:
            floor = self._line_floor(ctx, p, f)
            if floor is not None and win[0] < floor:
                return (self._raise(win[0], win[1], floor), win[1], win[2])
        return win

    def _planned_lines(
        self,
        ctx: QuoteContext,
        lines: Sequence[QuoteLine],
        out: list[PricedLine | LineProblem],
        pool: dict[tuple[str, str], Decimal] | None,
    ) -> None:
        """The hot path (order mode, plans on): :meth:`_fast_line` in a loop.

        The same steps with the common case inlined (in CPython a call per line
        is a measurable share of a line's cost): the line's plan (:mod:`.plans`),
        found by the SKU and unit as asked, and its winner, one bisect into the
        plan's points (or, for a plan that cannot table every candidate, the
        result cache and :meth:`Planner._walk`). A line without a winner, or won
        by the list price, is finished by :meth:`_fast_line`, and so is a line
        whose SKU is in a break group when the order pools quantities (``pool``:
        a plan prices each line on its own).
        """
        products = self.index.products
        current = self.index.candidates
        book = ctx.plans
        assert book is not None
        pskus, pcats = ctx.personal_skus
        personal = bool(pskus or pcats)
        cache = self._cache if ctx.epoch >= 0 else None
        token, epoch, currency = ctx.token, ctx.epoch, ctx.currency
        for i, line in enumerate(lines):
            q = line.quantity
            plan = book.get((line.sku, line.unit))
            if (
                plan is None
                or plan[7] is not current.get(line.sku)
                or (personal and (line.sku in pskus or plan[4].category in pcats))
                or not (0 < q <= MAX_QUANTITY)
            ):
                p = products.get(line.sku)
                f = p.factors.get(line.unit or p.base_uom) if p is not None else None
                if p is None or f is None or not (0 < q <= MAX_QUANTITY):
                    out.append(self._parse(i, line))  # type: ignore[arg-type]
                    continue
                mine = personal and (p.sku in pskus or p.category in pcats)
                plan = self._plan(ctx, p, f, line.unit, mine)
            floor, cands, points, winners, p, f, grouped, _ = plan
            try:
                if pool and grouped:
                    out.append(self._fast_line(ctx, i, line, p, f, pool))
                    continue
                qb = q if f is ONE else q * f
                win: Winner | None
                if points is not None:
                    j = bisect_right(points, qb) - 1
                    win = winners[j] if j >= 0 else None
                else:
                    win = _MISS
                    if cache is not None:
                        key = (token, epoch, currency, p.sku, f, qb)
                        win = cache.get(key, _MISS)  # type: ignore[assignment]
                    if win is _MISS:
                        win = self._walk(ctx, floor, cands, p, f, qb)
                        if cache is not None:
                            if len(cache) >= self._cache_size:
                                cache.clear()
                            cache[key] = win
                if win is None:
                    out.append(self._fast_line(ctx, i, line, p, f, None, win))
                    continue
                price, e, brk = win
                if e is None:
                    out.append(self._fast_line(ctx, i, line, p, f, None, win))
                    continue
                pl = e.plist
                extended = (price * q).quantize(pl.quantum, rounding=pl.rounding)
                unit = line.unit or p.base_uom
                out.append(
                    PricedLine(
                        i, p.sku, q, unit, qb, price, extended, currency, None, None, (e, brk)
                    )
                )
            except ArithmeticError:
                out.append(_beyond(i))

    def _fast_line(
        self,
        ctx: QuoteContext,
        i: int,
        line: QuoteLine,
        p: Product,
        f: Decimal,
        pool: dict[tuple[str, str], Decimal] | None,
        found: Winner | None = _MISS,
    ) -> PricedLine | LineProblem:
        """One line: ``found`` is its winner when the caller knows it already."""
        qb = line.quantity if f is ONE else line.quantity * f
        win: Winner | None
        if found is not _MISS:
            win = found
        elif pool is None and self._cache is not None and ctx.epoch >= 0:
            key = (ctx.token, ctx.epoch, ctx.currency, p.sku, f, qb)
            cached = self._cache.get(key, _MISS)
            if cached is _MISS:
                win = self._resolve(ctx, p, f, qb, None)
                if len(self._cache) >= self._cache_size:
                    self._cache.clear()
                self._cache[key] = win
            else:
                win = cached  # type: ignore[assignment]
        else:
            win = self._resolve(ctx, p, f, qb, pool)
        if win is None:  # nothing prices: the full path says why (floor or no price)
            again = self._line(ctx, i, line, p, f, pool, True)
            if isinstance(again, PricedLine):
                again.candidates = None
            return again
        unit_price, e, brk = win
        if e is None:
            rule = self._lp_cand(p, Outcome.WON, unit_price, ctx)
            extended = (unit_price * line.quantity).quantize(CENT, rounding=ROUND_HALF_UP)
            return PricedLine(
                i, p.sku, line.quantity, line.unit or p.base_uom, qb, unit_price, extended,
                ctx.currency, rule,
            )  # fmt: skip
        pl = e.plist
        extended = (unit_price * line.quantity).quantize(pl.quantum, rounding=pl.rounding)
        return PricedLine(
            i, p.sku, line.quantity, line.unit or p.base_uom, qb, unit_price, extended,
            ctx.currency, None, None, (e, brk),
        )  # fmt: skip


__all__ = ["Engine"]
