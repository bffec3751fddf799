"""The base every canonical entity shares: its type, its identity and its natural keys.

A canonical record is a pydantic model. In the store it lives as its JSON
form (``model_dump(mode="json")``, so ``Decimal`` travels as a string and
never as a float) together with a version and per-field provenance, which
are the store's business and not fields of the model.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict


class EntityType(StrEnum):
    """Every kind of record the hub keeps."""

    CUSTOMER = "customer"
    PRODUCT = "product"
    PRICE_LIST = "price_list"
    INVENTORY = "inventory"
    ORDER = "order"
    SHIPMENT = "shipment"
    INVOICE = "invoice"
    CUSTOMER_PRICE = "customer_price"


class CanonicalModel(BaseModel):
    """Strict-ish pydantic base for canonical values: unknown fields are errors."""

    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        validate_assignment=False,
        use_enum_values=False,
        ser_json_inf_nan="strings",
    )


class CanonicalEntity(CanonicalModel):
    """A top-level record. Subclasses set ``entity_type`` and ``id_prefix``.

    ``natural_keys`` returns ``(kind, value)`` pairs that identify a record
    across systems without the crosswalk (a product's SKU and GTINs, a
    customer's account number). Ingest uses them when a system's native id
    has never been seen.
    """

    entity_type: ClassVar[EntityType]
    id_prefix: ClassVar[str]
    #: Fields that name the record (what :meth:`natural_keys` reads). Ownership never
    #: withholds them from a record that has none yet: naming a record is not owning it.
    identity_fields: ClassVar[tuple[str, ...]] = ()
    #: Lists of other records' natural keys this entity holds, by dotted path ->
    #: (the entity named, the key kind): ingest renames a key a merge moved
    #: (:mod:`crossdock.sync.references`).
    references: ClassVar[dict[str, tuple[EntityType, str]]] = {}
    #: Lists of customers' ship-to site codes, by dotted path -> the path of the
    #: references naming the customers whose sites they are: ingest renames a code
    #: a customer merge joined into another site (:mod:`crossdock.sync.references`).
    site_references: ClassVar[dict[str, str]] = {}

    @classmethod
    def natural_keys(cls, data: Mapping[str, Any]) -> list[tuple[str, str]]:
        """Natural keys found in a (possibly partial) JSON-form record."""
        return []

    @classmethod
    def transition_problem(
        cls, before: Mapping[str, Any], after: Mapping[str, Any]
    ) -> tuple[str, str] | None:
        """``(field, reason)`` when going from ``before`` to ``after`` breaks a lifecycle.

        Both are flat field maps of the stored record and the merged one. Entities
        without a lifecycle accept every move.
        """
        return None


__all__ = ["CanonicalEntity", "CanonicalModel", "EntityType"]
