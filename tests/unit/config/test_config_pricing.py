"""The hub file's `pricing:` section: defaults, validation, rates."""

from __future__ import annotations

from decimal import Decimal

import pytest
from pydantic import ValidationError

from crossdock.config import parse_hub
from crossdock.config.pricing import PrecedenceMode, PricingConfig, RuleKind


def test_defaults_state_the_precedence() -> None:
    cfg = parse_hub("systems: []\n").pricing
    assert cfg.mode is PrecedenceMode.ORDER
    assert cfg.precedence[:3] == [RuleKind.OVERRIDE, RuleKind.CONTRACT, RuleKind.CUSTOMER]
    assert cfg.if_lower == [RuleKind.PROMOTION] and cfg.margin_floor_percent == Decimal(0)
    assert cfg.rank(RuleKind.CONTRACT) < cfg.rank(RuleKind.BASE)


def test_rates_and_their_inverse() -> None:
    cfg = PricingConfig.model_validate({"rates": [{"from": "EUR", "to": "USD", "rate": "1.25"}]})
    assert cfg.rate("EUR", "USD") == Decimal("1.25")
    assert cfg.rate("USD", "EUR") == Decimal("0.8")
    assert cfg.rate("USD", "USD") == 1 and cfg.rate("USD", "GBP") is None


@pytest.mark.parametrize(
    "doc",
    [
        {"precedence": ["contract", "contract"]},
        {"precedence": ["margin_floor"]},
        {"mode": "cheapest"},
        {"margin_floor_percent": 1.5},
        {"rates": [{"from": "EUR", "to": "USD", "rate": "0"}]},
        {"rates": [{"from": "EUR", "to": "USD", "rate": "1"}] * 2},
    ],
)
def test_bad_policies_are_refused(doc: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        PricingConfig.model_validate(doc)
