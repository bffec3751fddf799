"""Pricing one candidate: a list entry's price for a line, in the quote's currency.

A bisect into the entry's breaks (base units), then the method: a fixed
price (pre-rounded when unit and currency match), a percentage off another
list (that list's rounded price for the same unit and quantity), or a
markup on the product's cost; unit and currency conversion; the list's
rounding. Entries whose chain of referenced lists is undated keep a table
of their prices at every break of the chain, per request unit, so the hot
path is a bisect. :class:`QuoteContext` is one request's customer,
currency, instant and active lists.

The margin floor is a clamp on the winner, never a filter of candidates:
the policy picks the winner as if there were no floor, then a winner below
``cost * (1 + margin_floor_percent / 100)`` (in the request's unit and
currency) is raised to the least price its list's rounding allows at or
above it, unless it is exempt: its list says ``margin_floor_exempt``, or
else its rule kind is one the policy exempts (``contract`` by default). A
product without a cost has no floor.
"""

from __future__ import annotations

from bisect import bisect_right
from datetime import UTC, datetime, time
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING

from crossdock.config.pricing import PrecedenceMode, PricingConfig, RuleKind
from crossdock.model.price_list import PriceMethod
from crossdock.services.pricing.compiled import (
    HUNDRED,
    ONE,
    CustomerInfo,
    Entry,
    FastTable,
    PList,
)
from crossdock.services.pricing.compiled import ProductInfo as Product
from crossdock.services.pricing.index import EligibleKey, PriceIndex
from crossdock.services.pricing.results import Outcome, QuoteRequest
from crossdock.services.pricing.turns import Timed

if TYPE_CHECKING:  # plans compile what this module prices
    from crossdock.services.pricing.plans import Book

CENT = Decimal("0.01")
FIXED = PriceMethod.FIXED
PERCENT = PriceMethod.PERCENT_OFF
MAX_DEPTH = 4
_NOTHING: tuple[frozenset[str], frozenset[str | None]] = (frozenset(), frozenset())


class QuoteContext:
    """One request's customer, currency, instant and active lists."""

    __slots__ = (
        "active", "at", "currency", "customer", "epoch", "full_plans", "key", "on", "personal",
        "personal_skus", "plans", "rates", "region", "slots", "token", "tokens",
    )  # fmt: skip

    def __init__(self, customer: CustomerInfo, request: QuoteRequest, currency: str) -> None:
        self.customer = customer
        self.key = EligibleKey(customer.account, request.ship_to, request.channel)
        self.region = customer.regions.get(request.ship_to) if request.ship_to else None
        self.currency = currency
        self.at = request.at
        self.on = request.on
        self.active: dict[str, tuple[int, int, str]] = {}
        self.slots: dict[str, int] = {}
        """Per active list with dated entries, which interval between its entry edges the
        request falls in (:meth:`PList.slot`): what its entries' turns depend on."""
        self.rates: dict[str, Decimal | None] = {}
        self.token = 0
        self.epoch = -1
        """Which interval between list edges ``at`` falls in; -1: no result cache."""
        self.personal: tuple[str, ...] = ()
        """The active lists personal to this customer (a scope naming it, or assigned)."""
        self.personal_skus: tuple[frozenset[str], frozenset[str | None]] = _NOTHING
        """The SKUs and categories the personal lists name (:meth:`PriceIndex.priced_by`)."""
        self.tokens = (0, 0)
        """The plan books' numbers: the active lists but the personal ones, and all of them."""
        self.plans: Book | None = None
        """The plans of the shared lists (None: resolve every line)."""
        self.full_plans: Book | None = None
        """The plans of all active lists, for SKUs a personal list prices."""

    def instant(self, pl: PList) -> datetime:
        if self.on is not None:
            return datetime.combine(self.on, time(0), tzinfo=pl.tz)
        return self.at if self.at is not None else datetime.now(UTC)

    def entry(self, priced: Entry | Timed) -> Entry | None:
        """The entry pricing now (a :class:`Timed` one takes turns; None: none valid now)."""
        if isinstance(priced, Timed):
            return priced.at(self.instant(priced.plist))
        return priced

    def window(self, pl: PList) -> Outcome | None:
        at = self.instant(pl)
        if pl.valid_from is not None and at < pl.valid_from:
            return Outcome.NOT_YET_VALID
        if pl.valid_to is not None and at >= pl.valid_to:
            return Outcome.EXPIRED
        return None


class Pricer:
    """Prices candidates against one index under one policy (no I/O)."""

    def __init__(self, index: PriceIndex, config: PricingConfig) -> None:
        self.index = index
        self.config = config
        self.lowest = config.mode is PrecedenceMode.LOWEST
        self.floor = (
            None
            if config.margin_floor_percent is None
            else ONE + config.margin_floor_percent / HUNDRED
        )
        self._ranks = {k: config.rank(k) for k in RuleKind}
        self._if_lower = frozenset(config.if_lower)
        self._exempt_kinds = frozenset(config.margin_floor_exempt)
        self._list_price = RuleKind.LIST_PRICE in config.precedence or self.lowest

    def _floor(self, ctx: QuoteContext, p: Product, f: Decimal) -> Decimal | None:
        if self.floor is None or p.cost is None:
            return None
        rate = self._rate(ctx, p.currency)
        if rate is None:
            return None
        return p.cost * f * self.floor * rate

    def exempt(self, e: Entry | None) -> bool:
        """Whether the floor leaves this winner as it is (``None``: the list price)."""
        if e is None:
            return RuleKind.LIST_PRICE in self._exempt_kinds
        own = e.plist.floor_exempt
        return own if own is not None else e.plist.kind in self._exempt_kinds

    def _raise(self, price: Decimal, e: Entry | None, floor: Decimal | None) -> Decimal:
        """The winner's price under the floor's clamp (``floor``: per request unit, or None)."""
        if floor is None or price >= floor or self.exempt(e):
            return price
        if e is None:
            return floor.quantize(CENT, rounding=ROUND_CEILING)
        return e.plist.rounder.ceil(floor)

    def _line_floor(self, ctx: QuoteContext, p: Product, f: Decimal) -> Decimal | None:
        """The margin floor per request unit (memoised per product and currency)."""
        if self.floor is None or p.cost is None:
            return None
        memo = p.floor_memo
        if memo is None or memo[0] is not self.floor or memo[1] != ctx.currency:
            memo = p.floor_memo = (self.floor, ctx.currency, self._floor(ctx, p, ONE))
        return memo[2] if f is ONE or memo[2] is None else memo[2] * f

    def _rate(self, ctx: QuoteContext, currency: str) -> Decimal | None:
        found = ctx.rates.get(currency, ctx)
        if found is ctx:
            found = self.config.rate(currency, ctx.currency)
            ctx.rates[currency] = found
        return found  # type: ignore[return-value]

    def _price(
        self, ctx: QuoteContext, e: Entry, p: Product, f: Decimal, qb: Decimal, depth: int
    ) -> tuple[Decimal | None, int, Outcome | None]:
        """The entry's unit price in the request's currency, rounded by its list."""
        pl = e.plist
        i = bisect_right(e.mins, qb) - 1
        if i < 0:
            return None, -1, Outcome.BELOW_MIN_QUANTITY
        if pl.currency == ctx.currency:
            rate = ONE
        else:
            found = self._rate(ctx, pl.currency)
            if found is None:
                return None, -1, Outcome.NO_RATE
            rate = found
        if rate == ONE:
            if e.method is FIXED and (f is e.unit_factor or f == e.unit_factor):
                return e.values_q[i], i, None
            if f in e.fast:
                table = e.fast[f]
            else:
                table = e.fast[f] = self._table(ctx, e, p, f)
            if table is not None:
                price = table[1][bisect_right(table[0], qb) - 1]
                if price is not None:
                    return price, i, None
        raw, why = self._raw(ctx, e, i, p, f, qb, depth)
        if raw is None:
            return None, i, why
        if rate != ONE:
            raw = raw * rate
        return pl.round(raw), i, None

    def _table(self, ctx: QuoteContext, e: Entry, p: Product, f: Decimal) -> FastTable | None:
        """The entry's rounded price at every break of its chain, for unit factor ``f``.

        None when a list the chain refers to is dated (its price depends on
        the instant) or the chain is broken: those entries are priced each time.
        """
        mins: set[Decimal] = set(e.mins)
        cur: Entry | None = e
        for _ in range(MAX_DEPTH):
            if cur is None or cur.method is not PERCENT:
                break
            base_id = self.index.list_ids.get(cur.base_list or "")
            nxt = self.index.entries(p.sku).get(base_id) if base_id else None
            if (
                not isinstance(nxt, Entry)  # none, or Timed: its price changes with the instant
                or nxt.plist.valid_from is not None
                or nxt.plist.valid_to is not None
            ):
                return None
            mins.update(nxt.mins)
            cur = nxt
        else:
            return None
        points = tuple(sorted(m for m in mins if m >= e.mins[0]))
        prices: list[Decimal | None] = []
        own: list[int] = []
        for q in points:
            i = bisect_right(e.mins, q) - 1
            raw, _ = self._raw(ctx, e, i, p, f, q, 0)
            prices.append(None if raw is None else e.plist.round(raw))
            own.append(i)
        return points, tuple(prices), tuple(own)

    def _raw(
        self, ctx: QuoteContext, e: Entry, i: int, p: Product, f: Decimal, qb: Decimal, depth: int
    ) -> tuple[Decimal | None, Outcome | None]:
        """Break ``i``'s unrounded unit price, in the entry's list currency."""
        v = e.values[i]
        if e.method is FIXED:
            return (v if f == e.unit_factor else v * f / e.unit_factor), None
        if e.method is PERCENT:
            base = self._base_price(ctx, e, p, f, qb, depth)
            if base is None:
                return None, Outcome.NO_BASE_PRICE
            return base * (HUNDRED - v) / HUNDRED, None
        if p.cost is None:
            return None, Outcome.NO_COST
        rate = self.config.rate(p.currency, e.plist.currency)
        if rate is None:
            return None, Outcome.NO_RATE
        return p.cost * f * rate * (HUNDRED + v) / HUNDRED, None

    def _base_price(
        self, ctx: QuoteContext, e: Entry, p: Product, f: Decimal, qb: Decimal, depth: int
    ) -> Decimal | None:
        """The referenced list's rounded price, in ``e``'s list currency."""
        if depth >= MAX_DEPTH or e.base_list is None:
            return None
        base_id = self.index.list_ids.get(e.base_list)
        priced = self.index.entries(p.sku).get(base_id) if base_id else None
        if priced is None or ctx.window(priced.plist) is not None:
            return None
        if isinstance(priced, Timed):
            base = priced.at(ctx.instant(priced.plist))
            if base is None:
                return None
        else:
            base = priced
        i = bisect_right(base.mins, qb) - 1
        if i < 0:
            return None
        raw, _ = self._raw(ctx, base, i, p, f, qb, depth + 1)
        if raw is None:
            return None
        rate = self.config.rate(base.plist.currency, e.plist.currency)
        if rate is None:
            return None
        return base.plist.round(raw) * rate

    def _list_price_of(self, ctx: QuoteContext, p: Product, f: Decimal) -> Decimal | None:
        assert p.list_price is not None
        rate = self._rate(ctx, p.currency)
        if rate is None:
            return None
        return (p.list_price * f * rate).quantize(CENT, rounding=ROUND_HALF_UP)

    # -- explanation ------------------------------------------------------------------


__all__ = ["CENT", "FIXED", "MAX_DEPTH", "PERCENT", "Pricer", "QuoteContext"]
