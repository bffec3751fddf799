"""The hub file's ``customers.onboarding`` section: which new customers onboard, and the rules.

A customer record first created (version 1) by one of the ``sources`` with
no account number is a new account: the onboarding pump starts a workflow
for it. Credit up to ``auto_approve_credit`` is approved without a person;
a site claiming tax exemption needs a certificate (a tax id whose scheme is
one of ``exemption_schemes``) for its region that has not expired;
``territories`` are tried in order, the first whose postcode ranges or
regions cover the customer's main site wins and brings its sales rep. The
ERP party is created in ``erp``, and the account number is written back to
the customer as ``write_as`` (by default the ERP), so the ownership matrix
must let that system own ``account_number``, ``territory`` and ``sales_rep``.
"""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PostcodeRange(_Strict):
    """``from``-``to`` inclusive, compared on the postcode's first ``len(from)`` characters."""

    lo: str = Field(min_length=1, max_length=16)
    hi: str = Field(min_length=1, max_length=16)

    def covers(self, postcode: str) -> bool:
        head = postcode.strip().upper().replace(" ", "")[: len(self.lo)]
        return len(head) == len(self.lo) and self.lo <= head <= self.hi


class Territory(_Strict):
    name: str = Field(min_length=1, max_length=64)
    rep: str = Field(min_length=1, max_length=128, description="the sales rep of the territory")
    postcodes: list[PostcodeRange] = Field(default_factory=list)
    regions: list[str] = Field(default_factory=list, description="region codes, e.g. IL, BY")

    @field_validator("postcodes", mode="before")
    @classmethod
    def _ranges(cls, value: object) -> object:
        """``"60000-62999"`` (or one code, ``"60601"``) as the hub file writes it."""
        if not isinstance(value, list):
            return value
        out: list[object] = []
        for item in value:
            if isinstance(item, str):
                lo, _, hi = item.replace(" ", "").upper().partition("-")
                hi = hi or lo
                if len(lo) != len(hi) or lo > hi:
                    raise ValueError(f"postcode range {item!r}: ends of equal length, low first")
                out.append({"lo": lo, "hi": hi})
            else:
                out.append(item)
        return out


class OnboardingConfig(_Strict):
    sources: list[str] = Field(min_length=1, description="systems whose new customers onboard")
    erp: str = Field(min_length=1, description="the system the customer becomes a party in")
    write_as: str | None = Field(
        default=None, description="the system the account number is written back as (erp)"
    )
    auto_approve_credit: Decimal = Field(
        default=Decimal("0"), ge=0, description="requested credit limit approved without a person"
    )
    account_prefix: str = Field(default="C", max_length=16, pattern=r"^[A-Za-z0-9-]*$")
    exemption_schemes: list[str] = Field(default_factory=lambda: ["exemption"], min_length=1)
    territories: list[Territory] = Field(default_factory=list)
    default_territory: str | None = Field(
        default=None, description="the territory (by name) when no rule covers the customer"
    )
    max_attempts: int = Field(
        default=5, ge=1, le=100, description="ERP failures in a row before a person is asked"
    )
    erp_backoff_seconds: float = Field(
        default=30,
        ge=0,
        le=86400,
        description="wait after the first ERP failure before the next try; doubled per "
        "failure in a row, up to erp_backoff_max_seconds (0: try again on the next pass)",
    )
    erp_backoff_max_seconds: float = Field(
        default=3600, ge=0, le=86400, description="the longest wait between two ERP tries"
    )

    def erp_delay(self, attempts: int) -> float:
        """Seconds to wait before the ERP try that follows ``attempts`` failures in a row."""
        if attempts <= 0 or self.erp_backoff_seconds == 0:
            return 0.0
        return float(
            min(self.erp_backoff_max_seconds, self.erp_backoff_seconds * 2 ** min(attempts - 1, 30))
        )

    @property
    def writer(self) -> str:
        return self.write_as or self.erp

    @model_validator(mode="after")
    def _default_known(self) -> OnboardingConfig:
        names = [t.name for t in self.territories]
        if self.default_territory is not None and self.default_territory not in names:
            raise ValueError(
                f"customers.onboarding.default_territory {self.default_territory!r} "
                "is not one of the territories"
            )
        return self


__all__ = ["OnboardingConfig", "PostcodeRange", "Territory"]
