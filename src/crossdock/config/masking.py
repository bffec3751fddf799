"""Field masking: which fields of which entity a system or a role may not see.

Per entity type, a field path glob carries either ``visible_to`` (only the
systems and roles named see it) or ``hidden_from`` (every one sees it but
the systems and roles named). The name ``channels`` in either list stands
for every system the section lists under ``channels`` (the portal, the
shop, marketplaces: the systems that face customers).

Without a ``masking:`` section, product cost and customer credit, payment
terms and bank details are hidden from the channels (and no system is a
channel until the hub file names it one). An admin key sees everything.

The masking applies wherever data leaves the hub for a key or a system:
record reads, the event feed, price explanations, and every delivery on a
route (whatever the route's ``fields`` say; a route that names a field its
destination may not see is refused when the hub file is loaded).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from crossdock.model.base import EntityType
from crossdock.model.paths import any_glob_matches

CHANNELS = "channels"
"""In a rule's list: every system the masking section names as a channel."""


class MaskRule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    visible_to: list[str] | None = Field(
        default=None, description="only these systems and roles see the field"
    )
    hidden_from: list[str] | None = Field(
        default=None, description="these systems and roles do not see the field"
    )

    @model_validator(mode="after")
    def _one_list(self) -> MaskRule:
        if (self.visible_to is None) == (self.hidden_from is None):
            raise ValueError("a masking rule has exactly one of visible_to or hidden_from")
        return self


def _hidden_from_channels() -> MaskRule:
    return MaskRule(hidden_from=[CHANNELS])


def _default_fields() -> dict[EntityType, dict[str, MaskRule]]:
    return {
        EntityType.PRODUCT: {"cost": _hidden_from_channels()},
        EntityType.CUSTOMER: {
            "credit_limit": _hidden_from_channels(),
            "credit_hold": _hidden_from_channels(),
            "payment_terms": _hidden_from_channels(),
            "bank*": _hidden_from_channels(),
        },
    }


@dataclass(frozen=True, slots=True)
class Viewer:
    """Who data leaves the hub for: a system, a person's role, or an admin."""

    system: str | None = None
    role: str | None = None
    admin: bool = False

    @property
    def names(self) -> frozenset[str]:
        return frozenset(n for n in (self.system, self.role) if n)


ADMIN = Viewer(admin=True)
"""Sees every field: the operator at the command line, an admin key."""


class MaskingConfig(BaseModel):
    """The ``masking:`` section of the hub file."""

    model_config = ConfigDict(extra="forbid")

    channels: list[str] = Field(
        default_factory=list, description="systems that face customers (the name 'channels')"
    )
    fields: dict[EntityType, dict[str, MaskRule]] = Field(
        default_factory=_default_fields,
        description="per entity type: field path glob -> who may see it",
    )

    def _hides(self, rule: MaskRule, viewer: Viewer) -> bool:
        names = set(viewer.names)
        if viewer.system is not None and viewer.system in self.channels:
            names.add(CHANNELS)
        if rule.visible_to is not None:
            return not names & set(rule.visible_to)
        return bool(names & set(rule.hidden_from or ()))

    def hidden(self, entity_type: EntityType, viewer: Viewer) -> tuple[str, ...]:
        """The field globs of ``entity_type`` that ``viewer`` may not see."""
        if viewer.admin:
            return ()
        rules = self.fields.get(entity_type, {})
        return tuple(glob for glob, rule in rules.items() if self._hides(rule, viewer))


def mask_paths(data: Mapping[str, Any], globs: tuple[str, ...], prefix: str = "") -> dict[str, Any]:
    """``data`` without the dotted paths the globs match (lists are walked, not indexed)."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        path = f"{prefix}{key}"
        if any_glob_matches(globs, path):
            continue
        if isinstance(value, Mapping):
            out[key] = mask_paths(value, globs, path + ".")
        elif isinstance(value, list):
            out[key] = [
                mask_paths(v, globs, path + ".") if isinstance(v, Mapping) else v for v in value
            ]
        else:
            out[key] = value
    return out


def masked_path(path: str, globs: tuple[str, ...]) -> bool:
    """Whether a dotted path, or an object it lies in, is masked."""
    parts = path.split(".")
    return any(any_glob_matches(globs, ".".join(parts[: i + 1])) for i in range(len(parts)))


def visible_paths(paths: Iterable[str], globs: tuple[str, ...]) -> list[str]:
    """The dotted paths the globs do not mask, in their order."""
    return [p for p in paths if not masked_path(p, globs)]


__all__ = [
    "ADMIN",
    "CHANNELS",
    "MaskRule",
    "MaskingConfig",
    "Viewer",
    "mask_paths",
    "masked_path",
    "visible_paths",
]
