"""Product ids of a partner resolved against the hub's store (the crosswalk and natural keys)."""

from __future__ import annotations

from crossdock.model.base import EntityType
from crossdock.store.facade import Store


class StoreLookup:
    """SKUs by SKU, by the partner's own part number (crosswalk), by GTIN (natural key)."""

    def __init__(self, store: Store, system: str) -> None:
        self.store = store
        self.system = system

    def _sku_of(self, record_id: str | None) -> str | None:
        if record_id is None:
            return None
        rec = self.store.records.get(EntityType.PRODUCT, record_id)
        if rec is None or rec.deleted:
            return None
        sku = rec.data.get("sku")
        return sku if isinstance(sku, str) else None

    def by_sku(self, sku: str) -> str | None:
        return self._sku_of(self.store.crosswalk.find_by_key(EntityType.PRODUCT, "sku", sku))

    def by_partner_id(self, part: str) -> str | None:
        return self._sku_of(self.store.crosswalk.resolve(self.system, EntityType.PRODUCT, part))

    def partner_part(self, sku: str) -> str | None:
        """The partner's own part number for a SKU (its crosswalk entry), if it has one."""
        product = self.store.crosswalk.find_by_key(EntityType.PRODUCT, "sku", sku)
        if product is None:
            return None
        mine = [
            n
            for s, n in self.store.crosswalk.native_ids(EntityType.PRODUCT, product)
            if s == self.system
        ]
        return mine[0] if mine else None

    def order_customer(self, order_number: str) -> str | None:
        """The customer account of the hub's order with this number, if there is one."""
        rid = self.store.crosswalk.find_by_key(EntityType.ORDER, "order_number", order_number)
        rec = self.store.records.get(EntityType.ORDER, rid) if rid else None
        account = rec.data.get("customer_account") if rec is not None else None
        return account if isinstance(account, str) else None

    def by_gtin(self, gtin: str) -> str | None:
        if not gtin.isdigit() or len(gtin) > 14:
            return None
        key = gtin.zfill(14)
        return self._sku_of(self.store.crosswalk.find_by_key(EntityType.PRODUCT, "gtin", key))


__all__ = ["StoreLookup"]
