"""The validation rules, without I/O: each takes what it judges and answers a :class:`RuleResult`.

A failed rule's action is its configured ``on_fail`` (reject, or hold with
the rule's reason code). The price rule may also reprice a line, and the
credit rule is judged inside the decision's transaction (see
:meth:`crossdock.store.repos.orders.SqlOrders.decide`), against the
exposure measured under the customer's lock.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any

from crossdock.config.orders import (
    BillToRule,
    CreditRule,
    CustomerRule,
    HoldReason,
    OnFail,
    PoRule,
    PricePolicy,
    PriceRule,
    Rule,
    SkuRule,
)
from crossdock.model.customer import Customer, CustomerStatus, SiteRole
from crossdock.model.product import Product, ProductStatus
from crossdock.store.order_rows import LineRow


class RuleName(StrEnum):
    CUSTOMER = "customer"
    CREDIT = "credit"
    SKU = "sku"
    PRICE = "price"
    STOCK = "stock"
    PO = "po"
    BILL_TO = "bill_to"


class Action(StrEnum):
    """What a rule's result does to the order."""

    PASSED = "passed"
    HELD = "held"
    REJECTED = "rejected"
    WAIVED = "waived"
    """A hold a person released without the rule passing (price, PO)."""


@dataclass(frozen=True, slots=True)
class RuleResult:
    rule: RuleName
    action: Action
    reason: HoldReason | None = None
    detail: str = ""

    @property
    def passed(self) -> bool:
        return self.action in (Action.PASSED, Action.WAIVED)

    def as_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule.value,
            "action": self.action.value,
            "reason": self.reason.value if self.reason else None,
            "detail": self.detail,
        }

    @classmethod
    def of(cls, d: dict[str, Any]) -> RuleResult:
        reason = d.get("reason")
        return cls(
            RuleName(d["rule"]),
            Action(d["action"]),
            HoldReason(reason) if reason else None,
            d.get("detail", ""),
        )


def _ok(rule: RuleName, detail: str = "") -> RuleResult:
    return RuleResult(rule, Action.PASSED, None, detail)


def failed(rule: RuleName, cfg: Rule, reason: HoldReason, detail: str) -> RuleResult:
    action = Action.REJECTED if cfg.on_fail is OnFail.REJECT else Action.HELD
    return RuleResult(rule, action, reason, detail)


def check_customer(customer: Customer, cfg: CustomerRule) -> RuleResult:
    """Active (or of no stated status) and not on credit hold."""
    if customer.status not in (None, CustomerStatus.ACTIVE):
        status = customer.status.value if customer.status else ""
        return failed(RuleName.CUSTOMER, cfg, HoldReason.CUSTOMER, f"customer is {status}")
    if customer.credit_hold:
        return failed(RuleName.CUSTOMER, cfg, HoldReason.CUSTOMER, "customer is on credit hold")
    return _ok(RuleName.CUSTOMER)


def site_problem(customer: Customer, code: str, role: SiteRole) -> str | None:
    """Why ``code`` is not an active ``role`` site of the customer (None: it is)."""
    name = role.value.replace("_", "-")
    site = next((s for s in customer.sites if s.code == code), None)
    if site is None or role not in site.roles:
        return f"{code!r} is not a {name} site of the customer"
    if site.active is False:
        return f"{name} site {code!r} is inactive"
    return None


def check_bill_to(customer: Customer, bill_to: str | None, cfg: BillToRule) -> RuleResult:
    """The order's bill-to, when it names one, is an active bill-to site of the customer."""
    if bill_to is None:
        return _ok(RuleName.BILL_TO, "no bill-to named")
    why = site_problem(customer, bill_to, SiteRole.BILL_TO)
    if why is None:
        return _ok(RuleName.BILL_TO)
    return failed(RuleName.BILL_TO, cfg, HoldReason.BILL_TO, why)


def check_skus(
    lines: Sequence[LineRow], products: dict[str, Product], channel: str, cfg: SkuRule
) -> RuleResult:
    """Each line's item is active, sold on the channel, and ordered in a quantity it allows."""
    problems: list[str] = []
    for line in lines:
        p = products[line.sku]
        if p.status not in (None, ProductStatus.ACTIVE):
            status = p.status.value if p.status else ""
            problems.append(f"line {line.line_number}: {line.sku} is {status}")
        elif p.channels and channel not in p.channels:
            problems.append(f"line {line.line_number}: {line.sku} is not sold on {channel}")
        elif (why := p.order_quantity_problem(line.quantity, line.unit)) is not None:
            problems.append(f"line {line.line_number}: {line.sku}: {why}")
    if problems:
        return failed(RuleName.SKU, cfg, HoldReason.SKU, "; ".join(problems))
    return _ok(RuleName.SKU)


def check_po(po: str | None, others: Sequence[str], cfg: PoRule) -> RuleResult:
    """A PO when the channel requires one; none the customer already used on an open order."""
    if po is None:
        if cfg.required:
            return failed(RuleName.PO, cfg, HoldReason.PO_MISSING, "a customer PO is required")
        return _ok(RuleName.PO)
    if others:
        return failed(
            RuleName.PO,
            cfg,
            HoldReason.DUPLICATE_PO,
            f"PO {po} is on open order(s) {', '.join(sorted(others))}",
        )
    return _ok(RuleName.PO)


def within(channel: Decimal, quoted: Decimal, cfg: PriceRule) -> bool:
    """Whether the channel's price is the service's within the tolerance."""
    gap = abs(channel - quoted)
    if cfg.tolerance_kind == "absolute":
        return gap <= cfg.tolerance
    return gap * 100 <= cfg.tolerance * quoted


@dataclass(frozen=True, slots=True)
class Priced:
    """The price rule's result and each line's price (with the reason it was taken)."""

    result: RuleResult
    prices: dict[int, tuple[Decimal | None, str | None]]


def check_prices(
    lines: Sequence[LineRow], quoted: dict[int, Decimal | None], cfg: PriceRule
) -> Priced:
    """Each line's channel price against the service's (``quoted``: None where it has none)."""
    prices: dict[int, tuple[Decimal | None, str | None]] = {}
    off: list[str] = []
    for line in lines:
        q, mine = quoted.get(line.line_number), line.channel_price
        n = line.line_number
        if mine is None:
            prices[n] = (q, "pricing service" if q is not None else "no price")
            if q is None:
                off.append(f"line {n}: no price from the channel or the pricing service")
        elif q is None:
            prices[n] = (mine, "channel (the pricing service has none)")
        elif not cfg.enabled or within(mine, q, cfg):
            prices[n] = (mine, "channel")
        elif cfg.policy is PricePolicy.REPRICE:
            prices[n] = (q, f"repriced: channel sent {mine}, pricing service says {q}")
        elif cfg.policy is PricePolicy.ACCEPT:
            prices[n] = (mine, f"channel (pricing service says {q}; accepted by policy)")
        else:
            prices[n] = (mine, f"channel (pricing service says {q})")
            off.append(f"line {n}: {mine} against {q}")
    if off:
        result = RuleResult(RuleName.PRICE, Action.HELD, HoldReason.PRICE, "; ".join(off))
    else:
        result = _ok(RuleName.PRICE)
    return Priced(result, prices)


def check_credit(
    total: Decimal, exposure: Decimal, limit: Decimal | None, cfg: CreditRule
) -> RuleResult:
    """The order on top of the customer's open orders, against its credit limit."""
    if limit is None:
        if cfg.unlimited_without_limit:
            return _ok(RuleName.CREDIT, "no credit limit")
        return failed(RuleName.CREDIT, cfg, HoldReason.CREDIT, "customer has no credit limit")
    if exposure + total > limit:
        return failed(
            RuleName.CREDIT,
            cfg,
            HoldReason.CREDIT,
            f"exposure {exposure} + order {total} exceeds the limit {limit}",
        )
    return _ok(RuleName.CREDIT, f"exposure {exposure} + order {total} within {limit}")


__all__ = [
    "Action",
    "Priced",
    "RuleName",
    "RuleResult",
    "check_bill_to",
    "check_credit",
    "check_customer",
    "check_po",
    "check_prices",
    "check_skus",
    "failed",
    "site_problem",
    "within",
]
