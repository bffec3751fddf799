"""Four eyes: which part of a customer change must wait for a second person.

Pure, and in ``config/`` on purpose: ingest (``sync``) holds the sensitive
fields of every change from every system, and ``sync`` may not import
``services``. The rule is a reading of the hub file's ``customers.approvals``
section, as the ownership matrix (``config/ownership.py``) is of
``ownership:``, so it lives beside that section's model; a hook the services
register with the app would make what ingest writes depend on start-up order
and keep the planner's property tests from seeing the rule.

A credit-limit *increase* waits when it is above the amount or the
percentage the hub file sets (from no limit at all, any limit above the
amount waits); a decrease applies at once (it only lowers exposure). Any
change of a field listed in ``approvals.fields`` waits: ``payment_terms``;
``tax_exempt``, which stands for the tax-exemption status wherever it lives
(a site's ``tax_exempt`` flag, the tax ids); and ``bank_account`` (the bank
details), or any other top-level field the hub file lists.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from crossdock.config.customers import Approvals
from crossdock.errors import InvalidInput


def _amount(value: Any, field: str) -> Decimal | None:
    if value is None:
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise InvalidInput(f"{value!r} is not an amount", field=field) from None


def _exemptions(data: Mapping[str, Any]) -> tuple[Any, Any]:
    sites = data.get("sites") or []
    return (
        sorted((s.get("code"), s["tax_exempt"]) for s in sites if s.get("tax_exempt") is not None),
        data.get("tax_ids") or [],
    )


def credit_increase_waits(rules: Approvals, before: Any, after: Any) -> bool:
    old, new = _amount(before, "credit_limit"), _amount(after, "credit_limit")
    if new is None or (old is not None and new <= old):
        return False
    rise = new - (old or Decimal(0))
    if rules.credit_limit_increase is not None and rise > rules.credit_limit_increase:
        return True
    if rules.credit_limit_increase_pct is not None:
        if not old:
            return rules.credit_limit_increase is None  # from nothing: any percentage
        return rise * 100 / old > rules.credit_limit_increase_pct
    return False


def sensitive_fields(rules: Approvals) -> frozenset[str]:
    """The top-level fields :func:`waiting_fields` may hold (a change touching none waits not)."""
    names = {"credit_limit", *rules.fields}
    if "tax_exempt" in rules.fields:
        names |= {"sites", "tax_ids"}
    return frozenset(names)


def waiting_fields(
    rules: Approvals, current: Mapping[str, Any], change: Mapping[str, Any]
) -> list[str]:
    """The top-level fields of ``change`` that wait for approval, in the change's order."""
    wait: list[str] = []
    for name, value in change.items():
        if current.get(name) == value:
            continue
        if name == "credit_limit":
            if credit_increase_waits(rules, current.get(name), value):
                wait.append(name)
        elif name in rules.fields:
            wait.append(name)
        elif "tax_exempt" in rules.fields and name in ("sites", "tax_ids"):
            merged = {**current, name: value}
            if _exemptions(merged) != _exemptions(current):
                wait.append(name)
    return wait


__all__ = ["credit_increase_waits", "sensitive_fields", "waiting_fields"]
