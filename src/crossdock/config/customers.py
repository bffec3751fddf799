"""The hub file's ``customers:`` section: how an unknown customer is matched against the store.

When the section is present, ingest asks the customer matcher about every
customer it cannot identify by crosswalk or account number: at or above
``upper`` the change is linked to the best candidate, from ``lower`` up to
``upper`` it is held for a person in the review queue, below ``lower`` it
creates a new record. Weights are Fellegi-Sunter match weights in bits
(the sum of log2(m/u) over the compared fields). ``m`` and ``u`` come from
the data (``crossdock customers train`` runs EM and stores the estimates);
``overrides`` here win over both the estimates and the built-in priors.
Without the section nothing is matched and nothing is indexed.
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, model_validator

from crossdock.config.onboarding import OnboardingConfig
from crossdock.model.customer import Customer


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class MatchField(StrEnum):
    """The fields a customer comparison may look at."""

    NAME = "name"
    STREET = "street"
    CITY = "city"
    POSTCODE = "postcode"
    PHONE = "phone"
    EMAIL_DOMAIN = "email_domain"
    TAX_ID = "tax_id"


class Level(StrEnum):
    """How two values of one field compare; ``missing`` (either side empty) weighs nothing.

    ``partial`` is weaker agreement than ``close`` (a shared name word, the same house
    number on a street spelt otherwise, the same postcode area); only name, street and
    postcode have it.
    """

    EXACT = "exact"
    CLOSE = "close"
    PARTIAL = "partial"
    DIFFERENT = "different"
    MISSING = "missing"


class LevelProbabilities(_Strict):
    """m (among true matches) and u (among non-matches) of one comparison level."""

    m: float = Field(gt=0, lt=1)
    u: float = Field(gt=0, lt=1)


class Survivorship(_Strict):
    """How a merge picks each field's value: ownership matrix, then these, in order."""

    priority: list[str] = Field(
        default_factory=list,
        description="systems whose values win a merge, most trusted first "
        "(after the field's owner; before recency and completeness)",
    )


class Approvals(_Strict):
    """Four eyes: which customer changes wait for a second person before they apply."""

    credit_limit_increase: Decimal | None = Field(
        default=None, ge=0, description="a credit-limit increase above this amount waits"
    )
    credit_limit_increase_pct: Decimal | None = Field(
        default=None, ge=0, description="a credit-limit increase above this percentage waits"
    )
    fields: list[str] = Field(
        default_factory=lambda: ["payment_terms", "tax_exempt", "bank_account"],
        description="top-level customer fields whose every change waits: payment_terms, "
        "tax_exempt (any site's exemption status or tax ids), bank_account (the bank details)",
    )

    @model_validator(mode="after")
    def _known_fields(self) -> Approvals:
        known = set(Customer.model_fields) | {"tax_exempt"}
        unknown = sorted(set(self.fields) - known)
        if unknown:
            raise ValueError(
                f"customers.approvals.fields: {', '.join(unknown)} is not a customer field "
                "(tax_exempt stands for the exemption status)"
            )
        if "credit_limit" in self.fields:
            raise ValueError(
                "customers.approvals.fields: credit_limit waits by credit_limit_increase "
                "and credit_limit_increase_pct, not on every change"
            )
        return self


class CustomersConfig(_Strict):
    upper: float = Field(
        default=12.0,
        description="match weight (bits) at or above which a customer is linked "
        "(12: the best F1 on FEBRL1, FEBRL2 and the generated set, benchmarks/matching.py)",
    )
    lower: float = Field(
        default=6.0, description="match weight (bits) below which a new customer is created"
    )
    compare: list[MatchField] = Field(
        default_factory=lambda: list(MatchField),
        min_length=1,
        description="the fields compared (and so weighed)",
    )
    overrides: dict[MatchField, dict[Level, LevelProbabilities]] = Field(
        default_factory=dict,
        description="m/u per field and level, winning over EM estimates and priors",
    )
    candidates: int = Field(
        default=20, ge=1, le=500, description="candidates scored per incoming customer at most"
    )
    max_block: int = Field(
        default=200,
        ge=2,
        le=100_000,
        description="a blocking key shared by more records than this is skipped by dedupe "
        "(a head office's phone on every branch says little and costs quadratically)",
    )

    onboarding: OnboardingConfig | None = Field(
        default=None, description="the new-account workflow (config/onboarding.py)"
    )
    survivorship: Survivorship = Field(default_factory=Survivorship)
    approvals: Approvals | None = Field(
        default=None, description="four eyes on sensitive changes; none: nothing waits"
    )

    @model_validator(mode="after")
    def _thresholds(self) -> CustomersConfig:
        if self.lower > self.upper:
            raise ValueError(f"customers.lower ({self.lower}) is above upper ({self.upper})")
        for f, levels in self.overrides.items():
            if Level.MISSING in levels:
                raise ValueError(f"customers.overrides.{f.value}.missing: missing weighs nothing")
        return self


__all__ = [
    "Approvals",
    "CustomersConfig",
    "Level",
    "LevelProbabilities",
    "MatchField",
    "Survivorship",
]
