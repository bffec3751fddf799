"""Who may do what: the operations and entities each role and each system may use.

A key belongs to a system (``crossdock keys create --system portal``) or to a
person with a role (``--role steward``). What it may do is read here, from
the hub file, every time the key is checked, so changing a role changes
every key that carries it without reissuing one.

Operations, each a separate right: ``read`` (records, feeds, status),
``write`` (send changes, stock events, reservations), ``operate`` (work
exceptions and parked deliveries, replays), ``approve`` (decide proposals)
and ``admin`` (everything, keys and sweeps included). ``entities`` limits a
role or system to some entity types (globs over the type names; default all).

A system named nowhere here reads and writes every entity: that is what a
system's key was for before roles existed, and the ownership matrix still
decides which fields its writes may change.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from crossdock.model.paths import any_glob_matches


class Operation(StrEnum):
    READ = "read"
    WRITE = "write"
    OPERATE = "operate"
    APPROVE = "approve"
    ADMIN = "admin"


class AccessRule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    operations: list[Operation] = Field(min_length=1)
    entities: list[str] = Field(
        default_factory=lambda: ["*"], description="entity type globs this rule covers"
    )

    def allows_entity(self, entity_type: str) -> bool:
        return any_glob_matches(self.entities, entity_type)


def _default_roles() -> dict[str, AccessRule]:
    return {
        "viewer": AccessRule(operations=[Operation.READ]),
        "operator": AccessRule(operations=[Operation.READ, Operation.OPERATE]),
        "steward": AccessRule(operations=[Operation.READ, Operation.OPERATE, Operation.APPROVE]),
        "admin": AccessRule(operations=[Operation.ADMIN]),
    }


SYSTEM_DEFAULT = AccessRule(operations=[Operation.READ, Operation.WRITE])
"""What a system's key may do when the hub file does not say."""


class AccessConfig(BaseModel):
    """The ``access:`` section of the hub file."""

    model_config = ConfigDict(extra="forbid")

    roles: dict[str, AccessRule] = Field(
        default_factory=_default_roles,
        description="person roles; the defaults are viewer, operator, steward and admin",
    )
    systems: dict[str, AccessRule] = Field(
        default_factory=dict,
        description="per system (by name); a system not named reads and writes every entity",
    )

    def for_system(self, system: str) -> AccessRule:
        return self.systems.get(system, SYSTEM_DEFAULT)

    def for_role(self, role: str) -> AccessRule | None:
        return self.roles.get(role)


__all__ = ["SYSTEM_DEFAULT", "AccessConfig", "AccessRule", "Operation"]
