"""Pricing properties: the price is the explanation's winner; the floor clamps the winner
(the price with a floor is max(the price without it, the floor) unless the winner is exempt);
more quantity never raises a list's unit price; the precedence order is respected; plans
and the result cache answer as resolving every line.

The random worlds hold what price lists really say: rounding to increments and endings,
entries with validity windows of their own (a SKU's price changing within one list),
dates in the list's own time zone, break groups on products and on entries.
"""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_CEILING
from decimal import Decimal as D  # noqa: N817
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crossdock.config.pricing import PricingConfig, RuleKind
from crossdock.model.customer import Customer
from crossdock.model.price_list import PriceList
from crossdock.model.product import Product
from crossdock.services.pricing import (
    Engine,
    Outcome,
    PricedLine,
    PriceIndex,
    QuoteLine,
    QuoteRequest,
)

AT = datetime(2026, 6, 1, tzinfo=UTC)
BEFORE_EXPIRY = datetime(2026, 4, 30, tzinfo=UTC)  # the lists that expire are still valid
PARIS_MIDNIGHT = datetime(2026, 5, 31, 22, tzinfo=UTC)  # 1 June in Paris, 31 May in UTC
INSTANTS = (AT, BEFORE_EXPIRY, PARIS_MIDNIGHT, datetime(2026, 6, 1, 12, tzinfo=UTC))
ZONES = ["UTC", "Europe/Paris", "America/Chicago"]
SPLITS = ["2026-05-31", "2026-06-01", "2026-06-01T12:00:00+00:00", "2026-04-30"]
"""Where a SKU's price may change within a list: days (in the list's zone) and instants."""
ROUNDINGS: list[dict[str, str] | None] = [
    None,
    {"places": "3"},
    {"increment": "0.05"},
    {"increment": "0.10", "mode": "up"},
    {"ending": "0.99", "mode": "down"},
    {"ending": "0.95", "mode": "half_up"},
    {"increment": "5", "ending": "4.99", "mode": "up"},
]
SKUS = ["A", "B", "C"]
KINDS = ["base", "tier", "contract", "promotion", "override"]

money = st.integers(min_value=1, max_value=50_000).map(lambda c: D(c) / 100)
qty = st.integers(min_value=1, max_value=500).map(D)


@st.composite
def breaks(draw: st.DrawFn, method: str) -> list[dict[str, str]]:
    mins = sorted(draw(st.sets(st.integers(1, 200), min_size=1, max_size=4)))
    if method == "fixed":
        values = [draw(money) for _ in mins]
    else:
        values = [D(draw(st.integers(0, 60))) for _ in mins]
    return [{"min_quantity": str(m), "value": str(v)} for m, v in zip(mins, values, strict=True)]


@st.composite
def price_list(draw: st.DrawFn, n: int) -> dict[str, Any]:
    kind = draw(st.sampled_from(KINDS))
    entries = []
    for sku in draw(st.sets(st.sampled_from(SKUS), min_size=1, max_size=3)):
        # one entry, or the SKU's price changing within the list (one ends, one starts)
        windows: list[dict[str, str]] = [{}]
        shape = draw(st.integers(0, 5))
        split = draw(st.sampled_from(SPLITS))
        if shape == 0:
            windows = [{"valid_to": _day_before(split)}, {"valid_from": split}]
        elif shape == 1:
            windows = [{"valid_from": split}]
        elif shape == 2:
            windows = [{"valid_to": _day_before(split)}]
        for window in windows:
            method = draw(st.sampled_from(["fixed", "fixed", "markup_on_cost", "percent_off"]))
            e: dict[str, Any] = {"sku": sku, "method": method, "breaks": draw(breaks(method))}
            if method == "percent_off":
                e["base_list"] = "L0"
            if draw(st.booleans()):
                e["unit"] = "CS"
            if draw(st.integers(0, 4)) == 0:
                e["break_group"] = "mix"
            entries.append({**e, **window})
    pl: dict[str, Any] = {
        "code": f"L{n}",
        "kind": kind,
        "priority": draw(st.integers(-2, 2)),
        "timezone": draw(st.sampled_from(ZONES)),
        "entries": entries,
    }
    rounding = draw(st.sampled_from(ROUNDINGS))
    if rounding is not None:
        pl["rounding"] = rounding
    if kind == "contract":
        pl["scope"] = {"customers": [draw(st.sampled_from(["ACME", "OTHER"]))]}
    pl["margin_floor_exempt"] = draw(st.sampled_from([None, None, True, False]))
    expiry = draw(st.integers(0, 8))
    if expiry == 0:
        pl["valid_to"] = "2026-05-01T00:00:00+00:00"  # expired
    elif expiry == 1:
        pl["valid_to"] = "2026-05-31"  # through 31 May, in the list's zone
    elif expiry == 2:
        pl["valid_from"] = "2026-06-01"  # from 1 June, in the list's zone
    return pl


def _day_before(split: str) -> str:
    """The ``valid_to`` that ends where ``valid_from: split`` starts (a day is valid through)."""
    if "T" in split:
        return split
    return (date.fromisoformat(split) - timedelta(days=1)).isoformat()


@st.composite
def worlds(draw: st.DrawFn) -> tuple[PriceIndex, list[dict[str, Any]]]:
    idx = PriceIndex("USD")
    for i, sku in enumerate(SKUS):
        p = Product(
            sku=sku,
            units=[{"code": "CS", "factor": str(draw(st.sampled_from([6, 12, 24])))}],
            cost=draw(st.one_of(st.none(), money)),
            list_price=draw(st.one_of(st.none(), money)),
            break_group=draw(st.sampled_from([None, "fam", "mix"])),
        )
        idx.put_product(f"p{i}", 1, p)
    lists = [draw(price_list(n)) for n in range(draw(st.integers(1, 6)))]
    for i, pl in enumerate(lists):
        idx.put_list(f"l{i}", 1, PriceList.model_validate(pl))
    idx.put_customer("c0", 1, Customer(account_number="ACME", tier="gold"))
    return idx, lists


RULE_KINDS = [k for k in RuleKind if k is not RuleKind.MARGIN_FLOOR]


def policies() -> st.SearchStrategy[PricingConfig]:
    return st.builds(
        lambda o, mode, floor, if_lower, exempt: PricingConfig(
            precedence=o,
            mode=mode,
            margin_floor_percent=floor,
            if_lower=if_lower,
            margin_floor_exempt=exempt,
        ),
        st.permutations(RULE_KINDS),
        st.sampled_from(["order", "lowest"]),
        st.one_of(st.none(), st.integers(0, 30).map(D), st.just(D("12.5"))),
        st.sampled_from([[], [RuleKind.PROMOTION]]),
        st.one_of(st.just([RuleKind.CONTRACT]), st.lists(st.sampled_from(RULE_KINDS), unique=True)),
    )


lines = st.lists(
    st.tuples(st.sampled_from(SKUS), qty, st.sampled_from([None, "CS"])), min_size=1, max_size=5
)
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(worlds(), policies(), lines, st.sampled_from(INSTANTS))
def test_price_is_the_explanations_winner(
    world: tuple[PriceIndex, list[dict[str, Any]]],
    cfg: PricingConfig,
    ls: list[tuple[str, D, str | None]],
    at: datetime,
) -> None:
    idx, _ = world
    engine = Engine(idx, cfg)
    req = QuoteRequest("ACME", [QuoteLine(s, q, u) for s, q, u in ls], at=at)
    plain = engine.quote(req)
    explained = engine.quote(req, explain=True)
    for a, b in zip(plain.lines, explained.lines, strict=True):
        assert type(a) is type(b)
        if not isinstance(b, PricedLine):
            continue
        assert isinstance(a, PricedLine)
        assert a.unit_price == b.unit_price and a.rule.list_code == b.rule.list_code
        winners = [c for c in b.candidates or [] if c.outcome is Outcome.WON]
        assert len(winners) == 1 and winners[0].unit_price == b.unit_price
        assert b.extended_price == (b.unit_price * b.quantity).quantize(b.extended_price)


@SETTINGS
@given(worlds(), policies(), lines, st.sampled_from(INSTANTS), st.booleans())
def test_the_floor_clamps_the_winner_and_never_changes_it(
    world: tuple[PriceIndex, list[dict[str, Any]]],
    cfg: PricingConfig,
    ls: list[tuple[str, D, str | None]],
    at: datetime,
    explain: bool,
) -> None:
    """With a floor, the price is max(the price without it, the floor) unless the winner is
    exempt; the floor in the winner's rounding (the least price its list allows above it)."""
    idx, _ = world
    percent = cfg.margin_floor_percent if cfg.margin_floor_percent is not None else D(10)
    floored = Engine(idx, cfg.model_copy(update={"margin_floor_percent": percent}))
    unfloored = Engine(idx, cfg.model_copy(update={"margin_floor_percent": None}))
    req = QuoteRequest("ACME", [QuoteLine(s, q, u) for s, q, u in ls], at=at)
    with_floor = floored.quote(req, explain=explain).lines
    without = unfloored.quote(req, explain=explain).lines
    for x, y in zip(with_floor, without, strict=True):
        assert type(x) is type(y)
        if not isinstance(x, PricedLine):
            assert x == y
            continue
        assert isinstance(y, PricedLine)
        assert (x.rule.kind, x.rule.list_code) == (y.rule.kind, y.rule.list_code)
        p = idx.products[x.sku]
        if p.cost is None:
            assert x.unit_price == y.unit_price
            continue
        floor = p.cost * p.factors[x.unit] * (1 + percent / 100)
        if x.rule.list_id is None:  # the list price
            exempt = RuleKind.LIST_PRICE in cfg.margin_floor_exempt
            least = floor.quantize(D("0.01"), rounding=ROUND_CEILING)
        else:
            pl = idx.lists[x.rule.list_id]
            own = pl.floor_exempt
            exempt = own if own is not None else pl.kind in cfg.margin_floor_exempt
            least = pl.rounder.ceil(floor)
        if exempt:
            assert x.unit_price == y.unit_price
        else:
            assert x.unit_price == max(y.unit_price, least), (x, y, least)
            assert x.unit_price >= floor


@SETTINGS
@given(worlds(), st.sampled_from(SKUS), qty, qty, st.sampled_from([None, "CS"]))
def test_more_quantity_never_raises_a_lists_unit_price(
    world: tuple[PriceIndex, list[dict[str, Any]]], sku: str, q1: D, q2: D, unit: str | None
) -> None:
    idx, lists = world
    small, large = sorted([q1, q2])
    for code in [pl["code"] for pl in lists]:
        only = PricingConfig(margin_floor_percent=None)
        engine = Engine(idx, only)
        a = engine.quote(QuoteRequest("ACME", [QuoteLine(sku, small, unit)], at=AT), explain=True)
        b = engine.quote(QuoteRequest("ACME", [QuoteLine(sku, large, unit)], at=AT), explain=True)
        pa = _price_of(a.lines[0], code)
        pb = _price_of(b.lines[0], code)
        if pa is not None and pb is not None:
            assert pb <= pa, (code, small, pa, large, pb)


def _price_of(line: Any, code: str) -> D | None:
    if not isinstance(line, PricedLine):
        return None
    for c in line.candidates or []:
        if c.list_code == code and c.unit_price is not None:
            return c.unit_price
    return None


@SETTINGS
@given(worlds(), policies(), lines, st.sampled_from(INSTANTS))
def test_the_policy_order_is_respected(
    world: tuple[PriceIndex, list[dict[str, Any]]],
    cfg: PricingConfig,
    ls: list[tuple[str, D, str | None]],
    at: datetime,
) -> None:
    idx, _ = world
    # the order among candidates, before the floor clamps the winner (its own property)
    engine = Engine(idx, cfg.model_copy(update={"margin_floor_percent": None}))
    q = engine.quote(
        QuoteRequest("ACME", [QuoteLine(s, q, u) for s, q, u in ls], at=at), explain=True
    )
    for line in q.priced:
        win = line.rule
        valid = [c for c in line.candidates or [] if c.unit_price is not None]
        assert win.kind is not RuleKind.MARGIN_FLOOR
        if cfg.mode.value == "lowest":
            assert all(win.unit_price <= c.unit_price for c in valid)  # type: ignore[operator]
            continue
        normals = [c for c in valid if c.kind not in cfg.if_lower]
        best = min(
            normals,
            key=lambda c: (cfg.rank(c.kind), -c.priority, c.unit_price, c.list_code or ""),
            default=None,
        )
        if win.kind not in cfg.if_lower:
            assert best is not None and (best.kind, best.list_code) == (win.kind, win.list_code)
        elif best is not None:
            # an if-lower kind wins only from above the best normal candidate, and cheaper
            assert cfg.rank(win.kind) <= cfg.rank(best.kind)
            assert win.unit_price < best.unit_price  # type: ignore[operator]


@SETTINGS
@given(worlds(), policies(), lines, st.data())
def test_the_resolution_cache_never_outlives_a_change(
    world: tuple[PriceIndex, list[dict[str, Any]]],
    cfg: PricingConfig,
    ls: list[tuple[str, D, str | None]],
    data: st.DataObject,
) -> None:
    idx, lists = world
    cached = Engine(idx, cfg)
    req = QuoteRequest("ACME", [QuoteLine(s, q, u) for s, q, u in ls], at=AT)
    cached.quote(req)
    cached.quote(req)  # now from the cache
    # one committed change: a list replaced, or a product's cost moved
    if data.draw(st.booleans()):
        n = data.draw(st.integers(0, len(lists) - 1))
        idx.put_list(f"l{n}", 2, PriceList.model_validate(data.draw(price_list(n))))
    else:
        sku = data.draw(st.sampled_from(SKUS))
        idx.put_product(
            f"p{SKUS.index(sku)}",
            2,
            Product(sku=sku, units=[{"code": "CS", "factor": "12"}], cost=data.draw(money)),
        )
    fresh = Engine(idx, cfg, cache_size=0)
    a, b = cached.quote(req), fresh.quote(req)
    for x, y in zip(a.lines, b.lines, strict=True):
        assert type(x) is type(y)
        if isinstance(x, PricedLine) and isinstance(y, PricedLine):
            assert (x.unit_price, x.rule.list_code) == (y.unit_price, y.rule.list_code)


@SETTINGS
@given(worlds(), policies(), st.lists(lines, min_size=1, max_size=4), st.data())
def test_plans_answer_as_resolving_every_line(
    world: tuple[PriceIndex, list[dict[str, Any]]],
    cfg: PricingConfig,
    quotes: list[list[tuple[str, D, str | None]]],
    data: st.DataObject,
) -> None:
    """Plans are shared by customers and reused across quantities: the answers never change."""
    idx, lists = world
    assigned = data.draw(st.lists(st.sampled_from([pl["code"] for pl in lists]), max_size=2))
    idx.put_customer("c1", 1, Customer(account_number="OTHER", tier="gold", price_lists=assigned))
    planned = Engine(idx, cfg, cache_size=0)
    tiny = Engine(idx, cfg, plan_size=1)  # every new plan drops the others
    plain = Engine(idx, cfg, cache_size=0, plan_size=0)
    for ls, who, at in itertools.product(quotes, ("OTHER", "ACME"), INSTANTS):
        req = QuoteRequest(who, [QuoteLine(s, q, u) for s, q, u in ls], at=at)
        want = plain.quote(req).lines
        for got in (planned.quote(req).lines, tiny.quote(req).lines):
            for x, y in zip(got, want, strict=True):
                assert type(x) is type(y)
                if not isinstance(x, PricedLine):
                    assert x == y
                    continue
                assert isinstance(y, PricedLine)
                assert (x.unit_price, x.extended_price, x.base_quantity) == (
                    y.unit_price,
                    y.extended_price,
                    y.base_quantity,
                )
                assert (x.rule.kind, x.rule.list_code, x.rule.break_min_quantity) == (
                    y.rule.kind,
                    y.rule.list_code,
                    y.rule.break_min_quantity,
                )
