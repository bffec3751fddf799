"""Field masking where data leaves through the API: records, the feed, price explanations.

What is masked for whom is the hub file's ``masking:`` section
(:mod:`crossdock.config.masking`); this module applies it to what the API
answers, for the key that asked (:attr:`crossdock.api.auth.Principal.viewer`).
"""

from __future__ import annotations

from typing import Any

from crossdock.config.masking import MaskingConfig, Viewer, mask_paths, masked_path, visible_paths
from crossdock.model.base import EntityType
from crossdock.services.pricing.explain import without_cost

_MARGIN_FLOOR = "margin_floor"


class Mask:
    """What one viewer may not see of one entity type, worked out once per answer."""

    __slots__ = ("hidden",)

    def __init__(self, masking: MaskingConfig, entity_type: EntityType, viewer: Viewer) -> None:
        self.hidden = masking.hidden(entity_type, viewer)

    def data(self, data: dict[str, Any]) -> dict[str, Any]:
        return mask_paths(data, self.hidden) if self.hidden else data

    def provenance(self, provenance: dict[str, Any]) -> dict[str, Any]:
        """Provenance without the masked paths (their stamps tell of them)."""
        if not self.hidden:
            return provenance
        return {p: provenance[p] for p in visible_paths(provenance, self.hidden)}

    def changed(self, changed: list[str]) -> list[str]:
        return visible_paths(changed, self.hidden) if self.hidden else changed


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


__all__ = ["Mask", "cost_hidden", "quote_lines_without_cost"]
