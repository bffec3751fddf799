"""The explained path: every candidate of a line, the winner, and why each other one lost.

Every entry pricing the SKU is considered, also those of lists that do not
apply (other scope, expired, not yet valid); candidates that price are
scored and the policy picks the winner; the others get the reason they
lost. The margin floor then clamps the winner; the winning rule's detail
says when it raised the price (or would have, but the winner is exempt),
and a ``margin_floor`` candidate says when the product has no cost (or no
rate from its currency), so no floor applied. The fast path falls back to
this one whenever it finds no winner, so both always agree.
"""

from __future__ import annotations

import re
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
from crossdock.services.pricing.turns import Priced, Timed


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
        scored: list[Scored] = []
        dropped: list[Candidate] | None = [] if explain else None
        for lid, priced in self.index.entries(p.sku).items():
            key = active.get(lid)
            e = ctx.entry(priced) if key is not None else None
            if key is None or e is None:
                if dropped is not None and not priced.plist.frozen:
                    dropped.append(self._inactive(ctx, priced))
                continue
            qbreak = qb
            if pool is not None and e.break_group is not None:
                qbreak = pool.get((lid, e.break_group), qb)
            price, brk, why = self._price(ctx, e, p, f, qbreak, 0)
            if price is None:
                if dropped is not None:
                    dropped.append(self._cand(e, why or Outcome.NO_BASE_PRICE, None, None, ctx))
                continue
            pl = e.plist
            scored.append((key[0], key[1], price, key[2], pl.kind in self._if_lower, (e, brk)))
        if self._list_price and p.list_price is not None:
            lp = self._list_price_of(ctx, p, f)
            if lp is not None:
                rank = self._ranks[RuleKind.LIST_PRICE]
                scored.append((rank, 0, lp, "", False, None))
        if not scored:
            return LineProblem(
                i,
                f"lines.{i}.sku",
                LineCode.NO_PRICE,
                f"no price list prices SKU {p.sku!r} for customer {ctx.customer.account}",
            )
        w = choose(scored, self.lowest)
        win = scored[w]
        won: Entry | None = None if win[5] is None else win[5][0]
        floor = self._line_floor(ctx, p, f)
        unit_price = self._raise(win[2], won, floor)
        if win[5] is None:
            rule = self._lp_cand(p, Outcome.WON, unit_price, ctx)
            quantum = CENT
            rounding = ROUND_HALF_UP
        else:
            e, brk = win[5]
            rule = self._cand(e, Outcome.WON, unit_price, brk, ctx)
            quantum = e.plist.quantum
            rounding = e.plist.rounding
        extended = (unit_price * line.quantity).quantize(quantum, rounding=rounding)
        cands = None
        if dropped is not None:
            self._floor_note(ctx, p, rule, win[2], won, floor)
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
            if self.floor is not None and floor is None:
                cands.append(self._no_floor(ctx, p))
        return PricedLine(
            i, p.sku, line.quantity, line.unit or p.base_uom, qb, unit_price, extended,
            ctx.currency, rule, cands,
        )  # fmt: skip

    # -- the margin floor, explained ----------------------------------------------------
    def _floor_note(
        self,
        ctx: QuoteContext,
        p: Product,
        rule: Candidate,
        price: Decimal,
        won: Entry | None,
        floor: Decimal | None,
    ) -> None:
        """Say on the winning rule what the margin floor did to it, when it was below."""
        if floor is None or price >= floor:
            return
        shown = (
            floor.quantize(CENT, rounding=CEILING) if won is None else won.plist.rounder.ceil(floor)
        )
        basis = (
            f"the margin floor (cost {p.cost} {p.currency} per {p.base_uom} plus "
            f"{self.config.margin_floor_percent} %: {shown} {ctx.currency} per unit asked)"
        )
        if not self.exempt(won):
            note = f"raised from {price} to {rule.unit_price}: {basis}"
        elif won is not None and won.plist.floor_exempt is not None:
            note = f"below {basis}, not raised: the list says margin_floor_exempt"
        else:
            kind = RuleKind.LIST_PRICE if won is None else won.plist.kind
            note = f"below {basis}, not raised: {kind.value} is in pricing.margin_floor_exempt"
        rule.detail = note if rule.detail is None else f"{rule.detail}; {note}"

    def _no_floor(self, ctx: QuoteContext, p: Product) -> Candidate:
        """The margin floor as a candidate that could not apply: no cost, or no rate for it."""
        percent = self.config.margin_floor_percent
        if p.cost is None:
            return Candidate(
                RuleKind.MARGIN_FLOOR,
                Outcome.NO_COST,
                detail=f"the product has no cost: margin_floor_percent ({percent} %) sets no floor",
            )
        return Candidate(
            RuleKind.MARGIN_FLOOR,
            Outcome.NO_RATE,
            detail=f"no rate from the cost's currency ({p.currency}) to {ctx.currency}: "
            f"margin_floor_percent ({percent} %) sets no floor",
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

    def _inactive(self, ctx: QuoteContext, priced: Priced) -> Candidate:
        pl = priced.plist
        turn: tuple[Entry, datetime | None, datetime | None, bool] | None = None
        if isinstance(priced, Timed):  # the entry valid now, else the nearest one
            turn = priced.window(ctx.instant(pl))
            e = turn[0]
        else:
            e = priced
        miss = scope_miss(pl, ctx.customer, ctx.key.ship_to, ctx.region, ctx.key.channel)
        if miss is not None:
            c = self._cand(e, Outcome.OTHER_SCOPE, None, None, ctx)
            c.detail = f"{miss} does not include this request"
            return c
        outcome = ctx.window(pl)
        if outcome is not None or turn is None:
            c = self._cand(e, outcome or Outcome.OTHER_SCOPE, None, None, ctx)
            c.detail = f"valid {_iso(pl.valid_from)} to {_iso(pl.valid_to)} ({pl.tz.key})"
            return c
        # the list applies, but none of its entries for the SKU is valid now
        _, start, end, later = turn
        c = self._cand(e, Outcome.NOT_YET_VALID if later else Outcome.EXPIRED, None, None, ctx)
        c.detail = f"this list's entry for the SKU is valid {_iso(start)} to {_iso(end)}"
        return c


def _iso(value: datetime | None) -> str:
    return value.isoformat() if value is not None else "open"


_FLOOR_BASIS = re.compile(r"the margin floor \(cost [^()]*\)")
_COST_CURRENCY = re.compile(r"no rate from the cost's currency \([A-Z]{3}\)")


def without_cost(detail: str | None) -> str | None:
    """An explanation's text with the cost behind the margin floor taken out.

    For keys that may not see a product's cost (field masking): the floor's
    basis (cost, percent, floor price) is written by :meth:`Explainer._floor_note`
    and :meth:`Explainer._no_floor` in the forms matched here, and nowhere else.
    """
    if detail is None:
        return None
    detail = _FLOOR_BASIS.sub("the margin floor", detail)
    detail = _COST_CURRENCY.sub("no rate from the cost's currency", detail)
    if detail.startswith("the product has no cost"):
        return "the margin floor sets no floor"
    return detail


__all__ = ["Explainer", "without_cost"]
