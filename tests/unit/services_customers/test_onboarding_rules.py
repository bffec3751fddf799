"""The onboarding's rules without I/O: credit threshold, exemption certificates, territories."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from crossdock.config.hub import EntityOwnership, HubConfig, SystemConfig
from crossdock.config.onboarding import OnboardingConfig, PostcodeRange
from crossdock.model.base import EntityType
from crossdock.model.customer import Customer
from crossdock.services.customers import onboarding_rules as rules
from crossdock.store.onboarding_rows import Step

TODAY = date(2026, 12, 4)


def cfg(**kw: Any) -> OnboardingConfig:
    return OnboardingConfig.model_validate({"sources": ["crm"], "erp": "erp", **kw})


def customer(postcode: str | None = "62701", region: str | None = None, **kw: Any) -> Customer:
    address = {"line1": "1 Elm St", "postal_code": postcode} if postcode else None
    site: dict[str, Any] = {"code": "MAIN", "roles": ["sold_to"], "address": address}
    if region:
        site["region"] = region
    site.update(kw.pop("site", {}))
    return Customer.model_validate({"name": "Zenith", "sites": [site], **kw})


@given(
    asked=st.decimals(min_value=0, max_value=10**9, places=2, allow_nan=False),
    threshold=st.decimals(min_value=0, max_value=10**9, places=2, allow_nan=False),
)
def test_credit_passes_exactly_up_to_the_threshold(asked: Decimal, threshold: Decimal) -> None:
    v = rules.credit(customer(credit_limit=asked), cfg(auto_approve_credit=threshold))
    assert v.passed is (asked <= threshold)
    assert (v.facts.get("credit_limit") == str(asked)) is v.passed
    if not v.passed:
        assert str(asked) in v.detail and "approve" in v.detail


def test_no_credit_asked_is_zero_approved() -> None:
    v = rules.credit(customer(), cfg())
    assert v.passed and v.facts["credit_limit"] == "0"


@given(
    lo=st.integers(10_000, 99_999), width=st.integers(0, 5_000), code=st.integers(10_000, 99_999)
)
def test_a_postcode_range_covers_what_lies_between_its_ends(lo: int, width: int, code: int) -> None:
    hi = min(lo + width, 99_999)
    r = PostcodeRange(lo=str(lo), hi=str(hi))
    assert r.covers(str(code)) is (lo <= code <= hi)
    assert r.covers(f"{code}-1234") is (lo <= code <= hi)  # ZIP+4 compared on its first five


def test_uk_style_prefix_ranges() -> None:
    t = cfg(territories=[{"name": "london", "rep": "amy", "postcodes": ["E1-E9", "SW"]}])
    r = t.territories[0].postcodes
    assert r[0].covers("E3 4AB") and not r[0].covers("N1 9GU")
    assert r[1].covers("sw1a 1aa")


@pytest.mark.parametrize("bad", ["629-60000", "62999-60000", ""])
def test_bad_ranges_are_refused_naming_the_range(bad: str) -> None:
    with pytest.raises(ValidationError, match=r"postcode|at least 1"):
        cfg(territories=[{"name": "x", "rep": "y", "postcodes": [bad]}])


def test_territory_first_rule_wins_then_region_then_default() -> None:
    c = cfg(
        territories=[
            {"name": "chicago", "rep": "ann", "postcodes": ["60600-60699"]},
            {"name": "illinois", "rep": "bob", "postcodes": ["60000-62999"], "regions": ["IL"]},
            {"name": "house", "rep": "desk"},
        ]
    )
    assert rules.territory(customer("60601"), c).facts == {
        "territory": "chicago",
        "sales_rep": "ann",
    }
    assert rules.territory(customer("62701"), c).facts["territory"] == "illinois"
    assert rules.territory(customer(None, region="IL"), c).facts["territory"] == "illinois"
    held = rules.territory(customer("10001"), c)
    assert not held.passed and "10001" in held.detail
    with_default = c.model_copy(update={"default_territory": "house"})
    assert rules.territory(customer("10001"), with_default).facts["sales_rep"] == "desk"
    with pytest.raises(ValidationError, match="default_territory"):
        cfg(default_territory="nowhere")


def cert(region: str | None, expires: date | None, scheme: str = "exemption") -> dict[str, Any]:
    return {"scheme": scheme, "value": "EX-1", "region": region, "expires_on": expires}


@given(days=st.integers(-800, 800), region=st.sampled_from(["IL", "WI", None]))
def test_an_exemption_holds_with_a_live_certificate_of_its_region(
    days: int, region: str | None
) -> None:
    c = customer(
        region="IL", site={"tax_exempt": True}, tax_ids=[cert(region, TODAY + timedelta(days))]
    )
    v = rules.tax(c, cfg(), TODAY)
    assert v.passed is (region in ("IL", None) and days >= 0)
    if not v.passed:
        assert "MAIN" in v.detail
        assert ("expired" in v.detail) is (region != "WI")


def test_tax_without_a_claim_passes_and_other_schemes_are_no_certificate() -> None:
    assert rules.tax(customer(tax_ids=[cert("IL", None, "EIN")]), cfg(), TODAY).passed
    claimed = customer(region="IL", site={"tax_exempt": True}, tax_ids=[cert("IL", None, "EIN")])
    assert "no exemption certificate" in rules.tax(claimed, cfg(), TODAY).detail
    assert rules.tax(claimed, cfg(exemption_schemes=["EIN"]), TODAY).passed


def test_the_steps_run_in_order_and_rest_at_done() -> None:
    assert [s.next for s in Step][:-1] == list(Step)[1:]
    assert Step.DONE.next is Step.DONE


def test_the_hub_file_names_known_systems_only() -> None:
    def hub(**ob: Any) -> HubConfig:
        return HubConfig.model_validate(
            {
                "systems": [SystemConfig(name=s, kind="files") for s in ("crm", "erp")],
                "ownership": {EntityType.CUSTOMER: EntityOwnership(owner="crm")},
                "customers": {"onboarding": {"sources": ["crm"], "erp": "erp", **ob}},
            }
        )

    assert hub().customers is not None
    with pytest.raises(ValidationError, match=r"customers\.onboarding\.sources"):
        hub(sources=["portal"])
    with pytest.raises(ValidationError, match=r"customers\.onboarding\.write_as"):
        hub(write_as="hub")


def test_the_init_examples_onboarding_block_loads_when_uncommented() -> None:
    from crossdock.config.example import EXAMPLE_HUB
    from crossdock.config.loader import parse_hub

    lines = EXAMPLE_HUB.splitlines()
    start = lines.index("# customers:")
    block = [lines[start][2:]]
    for line in lines[start + 1 :]:
        if not line.startswith("#   "):
            break
        block.append(line[2:])
    config = parse_hub(EXAMPLE_HUB + "\n" + "\n".join(block) + "\n", "crossdock.yaml")
    assert config.customers is not None and config.customers.onboarding is not None
    assert [t.name for t in config.customers.onboarding.territories] == ["midwest", "house"]
