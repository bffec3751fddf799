r"""Checks on free-form JSON the API accepts (record data), for pydantic validators.

The rule itself (depth, finite numbers, real text) is the connector kit's
:mod:`~crossdock.connectors.kit.limits`, shared by every inbound path; here it
raises ``ValueError`` so a model field refuses the value with a 422 naming it.
"""

from __future__ import annotations

from typing import Any

from crossdock.connectors.kit.limits import MAX_DEPTH, problem_in


def check_json(value: Any, path: str = "") -> None:
    """Raise ``ValueError`` naming the first place ``value`` cannot be kept as JSON."""
    found = problem_in(value, path)
    if found is not None:
        where, reason = found
        raise ValueError(f"{reason} at {where}" if where else reason)


__all__ = ["MAX_DEPTH", "check_json"]
