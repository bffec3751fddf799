"""The ownership matrix: per entity and field path, which system is the system of record.

The most specific glob in ``ownership.<entity>.fields`` names a field's
owner; otherwise the entity's ``owner`` does. A system that owns nothing it
sends is a non-owner, and the entity's ``non_owner`` policy says what
happens: ``reject`` (refused, and an exception names the field when the
value differs), ``ignore`` (dropped silently) or ``propose`` (a pending
change a person approves). An entity with no ownership entry has no system
of record: every system may write, and the latest source time wins; a field
owned by ``"*"`` is shared in the same way within an owned entity.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from crossdock.config.hub import EntityOwnership, NonOwnerPolicy
from crossdock.model.base import EntityType
from crossdock.model.paths import glob_matches, glob_specificity

DELETED = "_deleted"
"""The pseudo-field a delete sets: owned by the entity's default owner."""

ANY_SYSTEM = "*"
"""An owner that means "shared": every system may write the field, the latest source time wins."""


class Verdict(StrEnum):
    APPLY = "apply"
    REJECT = "reject"
    IGNORE = "ignore"
    PROPOSE = "propose"


class OwnershipMatrix:
    """Answers "may this system set this field?" with a cached lookup per (entity, path)."""

    def __init__(self, ownership: Mapping[EntityType, EntityOwnership]) -> None:
        self._rules = dict(ownership)
        self._globs = {
            entity: sorted(
                rule.fields.items(), key=lambda kv: glob_specificity(kv[0]), reverse=True
            )
            for entity, rule in self._rules.items()
        }
        self._owner_cache: dict[tuple[EntityType, str], str | None] = {}
        self._verdicts: dict[tuple[EntityType, str, str], Verdict] = {}
        self._tables: dict[tuple[EntityType, str], dict[str, Verdict]] = {}

    def owner(self, entity_type: EntityType, path: str) -> str | None:
        """The owning system of a field, or ``None`` when the entity has no system of record."""
        key = (entity_type, path)
        try:
            return self._owner_cache[key]
        except KeyError:
            pass
        rule = self._rules.get(entity_type)
        found: str | None = None
        if rule is not None:
            found = rule.owner
            if path != DELETED:
                for glob, system in self._globs[entity_type]:
                    if glob_matches(glob, path):
                        found = system
                        break
        self._owner_cache[key] = found
        return found

    def verdict_table(self, entity_type: EntityType, system: str) -> dict[str, Verdict]:
        """Verdicts by path for one sender, filled as paths are met (the merge's hot lookup).

        Keyed by path alone: hashing an Enum member runs Python code, and the merge
        looks up every field of every change.
        """
        key = (entity_type, system)
        table = self._tables.get(key)
        if table is None:
            table = self._tables[key] = {}
        return table

    def verdict(self, entity_type: EntityType, path: str, system: str) -> Verdict:
        key = (entity_type, path, system)
        found = self._verdicts.get(key)
        if found is None:
            found = self._verdicts[key] = self._decide(entity_type, path, system)
        return found

    def _decide(self, entity_type: EntityType, path: str, system: str) -> Verdict:
        owner = self.owner(entity_type, path)
        if owner is None or owner in (system, ANY_SYSTEM):
            return Verdict.APPLY
        policy = self._rules[entity_type].non_owner
        if policy is NonOwnerPolicy.IGNORE:
            return Verdict.IGNORE
        if policy is NonOwnerPolicy.PROPOSE:
            return Verdict.PROPOSE
        return Verdict.REJECT

    def may_create(self, entity_type: EntityType, system: str) -> bool:
        rule = self._rules.get(entity_type)
        if rule is None or rule.create is None:
            return True
        return system in rule.create

    def may_delete(self, entity_type: EntityType, system: str) -> bool:
        return self.verdict(entity_type, DELETED, system) is Verdict.APPLY


__all__ = ["ANY_SYSTEM", "DELETED", "OwnershipMatrix", "Verdict"]
