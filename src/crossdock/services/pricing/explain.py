"""The explained path: every candidate of a line, the winner, and why each other one lost.

Every entry pricing the SKU is considered, also those of lists that do not
apply (other scope, expired, not yet valid); candidates that price are
scored and the policy picks the winner; the others get the reason they
lost. When nothing prices above the margin floor, the floor itself is the
price, stated as the rule. The fast path falls back to this one whenever
it finds no winner, so both always agree.
"""

from __future__ import annotations

from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from crossdock.config.pricing import RuleKind
from crossdock.services.pricing.candidates import CENT, Pricer, QuoteContext
from crossdock.services.pricing.compiled import CEILING, Entry
from crossdock.services.pricing.compiled import ProductInfo as Product
from crossdock.services.pricing.index import scope_miss
from crossdock.services.pricing.policy import Scored, choose, loss
from crossdock.services.pricing.results import (
    Candidate,
    LineCode,
    LineProblem,
    Outcome,
    PricedLine,
    QuoteLine,
)


class Explainer(Pricer):
    """A :class:`Pricer` that prices a line with every candidate explained."""

    def _line(
        self,
        ctx: QuoteContext,
        i: int,
        line: QuoteLine,
        p: Product,
        f: Decimal,
        pool: dict[tuple[str, str], Decimal] | None,
        explain: bool,
    ) -> PricedLine | LineProblem:
        qb = line.quantity * f
        active = ctx.active
        floor = self._floor(ctx, p, f)
        scored: list[Scored] = []
        dropped: list[Candidate] | None = [] if explain else None
        for lid, e in self.index.entries(p.sku).items():
            key = active.get(lid)
            if key is None:
                if dropped is not None and not e.plist.frozen:
                    dropped.append(self._inactive(ctx, e))
                continue
            qbreak = qb
            if pool is not None and e.break_group is not None:
                qbreak = pool.get((lid, e.break_group), qb)
            price, brk, why = self._price(ctx, e, p, f, qbreak, 0)
            pl = e.plist
            if price is None:
                if dropped is not None:
                    dropped.append(self._cand(e, why or Outcome.NO_BASE_PRICE, None, None, ctx))
                continue
            if floor is not None and price < floor and not pl.floor_exempt:
                if dropped is not None:
                    dropped.append(self._cand(e, Outcome.BELOW_FLOOR, price, brk, ctx))
                continue
            scored.append((key[0], key[1], price, key[2], pl.kind in self._if_lower, (e, brk)))
        if self._list_price and p.list_price is not None:
            lp = self._list_price_of(ctx, p, f)
            if lp is not None:
                if floor is not None and lp < floor:
                    if dropped is not None:
                        dropped.append(self._lp_cand(p, Outcome.BELOW_FLOOR, lp, ctx))
                else:
                    rank = self._ranks[RuleKind.LIST_PRICE]
                    scored.append((rank, 0, lp, "", False, None))
        if not scored:
            if floor is not None and dropped is None:
                # without explain we do not know whether something was dropped: recount
                again = self._line(ctx, i, line, p, f, pool, True)
                if isinstance(again, PricedLine):
                    again.candidates = None
                return again
            if (
                floor is not None
                and dropped
                and any(c.outcome is Outcome.BELOW_FLOOR for c in dropped)
            ):
                return self._floor_line(ctx, i, line, p, qb, floor, dropped)
            return LineProblem(
                i,
                f"lines.{i}.sku",
                LineCode.NO_PRICE,
                f"no price list prices SKU {p.sku!r} for customer {ctx.customer.account}",
            )
        w = choose(scored, self.lowest)
        win = scored[w]
        unit_price = win[2]
        payload = win[5]
        if payload is None:
            rule = self._lp_cand(p, Outcome.WON, unit_price, ctx)
            quantum = CENT
            rounding = ROUND_HALF_UP
        else:
            e, brk = payload
            rule = self._cand(e, Outcome.WON, unit_price, brk, ctx)
            quantum = e.plist.quantum
            rounding = e.plist.rounding
        extended = (unit_price * line.quantity).quantize(quantum, rounding=rounding)
        cands = None
        if dropped is not None:
            cands = [rule]
            for j, s in enumerate(scored):
                if j == w:
                    continue
                outcome = loss(s, win, self.lowest)
                if s[5] is None:
                    cands.append(self._lp_cand(p, outcome, s[2], ctx))
                else:
                    cands.append(self._cand(s[5][0], outcome, s[2], s[5][1], ctx))
            cands.extend(dropped)
        return PricedLine(
            i, p.sku, line.quantity, line.unit or p.base_uom, qb, unit_price, extended,
            ctx.currency, rule, cands,
        )  # fmt: skip

    def _floor_line(
        self,
        ctx: QuoteContext,
        i: int,
        line: QuoteLine,
        p: Product,
        qb: Decimal,
        floor: Decimal,
        dropped: list[Candidate],
    ) -> PricedLine:
        price = floor.quantize(CENT, rounding=CEILING)
        rule = Candidate(
            RuleKind.MARGIN_FLOOR,
            Outcome.WON,
            unit_price=price,
            currency=ctx.currency,
            detail="every candidate was below the margin floor: cost plus the floor margin",
        )
        extended = (price * line.quantity).quantize(CENT, rounding=ROUND_HALF_UP)
        unit = line.unit or p.base_uom
        return PricedLine(
            i, p.sku, line.quantity, unit, qb, price, extended, ctx.currency, rule, [rule, *dropped]
        )

    # -- a candidate's price ----------------------------------------------------------
    def _cand(
        self, e: Entry, outcome: Outcome, price: Decimal | None, brk: int | None, ctx: QuoteContext
    ) -> Candidate:
        pl = e.plist
        return Candidate(
            pl.kind,
            outcome,
            list_code=pl.code,
            list_id=pl.id,
            priority=pl.priority,
            method=e.method.value,
            unit_price=price,
            currency=ctx.currency if price is not None else pl.currency,
            break_min_quantity=e.mins[brk] if brk is not None and brk >= 0 else None,
        )

    def _lp_cand(
        self, p: Product, outcome: Outcome, price: Decimal, ctx: QuoteContext
    ) -> Candidate:
        return Candidate(
            RuleKind.LIST_PRICE,
            outcome,
            unit_price=price,
            currency=ctx.currency,
            detail=f"the product's list price ({p.list_price} {p.currency} per {p.base_uom})",
        )

    def _inactive(self, ctx: QuoteContext, e: Entry) -> Candidate:
        pl = e.plist
        miss = scope_miss(pl, ctx.customer, ctx.key.ship_to, ctx.region, ctx.key.channel)
        if miss is not None:
            c = self._cand(e, Outcome.OTHER_SCOPE, None, None, ctx)
            c.detail = f"{miss} does not include this request"
            return c
        outcome = ctx.window(pl) or Outcome.OTHER_SCOPE
        c = self._cand(e, outcome, None, None, ctx)
        c.detail = f"valid {_iso(pl.valid_from)} to {_iso(pl.valid_to)} ({pl.tz.key})"
        return c


def _iso(value: datetime | None) -> str:
    return value.isoformat() if value is not None else "open"


__all__ = ["Explainer"]
