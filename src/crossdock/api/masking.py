"""Field masking where data leaves through the API: records, the feed, price explanations.

What is masked for whom is the hub file's ``masking:`` section
(:mod:`crossdock.config.masking`); this module applies it to what the API
answers, for the key that asked (:attr:`crossdock.api.auth.Principal.viewer`).
"""

from __future__ import annotations

from typing import Any

from crossdock.config.masking import MaskingConfig, Viewer, mask_paths, masked_path
from crossdock.model.base import EntityType
from crossdock.services.pricing.explain import without_cost

_MARGIN_FLOOR = "margin_floor"


def masked_data(
    masking: MaskingConfig, entity_type: EntityType, data: dict[str, Any], viewer: Viewer
) -> dict[str, Any]:
    hidden = masking.hidden(entity_type, viewer)
    return mask_paths(data, hidden) if hidden else data


def masked_provenance(
    masking: MaskingConfig, entity_type: EntityType, provenance: dict[str, Any], viewer: Viewer
) -> dict[str, Any]:
    """Provenance without the paths the viewer may not see (their stamps tell of them)."""
    hidden = masking.hidden(entity_type, viewer)
    if not hidden:
        return provenance
    return {p: v for p, v in provenance.items() if not masked_path(p, hidden)}


def masked_changed(
    masking: MaskingConfig, entity_type: EntityType, changed: list[str], viewer: Viewer
) -> list[str]:
    hidden = masking.hidden(entity_type, viewer)
    return [p for p in changed if not masked_path(p, hidden)] if hidden else changed


def cost_hidden(masking: MaskingConfig, viewer: Viewer) -> bool:
    """Whether a product's cost is masked for ``viewer`` (then the margin floor is unexplained)."""
    return masked_path("cost", masking.hidden(EntityType.PRODUCT, viewer))


def quote_lines_without_cost(lines: list[dict[str, Any]]) -> None:
    """Take the cost behind the margin floor out of answered quote lines, in place."""
    for line in lines:
        rules = [line["rule"], *line.get("candidates", ())] if "rule" in line else []
        for rule in rules:
            if "detail" in rule:
                rule["detail"] = without_cost(rule["detail"])
            if rule.get("kind") == _MARGIN_FLOOR and rule.get("outcome") != "won":
                rule["unit_price"] = None  # the floor price is cost times a known percent


__all__ = [
    "cost_hidden",
    "masked_changed",
    "masked_data",
    "masked_provenance",
    "quote_lines_without_cost",
]
