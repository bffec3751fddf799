"""Pricing scenarios from a distributor's desk: no I/O, the engine over an in-memory index."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal as D  # noqa: N817
from typing import Any

import pytest

from crossdock.config.pricing import PricingConfig, RuleKind
from crossdock.errors import InvalidInput
from crossdock.model.customer import Customer
from crossdock.model.price_list import PriceList
from crossdock.model.product import Product
from crossdock.services.pricing import (
    Engine,
    LineCode,
    LineProblem,
    Outcome,
    PricedLine,
    PriceIndex,
    QuoteLine,
    QuoteRequest,
)

AT = datetime(2026, 6, 1, 15, 0, tzinfo=UTC)


def index(
    products: list[dict[str, Any]],
    lists: list[dict[str, Any]],
    customers: list[dict[str, Any]],
) -> PriceIndex:
    idx = PriceIndex("USD")
    for i, p in enumerate(products):
        idx.put_product(f"prd{i}", 1, Product.model_validate(p))
    for i, pl in enumerate(lists):
        idx.put_list(f"prl{i}", 1, PriceList.model_validate(pl))
    for i, c in enumerate(customers):
        idx.put_customer(f"cus{i}", 1, Customer.model_validate(c))
    return idx


def fixed(sku: str, *breaks: tuple[str, str], unit: str | None = None) -> dict[str, Any]:
    e: dict[str, Any] = {
        "sku": sku,
        "breaks": [{"min_quantity": q, "value": v} for q, v in breaks],
    }
    if unit:
        e["unit"] = unit
    return e


WIDGET = {"sku": "W-1", "units": [{"code": "CS", "factor": "12"}], "cost": "4.00"}
ACME = {
    "account_number": "ACME",
    "tier": "gold",
    "sites": [
        {"code": "DAL", "roles": ["ship_to"], "region": "TX"},
        {"code": "CHI", "roles": ["ship_to"], "region": "IL"},
    ],
}
BASE = {"code": "BASE", "kind": "base", "entries": [fixed("W-1", ("1", "10.00"), ("24", "9.00"))]}


def one(engine: Engine, req: QuoteRequest, explain: bool = True) -> PricedLine:
    line = engine.quote(req, explain=explain).lines[0]
    assert isinstance(line, PricedLine), line
    return line


def test_contract_per_ship_to_applies_only_to_that_site() -> None:
    contract = {
        "code": "ACME-DAL",
        "kind": "contract",
        "scope": {"customers": ["ACME"], "ship_tos": ["DAL"]},
        "entries": [fixed("W-1", ("1", "8.25"))],
    }
    e = Engine(index([WIDGET], [BASE, contract], [ACME]), PricingConfig())
    dal = one(e, QuoteRequest("ACME", [QuoteLine("W-1", D(5))], ship_to="DAL", at=AT))
    assert (dal.unit_price, dal.rule.list_code, dal.rule.kind) == (
        D("8.25"),
        "ACME-DAL",
        RuleKind.CONTRACT,
    )
    chi = one(e, QuoteRequest("ACME", [QuoteLine("W-1", D(5))], ship_to="CHI", at=AT))
    assert (chi.unit_price, chi.rule.list_code) == (D("10.00"), "BASE")
    lost = {c.list_code: c for c in chi.candidates or []}
    assert lost["ACME-DAL"].outcome is Outcome.OTHER_SCOPE
    assert "ship_tos" in (lost["ACME-DAL"].detail or "")


def test_promotion_ends_at_midnight_in_the_lists_time_zone() -> None:
    promo = {
        "code": "JUNE",
        "kind": "promotion",
        "timezone": "America/Chicago",
        "valid_from": "2026-06-01T00:00:00-05:00",
        "valid_to": "2026-07-01T00:00:00-05:00",  # midnight, Chicago (CDT)
        "entries": [fixed("W-1", ("1", "7.50"))],
    }
    e = Engine(index([WIDGET], [BASE, promo], [ACME]), PricingConfig())
    before = datetime(2026, 7, 1, 4, 59, 59, tzinfo=UTC)  # 23:59:59 in Chicago
    after = datetime(2026, 7, 1, 5, 0, 0, tzinfo=UTC)  # 00:00 in Chicago; UTC says still June 30
    assert one(e, QuoteRequest("ACME", [QuoteLine("W-1", D(1))], at=before)).unit_price == D("7.50")
    ended = one(e, QuoteRequest("ACME", [QuoteLine("W-1", D(1))], at=after))
    assert ended.unit_price == D("10.00")
    assert {c.list_code: c.outcome for c in ended.candidates or []}["JUNE"] is Outcome.EXPIRED
    # a calendar-day quote is evaluated at 00:00 of that day in the list's zone
    on_30 = one(e, QuoteRequest("ACME", [QuoteLine("W-1", D(1))], on=date(2026, 6, 30)))
    on_1st = one(e, QuoteRequest("ACME", [QuoteLine("W-1", D(1))], on=date(2026, 7, 1)))
    assert (on_30.unit_price, on_1st.unit_price) == (D("7.50"), D("10.00"))


def test_case_versus_each_breaks_count_in_base_units() -> None:
    e = Engine(index([WIDGET], [BASE], [ACME]), PricingConfig())
    cases = one(e, QuoteRequest("ACME", [QuoteLine("W-1", D(2), "CS")], at=AT))
    assert cases.base_quantity == D(24)
    assert (cases.unit_price, cases.extended_price) == (D("108.00"), D("216.00"))  # 9.00 x 12
    eaches = one(e, QuoteRequest("ACME", [QuoteLine("W-1", D(23))], at=AT))
    assert eaches.unit_price == D("10.00")


def test_case_priced_list_converts_to_each() -> None:
    by_case = {
        "code": "CASE",
        "kind": "base",
        "entries": [fixed("W-1", ("1", "100.00"), unit="CS")],
    }
    e = Engine(index([WIDGET], [by_case], [ACME]), PricingConfig())
    each = one(e, QuoteRequest("ACME", [QuoteLine("W-1", D(12))], at=AT))
    assert each.unit_price == D("8.33")  # 100 / 12, rounded half up
    case = one(e, QuoteRequest("ACME", [QuoteLine("W-1", D(1), "CS")], at=AT))
    assert case.unit_price == D("100.00")
    # the break's minimum is one case: 11 each are below it
    small = e.quote(QuoteRequest("ACME", [QuoteLine("W-1", D(11))], at=AT)).lines[0]
    assert isinstance(small, LineProblem) and small.code is LineCode.NO_PRICE


def test_foreign_currency_list_converts_by_the_rates_table() -> None:
    cad = {
        "code": "CA-BASE",
        "kind": "base",
        "currency": "CAD",
        "entries": [fixed("W-1", ("1", "13.50"))],
    }
    cfg = PricingConfig(rates=[{"from": "USD", "to": "CAD", "rate": "1.35"}])
    e = Engine(index([WIDGET], [cad], [ACME]), cfg)
    usd = one(e, QuoteRequest("ACME", [QuoteLine("W-1", D(2))], at=AT))
    assert (usd.unit_price, usd.currency, usd.extended_price) == (D("10.00"), "USD", D("20.00"))
    no_rate = Engine(index([WIDGET], [cad], [ACME]), PricingConfig())
    line = no_rate.quote(QuoteRequest("ACME", [QuoteLine("W-1", D(1))], at=AT)).lines[0]
    assert isinstance(line, LineProblem) and line.code is LineCode.NO_PRICE


def test_margin_floor_unless_the_contract_allows_it() -> None:
    cheap = {
        "code": "DEAL",
        "kind": "contract",
        "scope": {"customers": ["ACME"]},
        "margin_floor_exempt": False,
        "entries": [fixed("W-1", ("1", "3.00"))],
    }
    cfg = PricingConfig(margin_floor_percent=D(10))
    e = Engine(index([WIDGET], [BASE, cheap], [ACME]), cfg)
    line = one(e, QuoteRequest("ACME", [QuoteLine("W-1", D(1))], at=AT))
    # the contract still wins; the floor raises it to cost plus 10 %
    assert (line.unit_price, line.rule.list_code) == (D("4.40"), "DEAL")
    assert {c.list_code: c.outcome for c in line.candidates or []}["BASE"] is Outcome.LOWER_PRIORITY
    exempt = dict(cheap, margin_floor_exempt=True)
    e = Engine(index([WIDGET], [BASE, exempt], [ACME]), cfg)
    assert one(e, QuoteRequest("ACME", [QuoteLine("W-1", D(1))], at=AT)).unit_price == D("3.00")
    # a contract that says nothing: contracts are exempt by default
    e = Engine(index([WIDGET], [dict(cheap, margin_floor_exempt=None)], [ACME]), cfg)
    floor = one(e, QuoteRequest("ACME", [QuoteLine("W-1", D(1))], at=AT), explain=False)
    assert (floor.unit_price, floor.rule.kind) == (D("3.00"), RuleKind.CONTRACT)


def test_promotion_wins_only_if_lower_and_contract_beats_it() -> None:
    promo = {"code": "P", "kind": "promotion", "entries": [fixed("W-1", ("1", "9.50"))]}
    dear = {"code": "DEAR", "kind": "promotion", "entries": [fixed("W-1", ("1", "11.00"))]}
    tier = {
        "code": "GOLD",
        "kind": "tier",
        "scope": {"tiers": ["gold"]},
        "entries": [{"sku": "W-1", "method": "percent_off", "base_list": "BASE",
                     "breaks": [{"min_quantity": "1", "value": "8"}]}],
    }  # fmt: skip
    e = Engine(index([WIDGET], [BASE, tier, promo, dear], [ACME]), PricingConfig())
    line = one(e, QuoteRequest("ACME", [QuoteLine("W-1", D(1))], at=AT))
    assert (line.unit_price, line.rule.list_code) == (D("9.20"), "GOLD")  # 10.00 - 8 %
    outcomes = {c.list_code: c.outcome for c in line.candidates or []}
    assert outcomes["P"] is Outcome.HIGHER_PRICE and outcomes["DEAR"] is Outcome.HIGHER_PRICE
    assert outcomes["BASE"] is Outcome.LOWER_PRIORITY
    contract = {
        "code": "C",
        "kind": "contract",
        "scope": {"customers": ["ACME"]},
        "entries": [fixed("W-1", ("1", "9.90"))],
    }
    e = Engine(index([WIDGET], [BASE, tier, promo, contract], [ACME]), PricingConfig())
    assert one(e, QuoteRequest("ACME", [QuoteLine("W-1", D(1))], at=AT)).rule.list_code == "C"
    lowest = Engine(
        index([WIDGET], [BASE, tier, promo, contract], [ACME]), PricingConfig(mode="lowest")
    )
    assert one(lowest, QuoteRequest("ACME", [QuoteLine("W-1", D(1))], at=AT)).unit_price == D(
        "9.20"
    )


def test_ties_break_by_priority_then_price_then_code() -> None:
    a = {"code": "B-LIST", "kind": "base", "entries": [fixed("W-1", ("1", "10.00"))]}
    b = {"code": "A-LIST", "kind": "base", "entries": [fixed("W-1", ("1", "10.00"))]}
    e = Engine(index([WIDGET], [a, b], [ACME]), PricingConfig())
    line = one(e, QuoteRequest("ACME", [QuoteLine("W-1", D(1))], at=AT))
    assert line.rule.list_code == "A-LIST"
    assert {c.list_code: c.outcome for c in line.candidates or []}["B-LIST"] is Outcome.TIE_BREAK
    e = Engine(index([WIDGET], [dict(a, priority=5), b], [ACME]), PricingConfig())
    assert one(e, QuoteRequest("ACME", [QuoteLine("W-1", D(1))], at=AT)).rule.list_code == "B-LIST"


def test_mix_and_match_pools_quantity_across_a_break_group() -> None:
    products = [{"sku": "RED", "cost": "1"}, {"sku": "BLUE", "cost": "1"}]
    mix = {
        "code": "MIX",
        "kind": "base",
        "entries": [
            {"sku": s, "break_group": "paint",
             "breaks": [{"min_quantity": "1", "value": "5.00"},
                        {"min_quantity": "10", "value": "4.00"}]}
            for s in ("RED", "BLUE")
        ],
    }  # fmt: skip
    e = Engine(index(products, [mix], [ACME]), PricingConfig())
    q = e.quote(QuoteRequest("ACME", [QuoteLine("RED", D(6)), QuoteLine("BLUE", D(4))], at=AT))
    assert [x.unit_price for x in q.priced] == [D("4.00"), D("4.00")]
    q = e.quote(QuoteRequest("ACME", [QuoteLine("RED", D(6))], at=AT))
    assert q.priced[0].unit_price == D("5.00")


def test_markup_on_cost_and_rounding_per_list() -> None:
    markup = {
        "code": "MK",
        "kind": "base",
        "rounding": {"places": 1, "mode": "up"},
        "entries": [{"sku": "W-1", "method": "markup_on_cost",
                     "breaks": [{"min_quantity": "1", "value": "33"}]}],
    }  # fmt: skip
    e = Engine(index([WIDGET], [markup], [ACME]), PricingConfig())
    assert one(e, QuoteRequest("ACME", [QuoteLine("W-1", D(1))], at=AT)).unit_price == D("5.4")


def test_contract_price_holds_when_the_base_list_rises() -> None:
    contract = {
        "code": "LOCK",
        "kind": "contract",
        "scope": {"customers": ["ACME"]},
        "entries": [fixed("W-1", ("1", "9.00"))],
    }
    idx = index([WIDGET], [BASE, contract], [ACME])
    e = Engine(idx, PricingConfig())
    assert one(e, QuoteRequest("ACME", [QuoteLine("W-1", D(1))], at=AT)).unit_price == D("9.00")
    risen = dict(BASE, entries=[fixed("W-1", ("1", "12.00"))])
    idx.put_list("prl0", 2, PriceList.model_validate(risen))
    line = one(e, QuoteRequest("ACME", [QuoteLine("W-1", D(1))], at=AT))
    assert (line.unit_price, line.rule.list_code) == (D("9.00"), "LOCK")
    assert {c.list_code: c.unit_price for c in line.candidates or []}["BASE"] == D("12.00")


def test_bad_lines_are_named_and_good_lines_still_priced() -> None:
    e = Engine(index([WIDGET], [BASE], [ACME]), PricingConfig())
    q = e.quote(
        QuoteRequest(
            "ACME",
            [
                QuoteLine("NOPE", D(1)),
                QuoteLine("W-1", D(1), "PAL"),
                QuoteLine("W-1", D(0)),
                QuoteLine("W-1", D(-2)),
                QuoteLine("W-1", D(1)),
            ],
            at=AT,
        )
    )
    problems = {(p.field, p.code) for p in q.problems}
    assert problems == {
        ("lines.0.sku", LineCode.UNKNOWN_SKU),
        ("lines.1.unit", LineCode.UNKNOWN_UNIT),
        ("lines.2.quantity", LineCode.BAD_QUANTITY),
        ("lines.3.quantity", LineCode.BAD_QUANTITY),
    }
    assert [(x.index, x.unit_price) for x in q.priced] == [(4, D("10.00"))]


def test_request_level_errors_name_the_field() -> None:
    e = Engine(index([WIDGET], [BASE], [ACME]), PricingConfig())
    with pytest.raises(InvalidInput) as err:
        e.quote(QuoteRequest("WHO", [QuoteLine("W-1", D(1))], at=AT))
    assert err.value.field == "customer"
    with pytest.raises(InvalidInput) as err:
        e.quote(QuoteRequest("ACME", [QuoteLine("W-1", D(1))], ship_to="NYC", at=AT))
    assert err.value.field == "ship_to"
    with pytest.raises(InvalidInput) as err:
        e.quote(QuoteRequest("ACME", [QuoteLine("W-1", D(1))] * 1001, at=AT))
    assert err.value.field == "lines"


def test_cached_prices_follow_the_window_of_a_list_they_refer_to() -> None:
    summer = {
        "code": "SUMMER",
        "kind": "base",
        "scope": {"channels": ["catalog-only"]},  # never the customer's own candidate
        "valid_to": "2026-09-01T00:00:00+00:00",
        "entries": [fixed("W-1", ("1", "8.00"))],
    }
    contract = {
        "code": "C",
        "kind": "contract",
        "scope": {"customers": ["ACME"]},
        "entries": [{"sku": "W-1", "method": "percent_off", "base_list": "SUMMER",
                     "breaks": [{"min_quantity": "1", "value": "10"}]}],
    }  # fmt: skip
    e = Engine(index([WIDGET], [BASE, summer, contract], [ACME]), PricingConfig())
    req = [QuoteLine("W-1", D(1))]
    assert one(e, QuoteRequest("ACME", req, at=AT), explain=False).unit_price == D("7.20")
    later = datetime(2026, 9, 2, tzinfo=UTC)
    after = one(e, QuoteRequest("ACME", req, at=later), explain=False)
    assert (after.unit_price, after.rule.list_code) == (D("10.00"), "BASE")


def test_quantities_beyond_exact_arithmetic_are_line_problems() -> None:
    huge = {"code": "HUGE", "kind": "base", "entries": [fixed("W-1", ("1", "1E+25"))]}
    e = Engine(index([WIDGET], [huge], [ACME]), PricingConfig())
    for explain in (False, True):
        q = e.quote(
            QuoteRequest(
                "ACME",
                [QuoteLine("W-1", D("1E+9")), QuoteLine("W-1", D("1E+13")), QuoteLine("W-1", D(1))],
                at=AT,
            ),
            explain=explain,
        )
        assert [p.field for p in q.problems] == ["lines.0.quantity", "lines.1.quantity"]
        assert q.priced[0].unit_price == D("1E+25")


def test_a_naive_instant_is_refused() -> None:
    e = Engine(index([WIDGET], [BASE], [ACME]), PricingConfig())
    with pytest.raises(InvalidInput) as err:
        e.quote(QuoteRequest("ACME", [QuoteLine("W-1", D(1))], at=datetime(2026, 6, 1)))
    assert err.value.field == "at"
