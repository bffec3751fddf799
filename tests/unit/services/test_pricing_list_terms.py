"""What price lists really say (issue 14): rounding to increments and endings, validity
per entry, dates in the list's own time zone, break groups on the product.

Each case is priced three ways that must agree: explained, on the fast path
with plans, and on the fast path without plans or result cache.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal as D  # noqa: N817
from typing import Any

import pytest
from pydantic import ValidationError

from crossdock.config.pricing import PricingConfig
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

AT = datetime(2026, 6, 1, 15, 0, tzinfo=UTC)
ACME = {"account_number": "ACME"}


def _index(products: list[dict[str, Any]], lists: list[dict[str, Any]]) -> PriceIndex:
    idx = PriceIndex("USD")
    for i, p in enumerate(products):
        idx.put_product(f"p{i}", 1, Product.model_validate(p))
    for i, pl in enumerate(lists):
        idx.put_list(f"l{i}", 1, PriceList.model_validate(pl))
    idx.put_customer("c0", 1, Customer.model_validate(ACME))
    return idx


def _entry(sku: str, *breaks: tuple[str, str], **more: Any) -> dict[str, Any]:
    return {"sku": sku, "breaks": [{"min_quantity": q, "value": v} for q, v in breaks], **more}


class Three:
    """The same index priced explained, with plans, and resolving every line."""

    def __init__(self, idx: PriceIndex, cfg: PricingConfig | None = None) -> None:
        cfg = cfg or PricingConfig()
        self.engines = [
            Engine(idx, cfg),
            Engine(idx, cfg),
            Engine(idx, cfg, cache_size=0, plan_size=0),
        ]

    def lines(self, req: QuoteRequest) -> list[PricedLine]:
        answers = [
            self.engines[0].quote(req, explain=True).lines,
            self.engines[1].quote(req).lines,
            self.engines[2].quote(req).lines,
        ]
        for other in answers[1:]:
            assert [
                (x.unit_price, x.extended_price, x.rule.list_code)
                if isinstance(x, PricedLine)
                else x
                for x in other
            ] == [
                (x.unit_price, x.extended_price, x.rule.list_code)
                if isinstance(x, PricedLine)
                else x
                for x in answers[0]
            ]
        out = []
        for x in answers[0]:
            assert isinstance(x, PricedLine), x
            out.append(x)
        return out

    def price(self, sku: str, qty: str = "1", at: datetime = AT, on: date | None = None) -> D:
        req = QuoteRequest("ACME", [QuoteLine(sku, D(qty))], at=None if on else at, on=on)
        return self.lines(req)[0].unit_price

    def line(self, sku: str, at: datetime) -> PricedLine:
        return self.lines(QuoteRequest("ACME", [QuoteLine(sku, D(1))], at=at))[0]


# -- rounding to an increment or an ending -----------------------------------------------------
@pytest.mark.parametrize(
    ("rounding", "want"),
    [
        ({"increment": "0.05"}, "9.25"),  # 9.2367 -> nearest 0.05
        ({"increment": "0.05", "mode": "up"}, "9.25"),
        ({"increment": "0.05", "mode": "down"}, "9.20"),
        ({"increment": "0.10", "mode": "half_up"}, "9.20"),
        ({"increment": "0.10", "mode": "up"}, "9.30"),
        ({"ending": "0.99"}, "8.99"),  # 9.2367: nearer 8.99 than 9.99
        ({"ending": "0.99", "mode": "up"}, "9.99"),
        ({"ending": "0.99", "mode": "down"}, "8.99"),
        ({"increment": "10", "ending": "9.99", "mode": "up"}, "9.99"),
        ({"places": 3}, "9.237"),
    ],
)
def test_a_list_rounds_to_its_increment_or_ending(rounding: dict[str, str], want: str) -> None:
    # 11.5459 less 20 % is 9.23672: a percent-off price is rounded by the discounting list
    base = {"code": "BASE", "kind": "base", "rounding": {"places": 4},
            "entries": [_entry("W-1", ("1", "11.5459"))]}  # fmt: skip
    tier = {
        "code": "TIER",
        "kind": "tier",
        "rounding": rounding,
        "entries": [_entry("W-1", ("1", "20"), method="percent_off", base_list="BASE")],
    }
    three = Three(_index([{"sku": "W-1"}], [base, tier]))
    assert three.price("W-1") == D(want)


def test_fixed_prices_and_extended_prices_follow_the_rule() -> None:
    nickel = {"code": "N", "kind": "base", "rounding": {"increment": "0.05", "mode": "up"},
              "entries": [_entry("W-1", ("1", "3.01"), ("10", "2.96"))]}  # fmt: skip
    three = Three(_index([{"sku": "W-1", "cost": "1"}], [nickel]))
    line = three.lines(QuoteRequest("ACME", [QuoteLine("W-1", D(3))], at=AT))[0]
    assert (line.unit_price, line.extended_price) == (D("3.05"), D("9.15"))
    assert three.price("W-1", "10") == D("3.00")
    ending = {"code": "E", "kind": "base", "rounding": {"ending": "0.99", "mode": "up"},
              "entries": [_entry("W-1", ("1", "4.20"))]}  # fmt: skip
    three = Three(_index([{"sku": "W-1"}], [ending]))
    line = three.lines(QuoteRequest("ACME", [QuoteLine("W-1", D(3))], at=AT))[0]
    assert (line.unit_price, line.extended_price) == (D("4.99"), D("14.97"))


@pytest.mark.parametrize(
    ("rounding", "field"),
    [
        ({"increment": "0"}, "increment"),
        ({"increment": "0.005"}, "places"),
        ({"ending": "1.50"}, "below the increment"),
        ({"increment": "0.25", "ending": "0.25"}, "below the increment"),
        ({"ending": "-0.01"}, "ending"),
    ],
)
def test_bad_rounding_rules_are_refused_naming_the_field(
    rounding: dict[str, str], field: str
) -> None:
    with pytest.raises(ValidationError) as err:
        PriceList.model_validate({"code": "X", "rounding": rounding, "entries": []})
    assert field in str(err.value)


# -- validity per entry -------------------------------------------------------------------------
def _base_changing_on_the_15th() -> dict[str, Any]:
    return {
        "code": "BASE",
        "kind": "base",
        "entries": [
            _entry("W-1", ("1", "10.00"), valid_to="2026-06-14"),  # through the 14th
            _entry("W-1", ("1", "11.00"), valid_from="2026-06-15"),
            _entry("W-2", ("1", "5.00")),
        ],
    }


def test_an_entry_changes_its_price_on_the_15th_within_one_list() -> None:
    three = Three(_index([{"sku": "W-1"}, {"sku": "W-2"}], [_base_changing_on_the_15th()]))
    last_of_14th = datetime(2026, 6, 14, 23, 59, 59, tzinfo=UTC)
    the_15th = datetime(2026, 6, 15, tzinfo=UTC)
    # the same engines across the edge: no plan, context or cached winner outlives it
    for _ in range(2):
        assert three.price("W-1", at=last_of_14th) == D("10.00")
        assert three.price("W-1", at=the_15th) == D("11.00")
        assert three.price("W-2", at=last_of_14th) == three.price("W-2", at=the_15th) == D("5.00")
    assert three.price("W-1", on=date(2026, 6, 14)) == D("10.00")
    assert three.price("W-1", on=date(2026, 6, 15)) == D("11.00")


def test_an_entry_out_of_its_window_is_explained_and_others_price() -> None:
    base = {"code": "BASE", "kind": "base", "entries": [_entry("W-1", ("1", "10.00"))]}
    promo = {
        "code": "JUNE",
        "kind": "promotion",
        "entries": [_entry("W-1", ("1", "8.00"), valid_from="2026-06-10", valid_to="2026-06-20")],
    }
    three = Three(_index([{"sku": "W-1"}], [base, promo]))
    before = three.line("W-1", datetime(2026, 6, 9, tzinfo=UTC))
    assert (before.unit_price, before.rule.list_code) == (D("10.00"), "BASE")
    lost = {c.list_code: c for c in before.candidates or []}["JUNE"]
    assert lost.outcome is Outcome.NOT_YET_VALID and "2026-06-10" in (lost.detail or "")
    during = three.line("W-1", datetime(2026, 6, 20, 12, tzinfo=UTC))  # through the 20th
    assert (during.unit_price, during.rule.list_code) == (D("8.00"), "JUNE")
    after = three.line("W-1", datetime(2026, 6, 21, tzinfo=UTC))
    lost = {c.list_code: c for c in after.candidates or []}["JUNE"]
    assert lost.outcome is Outcome.EXPIRED and after.unit_price == D("10.00")


def test_a_dated_sku_entry_stands_in_for_the_category_only_in_its_window() -> None:
    cat = {
        "code": "CAT",
        "kind": "base",
        "entries": [
            {"category": "paint", "breaks": [{"min_quantity": "1", "value": "7.00"}]},
            _entry("W-1", ("1", "6.00"), valid_from="2026-06-10", valid_to="2026-06-19"),
        ],
    }
    three = Three(_index([{"sku": "W-1", "category": "paint"}], [cat]))
    assert three.price("W-1", at=datetime(2026, 6, 9, tzinfo=UTC)) == D("7.00")
    assert three.price("W-1", at=datetime(2026, 6, 10, tzinfo=UTC)) == D("6.00")
    assert three.price("W-1", at=datetime(2026, 6, 20, tzinfo=UTC)) == D("7.00")


def test_a_percent_off_follows_the_entry_of_its_base_list_valid_then() -> None:
    contract = {
        "code": "C",
        "kind": "contract",
        "scope": {"customers": ["ACME"]},
        "entries": [_entry("W-1", ("1", "10"), method="percent_off", base_list="BASE")],
    }
    three = Three(
        _index([{"sku": "W-1"}, {"sku": "W-2"}], [_base_changing_on_the_15th(), contract])
    )
    for _ in range(2):
        assert three.price("W-1", at=datetime(2026, 6, 14, tzinfo=UTC)) == D("9.00")
        assert three.price("W-1", at=datetime(2026, 6, 15, tzinfo=UTC)) == D("9.90")


def test_entries_for_one_sku_may_not_overlap_in_time() -> None:
    doc: dict[str, Any] = {
        "code": "BASE",
        "entries": [
            _entry("W-1", ("1", "10.00"), valid_to="2026-06-15"),  # through the 15th
            _entry("W-1", ("1", "11.00"), valid_from="2026-06-15"),
        ],
    }
    with pytest.raises(ValidationError) as err:
        PriceList.model_validate(doc)
    assert "entries.0 and entries.1" in str(err.value)
    doc["entries"][1]["valid_from"] = "2026-06-16"
    PriceList.model_validate(doc)
    # an undated entry overlaps every dated one for the same SKU
    with pytest.raises(ValidationError):
        PriceList.model_validate(
            {"code": "B", "entries": [_entry("W-1", ("1", "1")), *doc["entries"]]}
        )
    backwards = _entry("W-1", ("1", "1"), valid_from="2026-06-02", valid_to="2026-06-01")
    with pytest.raises(ValidationError) as err:
        PriceList.model_validate({"code": "B", "entries": [backwards]})
    assert "entries.0.valid_to" in str(err.value)


# -- dates in the list's own time zone ---------------------------------------------------------
def _paris(valid_from: str, valid_to: str | None = None) -> dict[str, Any]:
    pl: dict[str, Any] = {
        "code": "PARIS",
        "kind": "promotion",
        "timezone": "Europe/Paris",
        "valid_from": valid_from,
        "entries": [_entry("W-1", ("1", "8.00"))],
    }
    if valid_to is not None:
        pl["valid_to"] = valid_to
    return pl


BASE_10 = {"code": "BASE", "kind": "base", "entries": [_entry("W-1", ("1", "10.00"))]}


@pytest.mark.parametrize(
    ("valid_from", "valid_to", "first", "after_last"),
    [
        # winter: Paris is UTC+1
        ("2027-01-01", "2027-01-31", "2026-12-31T23:00:00", "2027-01-31T23:00:00"),
        # the day summer time starts (02:00 -> 03:00 on 28 March): midnight is still UTC+1;
        # the last day of summer time (31 October) ends at midnight back in UTC+1
        ("2027-03-28", "2027-10-31", "2027-03-27T23:00:00", "2027-10-31T23:00:00"),
        # the day after: UTC+2 from midnight; through the day summer time starts
        ("2027-03-29", "2027-03-28", None, None),
        ("2027-03-27", "2027-03-28", "2027-03-26T23:00:00", "2027-03-28T22:00:00"),
        # the day winter time comes back (03:00 -> 02:00 on 31 October): midnight is UTC+2
        ("2027-10-31", "2027-10-31", "2027-10-30T22:00:00", "2027-10-31T23:00:00"),
    ],
)
def test_a_date_means_midnight_in_the_lists_time_zone(
    valid_from: str, valid_to: str, first: str | None, after_last: str | None
) -> None:
    if first is None:  # valid_to before valid_from: refused, naming it
        with pytest.raises(ValidationError, match="valid_to"):
            PriceList.model_validate(_paris(valid_from, valid_to))
        return
    assert after_last is not None
    three = Three(_index([{"sku": "W-1"}], [BASE_10, _paris(valid_from, valid_to)]))
    start = datetime.fromisoformat(first).replace(tzinfo=UTC)
    end = datetime.fromisoformat(after_last).replace(tzinfo=UTC)
    one_second = start.replace(second=1) - start
    assert three.price("W-1", at=start - one_second) == D("10.00")
    assert three.price("W-1", at=start) == D("8.00")
    assert three.price("W-1", at=end - one_second) == D("8.00")
    assert three.price("W-1", at=end) == D("10.00")


def test_a_midnight_the_clock_skips_starts_the_day_when_it_begins() -> None:
    # Santiago skips from 24:00 on 5 September 2026 to 01:00 on the 6th (UTC-4 -> UTC-3)
    promo = dict(_paris("2026-09-06"), timezone="America/Santiago")
    three = Three(_index([{"sku": "W-1"}], [BASE_10, promo]))
    assert three.price("W-1", at=datetime(2026, 9, 6, 3, 59, 59, tzinfo=UTC)) == D("10.00")
    assert three.price("W-1", at=datetime(2026, 9, 6, 4, 0, tzinfo=UTC)) == D("8.00")


def test_an_entry_date_is_in_its_lists_time_zone_and_offsets_keep_their_meaning() -> None:
    base = {
        "code": "BASE",
        "kind": "base",
        "timezone": "Europe/Paris",
        "entries": [
            _entry("W-1", ("1", "10.00"), valid_to="2027-03-28"),
            _entry("W-1", ("1", "11.00"), valid_from="2027-03-29", valid_to="2027-04-01T12:00:00Z"),
        ],
    }
    three = Three(_index([{"sku": "W-1"}], [base]))
    assert three.price("W-1", at=datetime(2027, 3, 28, 21, 59, 59, tzinfo=UTC)) == D("10.00")
    assert three.price("W-1", at=datetime(2027, 3, 28, 22, 0, tzinfo=UTC)) == D("11.00")
    assert three.price("W-1", at=datetime(2027, 4, 1, 11, 59, 59, tzinfo=UTC)) == D("11.00")
    req = QuoteRequest("ACME", [QuoteLine("W-1", D(1))], at=datetime(2027, 4, 1, 12, tzinfo=UTC))
    assert [type(x).__name__ for x in three.engines[1].quote(req).lines] == ["LineProblem"]


def test_a_date_and_time_without_an_offset_is_refused() -> None:
    with pytest.raises(ValidationError, match="UTC offset"):
        PriceList.model_validate(_paris("2027-01-01T00:00:00"))
    with pytest.raises(ValidationError, match="UTC offset"):
        PriceList.model_validate(
            {"code": "X", "entries": [_entry("W-1", ("1", "1"), valid_to="2027-01-01T08:00")]}
        )


# -- break groups on the product ----------------------------------------------------------------
def test_a_products_break_group_pools_quantity_in_every_list() -> None:
    products = [
        {"sku": "RED", "break_group": "paint"},
        {"sku": "BLUE", "break_group": "paint"},
        {"sku": "NAIL"},
    ]
    breaks = (("1", "5.00"), ("10", "4.00"))
    base = {"code": "BASE", "kind": "base",
            "entries": [_entry(s, *breaks) for s in ("RED", "BLUE", "NAIL")]}  # fmt: skip
    cheaper = (("1", "4.90"), ("10", "3.90"))
    promo = {"code": "P", "kind": "promotion",
             "entries": [_entry(s, *cheaper) for s in ("RED", "BLUE")]}  # fmt: skip
    three = Three(_index(products, [base, promo]))
    lines = [QuoteLine("RED", D(6)), QuoteLine("BLUE", D(4)), QuoteLine("NAIL", D(6))]
    got = three.lines(QuoteRequest("ACME", lines, at=AT))
    assert [(x.unit_price, x.rule.list_code) for x in got] == [
        (D("3.90"), "P"),
        (D("3.90"), "P"),
        (D("5.00"), "BASE"),  # not in the family
    ]
    # without the promotion the base list pools them too
    three = Three(_index(products, [base]))
    assert [x.unit_price for x in three.lines(QuoteRequest("ACME", lines, at=AT))] == [
        D("4.00"),
        D("4.00"),
        D("5.00"),
    ]
    # alone, a line does not reach the break
    assert three.price("RED", "6") == D("5.00")


def test_an_entrys_own_break_group_comes_before_the_products() -> None:
    products = [{"sku": "RED", "break_group": "paint"}, {"sku": "BLUE", "break_group": "paint"}]
    breaks = [{"min_quantity": "1", "value": "5.00"}, {"min_quantity": "10", "value": "4.00"}]
    base = {
        "code": "BASE",
        "kind": "base",
        "entries": [
            {"sku": "RED", "breaks": breaks, "break_group": "red-only"},
            {"sku": "BLUE", "breaks": breaks},
        ],
    }
    three = Three(_index(products, [base]))
    lines = [QuoteLine("RED", D(6)), QuoteLine("BLUE", D(4))]
    assert [x.unit_price for x in three.lines(QuoteRequest("ACME", lines, at=AT))] == [
        D("5.00"),
        D("5.00"),
    ]
