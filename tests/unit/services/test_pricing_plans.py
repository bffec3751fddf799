"""Resolution plans are shared and reused, never stale: the cases a random world rarely draws."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal as D  # noqa: N817
from typing import Any

from crossdock.config.pricing import PricingConfig
from crossdock.model.customer import Customer
from crossdock.model.price_list import PriceList
from crossdock.model.product import Product
from crossdock.services.pricing import Engine, PricedLine, PriceIndex, QuoteLine, QuoteRequest

BEFORE = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
AFTER = datetime(2026, 6, 3, 12, 0, tzinfo=UTC)


def _index(lists: list[dict[str, Any]], customers: list[dict[str, Any]]) -> PriceIndex:
    idx = PriceIndex("USD")
    idx.put_product("p0", 1, Product(sku="W-1", units=[{"code": "CS", "factor": "12"}]))
    for i, pl in enumerate(lists):
        idx.put_list(f"l{i}", 1, PriceList.model_validate(pl))
    for i, c in enumerate(customers):
        idx.put_customer(f"c{i}", 1, Customer.model_validate(c))
    return idx


def _price(engine: Engine, who: str, at: datetime, qty: str, unit: str | None = None) -> D:
    line = engine.quote(QuoteRequest(who, [QuoteLine("W-1", D(qty), unit)], at=at)).lines[0]
    assert isinstance(line, PricedLine), line
    return line.unit_price


def _fixed(*breaks: tuple[str, str]) -> dict[str, Any]:
    return {"sku": "W-1", "breaks": [{"min_quantity": q, "value": v} for q, v in breaks]}


def test_a_dated_list_a_price_refers_to_changes_the_plan_when_it_ends() -> None:
    # BASE is 10 % off SPECIAL, a list no customer may use (another customer's), which ends
    # on June 2nd: ACME's active lists are the same before and after, its price is not.
    special = {
        "code": "SPECIAL",
        "kind": "contract",
        "scope": {"customers": ["NOBODY"]},
        "valid_to": "2026-06-02T00:00:00+00:00",
        "entries": [_fixed(("1", "20.00"))],
    }
    base = {
        "code": "BASE",
        "kind": "base",
        "entries": [
            {"sku": "W-1", "method": "percent_off", "base_list": "SPECIAL", "breaks": [
                {"min_quantity": "1", "value": "10"}]},
        ],
    }  # fmt: skip
    lst = {"code": "LIST", "kind": "base", "priority": -1, "entries": [_fixed(("1", "30.00"))]}
    idx = _index([special, base, lst], [{"account_number": "ACME"}])
    engine = Engine(idx, PricingConfig(), cache_size=0)
    assert _price(engine, "ACME", BEFORE, "1") == D("18.00")
    assert _price(engine, "ACME", AFTER, "1") == D("30.00")  # SPECIAL ended: BASE has no price
    assert _price(engine, "ACME", BEFORE, "2") == D("18.00")


def test_customers_share_plans_but_never_each_others_contracts() -> None:
    base = {"code": "BASE", "kind": "base", "entries": [_fixed(("1", "10.00"), ("24", "9.00"))]}
    contract = {
        "code": "ACME-1",
        "kind": "contract",
        "scope": {"customers": ["ACME"]},
        "entries": [_fixed(("1", "8.00"))],
    }
    assigned = {  # scoped to another customer: FRIEND has it by assignment only
        "code": "VIP",
        "kind": "base",
        "scope": {"customers": ["X"]},
        "entries": [_fixed(("1", "7.50"))],
    }
    customers: list[dict[str, Any]] = [
        {"account_number": "ACME"},
        {"account_number": "OTHER"},
        {"account_number": "FRIEND", "price_lists": ["VIP"]},
    ]
    idx = _index([base, contract, assigned], customers)
    engine = Engine(idx, PricingConfig(), cache_size=0)
    for at in (BEFORE, AFTER):
        assert _price(engine, "OTHER", at, "1") == D("10.00")
        assert _price(engine, "ACME", at, "1") == D("8.00")
        assert _price(engine, "FRIEND", at, "1") == D("7.50")
        assert _price(engine, "OTHER", at, "2", "CS") == D("108.00")  # 24 each: 9.00 x 12
        assert _price(engine, "ACME", at, "2", "CS") == D("96.00")
        assert _price(engine, "OTHER", at, "23") == D("10.00")
        assert _price(engine, "OTHER", at, "24") == D("9.00")


def test_a_changed_list_is_priced_from_a_new_plan() -> None:
    base = {"code": "BASE", "kind": "base", "entries": [_fixed(("1", "10.00"))]}
    idx = _index([base], [{"account_number": "ACME"}])
    engine = Engine(idx, PricingConfig(), cache_size=0)
    assert _price(engine, "ACME", BEFORE, "1") == D("10.00")
    idx.put_list("l0", 2, PriceList.model_validate(base | {"entries": [_fixed(("1", "11.00"))]}))
    assert _price(engine, "ACME", BEFORE, "1") == D("11.00")


def test_with_break_groups_in_the_hub_other_skus_still_price_from_plans() -> None:
    idx = PriceIndex("USD")
    for i, sku in enumerate(("RED", "BLUE", "GREEN")):
        idx.put_product(f"p{i}", 1, Product(sku=sku, cost=D(1)))
    mix = {
        "code": "MIX",
        "kind": "base",
        "entries": [
            {"sku": s, "break_group": "paint",
             "breaks": [{"min_quantity": "1", "value": "5.00"},
                        {"min_quantity": "10", "value": "4.00"}]}
            for s in ("RED", "BLUE")
        ] + [{"sku": "GREEN", "breaks": [{"min_quantity": "1", "value": "6.00"},
                                        {"min_quantity": "10", "value": "5.50"}]}],
    }  # fmt: skip
    idx.put_list("l0", 1, PriceList.model_validate(mix))
    idx.put_customer("c0", 1, Customer(account_number="ACME"))
    planned = Engine(idx, PricingConfig(), cache_size=0)
    plain = Engine(idx, PricingConfig(), cache_size=0, plan_size=0)
    lines = [QuoteLine("RED", D(6)), QuoteLine("GREEN", D(6)), QuoteLine("BLUE", D(4))]
    req = QuoteRequest("ACME", lines, at=BEFORE)
    for engine in (planned, plain):
        got = [x.unit_price for x in engine.quote(req).priced]
        assert got == [D("4.00"), D("6.00"), D("4.00")]  # RED and BLUE pool to 10; GREEN not


def test_a_plan_is_found_by_the_unit_as_asked_and_never_serves_a_personal_category() -> None:
    # W-1 is in category TOOLS; ACME's contract prices the whole category, OTHER shares
    # ACME's open lists, so OTHER's plan for W-1 is in the book ACME's quote also reads
    idx = PriceIndex("USD")
    idx.put_product("p0", 1, Product(sku="W-1", category="TOOLS", base_uom="EA",
                                     units=[{"code": "CS", "factor": "12"}]))  # fmt: skip
    base = {"code": "BASE", "kind": "base", "entries": [_fixed(("1", "10.00"), ("24", "9.00"))]}
    by_category = {
        "code": "ACME-TOOLS",
        "kind": "contract",
        "scope": {"customers": ["ACME"]},
        "entries": [{"category": "TOOLS", "breaks": [{"min_quantity": "1", "value": "8.00"}]}],
    }
    idx.put_list("l0", 1, PriceList.model_validate(base))
    idx.put_list("l1", 1, PriceList.model_validate(by_category))
    idx.put_customer("c0", 1, Customer(account_number="OTHER"))
    idx.put_customer("c1", 1, Customer(account_number="ACME"))
    engine = Engine(idx, PricingConfig(), cache_size=0)
    lines = [
        QuoteLine("W-1", D(2), None),
        QuoteLine("W-1", D(2), "EA"),
        QuoteLine("W-1", D(2), "CS"),
        QuoteLine("W-1", D(30), None),
    ]
    for _ in range(2):  # the second time, every line is found in the books
        other = [x.unit_price for x in engine.quote(QuoteRequest("OTHER", lines, at=BEFORE)).priced]
        assert other == [D("10.00"), D("10.00"), D("108.00"), D("9.00")]
        acme = [x.unit_price for x in engine.quote(QuoteRequest("ACME", lines, at=BEFORE)).priced]
        assert acme == [D("8.00"), D("8.00"), D("96.00"), D("8.00")]


def test_a_change_recompiles_only_the_plans_of_the_skus_it_touches() -> None:
    idx = PriceIndex("USD")
    for i, sku in enumerate(("A", "B")):
        idx.put_product(f"p{i}", 1, Product(sku=sku))
    base = {"code": "BASE", "kind": "base", "entries": [
        {"sku": s, "breaks": [{"min_quantity": "1", "value": v}]}
        for s, v in (("A", "10.00"), ("B", "20.00"))]}  # fmt: skip
    promo = {"code": "PROMO", "kind": "promotion", "entries": [
        {"sku": "B", "breaks": [{"min_quantity": "1", "value": "15.00"}]}]}  # fmt: skip
    idx.put_list("l0", 1, PriceList.model_validate(base))
    idx.put_list("l1", 1, PriceList.model_validate(promo))
    idx.put_customer("c0", 1, Customer(account_number="ACME"))
    engine = Engine(idx, PricingConfig(), cache_size=0)
    req = QuoteRequest("ACME", [QuoteLine("A", D(1)), QuoteLine("B", D(1))], at=BEFORE)
    assert [x.unit_price for x in engine.quote(req).priced] == [D("10.00"), D("15.00")]
    made = engine.compiled
    idx.put_list("l1", 2, PriceList.model_validate(promo | {"entries": [
        {"sku": "B", "breaks": [{"min_quantity": "1", "value": "14.00"}]}]}))  # fmt: skip
    assert [x.unit_price for x in engine.quote(req).priced] == [D("10.00"), D("14.00")]
    assert engine.compiled == made + 1  # B's plan only: A's list did not change
    idx.put_customer("c0", 2, Customer(account_number="ACME", tier="gold"))
    idx.put_product("p0", 2, Product(sku="A", list_price=D("9.00")))
    assert [x.unit_price for x in engine.quote(req).priced] == [D("10.00"), D("14.00")]
    assert engine.compiled == made + 2  # A's product changed; the customer's lists did not
