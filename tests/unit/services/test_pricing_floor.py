"""The margin floor protects margin; it does not change who wins (issue 14).

The winner is picked as if there were no floor, then raised to the floor
unless it is exempt; the explanation says which, and says when a product
without a cost has no floor at all.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal as D  # noqa: N817
from typing import Any

import pytest

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
from crossdock.services.pricing.book import line_dict

AT = datetime(2026, 6, 1, 15, 0, tzinfo=UTC)
ITEM = {"sku": "W-1", "cost": "20.00", "units": [{"code": "CS", "factor": "12"}]}
GOLD = {"account_number": "ACME", "tier": "gold"}
FLOOR_10 = PricingConfig(margin_floor_percent=D(10))


def _list(code: str, kind: str, price: str, **more: Any) -> dict[str, Any]:
    return {
        "code": code,
        "kind": kind,
        "entries": [{"sku": "W-1", "breaks": [{"min_quantity": "1", "value": price}]}],
        **more,
    }


BASE = _list("BASE", "base", "30.00")
TIER = _list("GOLD", "tier", "21.00", scope={"tiers": ["gold"]})


def _engine(lists: list[dict[str, Any]], cfg: PricingConfig, item: dict[str, Any] = ITEM) -> Engine:
    idx = PriceIndex("USD")
    idx.put_product("p0", 1, Product.model_validate(item))
    for i, pl in enumerate(lists):
        idx.put_list(f"l{i}", 1, PriceList.model_validate(pl))
    idx.put_customer("c0", 1, Customer.model_validate(GOLD))
    return Engine(idx, cfg)


def _line(engine: Engine, explain: bool, qty: str = "1", unit: str | None = None) -> PricedLine:
    req = QuoteRequest("ACME", [QuoteLine("W-1", D(qty), unit)], at=AT)
    line = engine.quote(req, explain=explain).lines[0]
    assert isinstance(line, PricedLine), line
    return line


@pytest.mark.parametrize("explain", [False, True])
def test_the_tier_below_the_floor_still_wins_raised_to_the_floor(explain: bool) -> None:
    # the example: cost 20.00, floor 10 % (22.00), base 30.00, the tier's 21.00
    with_base = _line(_engine([BASE, TIER], FLOOR_10), explain)
    assert (with_base.unit_price, with_base.rule.list_code) == (D("22.00"), "GOLD")
    assert with_base.rule.kind is RuleKind.TIER
    # the same price whether or not a base list exists
    alone = _line(_engine([TIER], FLOOR_10), explain)
    assert (alone.unit_price, alone.rule.list_code) == (D("22.00"), "GOLD")
    cases = _line(_engine([BASE, TIER], FLOOR_10), explain, "2", "CS")
    assert (cases.unit_price, cases.extended_price) == (D("264.00"), D("528.00"))  # 12 x 22.00


def test_the_explanation_says_the_winner_was_raised() -> None:
    line = _line(_engine([BASE, TIER], FLOOR_10), True)
    assert line.rule.outcome is Outcome.WON and line.rule.unit_price == D("22.00")
    assert "raised from 21.00 to 22.00" in (line.rule.detail or "")
    assert "margin floor" in (line.rule.detail or "")
    assert {c.list_code: c.outcome for c in line.candidates or []}["BASE"] is (
        Outcome.LOWER_PRIORITY
    )
    out = line_dict(line)
    assert out["unit_price"] == "22.00" and "raised" in out["rule"]["detail"]
    # a winner above the floor says nothing about it
    high = _line(
        _engine([_list("GOLD", "tier", "25.00", scope={"tiers": ["gold"]})], FLOOR_10), True
    )
    assert high.unit_price == D("25.00") and high.rule.detail is None


def test_contracts_are_exempt_by_default_and_the_exemption_is_configurable() -> None:
    contract = _list("DEAL", "contract", "15.00", scope={"customers": ["ACME"]})
    line = _line(_engine([BASE, contract], FLOOR_10), True)
    assert (line.unit_price, line.rule.list_code) == (D("15.00"), "DEAL")
    assert "not raised" in (line.rule.detail or "") and "contract" in (line.rule.detail or "")
    # the policy names the kinds; the list's own word comes first
    none_exempt = PricingConfig(margin_floor_percent=D(10), margin_floor_exempt=[])
    assert _line(_engine([BASE, contract], none_exempt), False).unit_price == D("22.00")
    says_no = dict(contract, margin_floor_exempt=False)
    assert _line(_engine([BASE, says_no], FLOOR_10), False).unit_price == D("22.00")
    tier_says_yes = dict(TIER, margin_floor_exempt=True)
    line = _line(_engine([BASE, tier_says_yes], FLOOR_10), True)
    assert line.unit_price == D("21.00")
    assert "the list says margin_floor_exempt" in (line.rule.detail or "")
    tiers_exempt = PricingConfig(margin_floor_percent=D(10), margin_floor_exempt=[RuleKind.TIER])
    assert _line(_engine([BASE, TIER], tiers_exempt), False).unit_price == D("21.00")


def test_the_list_price_is_raised_too_unless_its_kind_is_exempt() -> None:
    item = dict(ITEM, list_price="21.00")
    assert _line(_engine([], FLOOR_10, item), False).unit_price == D("22.00")
    line = _line(_engine([], FLOOR_10, item), True)
    assert line.rule.kind is RuleKind.LIST_PRICE and "raised" in (line.rule.detail or "")
    cfg = PricingConfig(margin_floor_percent=D(10), margin_floor_exempt=[RuleKind.LIST_PRICE])
    assert _line(_engine([], cfg, item), False).unit_price == D("21.00")


def test_the_floor_rounds_up_to_the_winning_lists_rounding() -> None:
    # a list of .99 endings raised to the floor keeps its look: 20.99 -> 22.00 -> 22.99
    ending = dict(TIER, rounding={"ending": "0.99", "mode": "down"})
    no_floor = PricingConfig(margin_floor_percent=None)
    assert _line(_engine([BASE, ending], no_floor), False).unit_price == D("20.99")
    assert _line(_engine([BASE, ending], FLOOR_10), False).unit_price == D("22.99")
    line = _line(_engine([BASE, ending], FLOOR_10), True)
    assert line.unit_price == D("22.99") and "raised from 20.99 to 22.99" in (
        line.rule.detail or ""
    )
    nickel = dict(TIER, rounding={"increment": "0.05"})
    floor_odd = PricingConfig(margin_floor_percent=D("10.01"))  # 22.002
    assert _line(_engine([BASE, nickel], floor_odd), False).unit_price == D("22.05")
    three = dict(TIER, rounding={"places": 3})
    floor_odd = PricingConfig(margin_floor_percent=D("10.0001"))  # 22.00002
    assert _line(_engine([BASE, three], floor_odd), False).unit_price == D("22.001")


def test_a_product_without_a_cost_has_no_floor_and_the_explanation_says_so() -> None:
    no_cost = {"sku": "W-1"}
    cheap = _list("GOLD", "tier", "0.50", scope={"tiers": ["gold"]})
    line = _line(_engine([BASE, cheap], FLOOR_10, no_cost), True)
    assert line.unit_price == D("0.50")
    notes = [c for c in line.candidates or [] if c.kind is RuleKind.MARGIN_FLOOR]
    assert [c.outcome for c in notes] == [Outcome.NO_COST]
    assert "no cost" in (notes[0].detail or "") and "10" in (notes[0].detail or "")
    # no floor configured: nothing to say
    line = _line(_engine([BASE, cheap], PricingConfig(margin_floor_percent=None), no_cost), True)
    assert not [c for c in line.candidates or [] if c.kind is RuleKind.MARGIN_FLOOR]


def test_a_cost_in_a_currency_without_a_rate_sets_no_floor_either() -> None:
    item = dict(ITEM, currency="EUR")
    line = _line(_engine([BASE, TIER], FLOOR_10, item), True)
    assert line.unit_price == D("21.00")
    notes = [c for c in line.candidates or [] if c.kind is RuleKind.MARGIN_FLOOR]
    assert [c.outcome for c in notes] == [Outcome.NO_RATE]
