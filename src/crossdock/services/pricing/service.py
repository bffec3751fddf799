"""The pricing service: the index kept current with the store, and the questions it answers.

Cache correctness: the index carries the outbox position (``seq``) it has
seen. Before every answer the service reads the store's last committed
``seq`` (one primary-key lookup); if it moved, the price-relevant events
after the index's position (products, price lists, customers) are read and
exactly those records are reloaded into the index. The outbox's sequence
order equals commit order (see ``WriteTx.lock_outbox``), so a quote never
answers from a state older than every change committed before it began:
no quote returns a price that a committed change has superseded, on any API
node, since each node checks the shared store.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from pydantic import ValidationError

from crossdock.config.pricing import PricingConfig
from crossdock.model.base import EntityType
from crossdock.model.customer import Customer
from crossdock.model.price_list import PriceList
from crossdock.model.product import Product
from crossdock.services.pricing.engine import Engine
from crossdock.services.pricing.index import PriceIndex
from crossdock.services.pricing.results import (
    LineProblem,
    PricedLine,
    Quote,
    QuoteLine,
    QuoteRequest,
)
from crossdock.services.pricing.turns import Timed
from crossdock.store import Store, StoredRecord

FREEZE_EVERY = 1000
"""Plans compiled between two freezes of the heap (:meth:`PricingService._settle`)."""
PRICE_ENTITIES = (EntityType.PRODUCT, EntityType.PRICE_LIST, EntityType.CUSTOMER)
"""The entity types whose changes can change a price."""


@dataclass(frozen=True, slots=True)
class PriceChange:
    """Whose prices a committed change may have moved; ``None`` means all."""

    seq: int
    entity_type: EntityType
    entity_id: str
    customers: list[str] | None
    skus: list[str] | None


class PricingService:
    """Quotes, price books and price-change impacts for one store and one policy."""

    def __init__(self, store: Store, config: PricingConfig) -> None:
        self.store = store
        self.config = config
        self._lock = threading.RLock()
        self._index: PriceIndex | None = None
        self._engine: Engine | None = None
        self.seq = 0
        self.reloads = 0
        self._frozen = 0

    # -- keeping current ----------------------------------------------------------------
    def refresh(self) -> Engine:
        """The engine over an index that includes every change committed so far."""
        last = self.store.outbox.last_seq()
        with self._lock:
            if self._engine is None:
                self._load()
            elif last > self.seq:
                self._apply(last)
            assert self._engine is not None
            return self._engine

    @property
    def index(self) -> PriceIndex:
        return self.refresh().index

    def _load(self) -> None:
        seq = self.store.outbox.last_seq()  # read first: later changes are re-applied, harmlessly
        index = PriceIndex(self.config.default_currency)
        for rec in self.store.records.iter(EntityType.PRODUCT):
            _put(index, rec)
        locked = []
        for rec in self.store.records.iter(EntityType.PRICE_LIST):
            if rec.data.get("locked_at"):
                locked.append(rec)  # after every list it may refer to
            else:
                _put(index, rec)
        for rec in locked:
            _put(index, rec, self.store)
        for rec in self.store.records.iter(EntityType.CUSTOMER):
            _put(index, rec)
        self._index = index
        self._engine = Engine(index, self.config)
        self._frozen = 0
        self.seq = seq
        # The index is a large, long-lived heap: keep the cyclic collector from walking it
        # on every full collection (a 100k-SKU index made those the API's p99 pauses).
        gc.collect()
        gc.freeze()

    def _apply(self, last: int, limit: int = 5000) -> None:
        """Apply the price-relevant changes after ``self.seq``; ``last`` was read before.

        Every event up to ``last`` committed before ``last`` was read (outbox
        order is commit order), so once a page comes back short, the index has
        every price-relevant change up to ``last`` and may say so.
        """
        assert self._index is not None
        while True:
            refs = self.store.records.changed_after(self.seq, PRICE_ENTITIES, limit=limit)
            if not refs:
                self.seq = max(self.seq, last)
                return
            by_type: dict[EntityType, list[str]] = {}
            for _, etype, eid in refs:
                by_type.setdefault(etype, []).append(eid)
            # products first: list entries compile against them
            for etype in PRICE_ENTITIES:
                ids = sorted(set(by_type.get(etype, [])))
                if not ids:
                    continue
                found = self.store.records.get_many(etype, ids)
                for rid in ids:
                    rec = found.get(rid)
                    if rec is None:
                        _drop(self._index, etype, rid)
                    else:
                        _put(self._index, rec, self.store)
            self.reloads += len(refs)
            if len(refs) < limit:
                self.seq = max(self.seq, last, refs[-1][0])
                return
            self.seq = refs[-1][0]

    # -- questions ------------------------------------------------------------------------
    def quote(self, request: QuoteRequest, *, explain: bool = False) -> Quote:
        engine = self.refresh()
        with self._lock:
            try:
                return engine.quote(request, explain=explain)
            finally:
                self._settle(engine)

    def _settle(self, engine: Engine) -> None:
        """Freeze what the engine compiled since the last time, as :meth:`_load` does the index.

        The plans and entries an engine compiles on first use are long-lived
        too; left to the cyclic collector, each full collection walks all of
        them (over 100 ms at 100k SKUs, the API's p99). They hold no cycles:
        when the index changes they go by reference counting, frozen or not.
        """
        if engine.compiled - self._frozen >= FREEZE_EVERY:
            gc.freeze()
            self._frozen = engine.compiled

    def tiers(self, skus: Iterable[str]) -> dict[str, tuple[list[Decimal], dict[str, Decimal]]]:
        """Where each SKU's price may change with quantity or unit, for publishing.

        Per SKU some list prices so: the break quantities above one (base
        units) of every list that prices it, and the larger units some list
        prices itself (with their factors). A superset: whether a customer's
        price really changes there is the quote's to say. One refresh for all.
        """
        engine = self.refresh()
        out: dict[str, tuple[list[Decimal], dict[str, Decimal]]] = {}
        with self._lock:
            for sku in skus:
                product = engine.index.products.get(sku)
                if product is None:
                    continue
                points: set[Decimal] = set()
                units: dict[str, Decimal] = {}
                for priced in engine.index.entries(sku).values():
                    found = priced.entries if isinstance(priced, Timed) else (priced,)
                    for entry in found:
                        if entry is None:
                            continue
                        points.update(m for m in entry.mins if m > 1)
                        if entry.unit and entry.unit != product.base_uom:
                            factor = product.factors.get(entry.unit)
                            if factor is not None:
                                units[entry.unit] = factor
                if points or units:
                    out[sku] = (sorted(points), units)
        return out

    def book(
        self, request: QuoteRequest, *, batch: int = 1000
    ) -> Iterator[tuple[str, PricedLine | LineProblem]]:
        """Every sellable SKU (for the request's channel) at one base unit, for channel sync.

        ``request.lines`` is ignored; the request's context is checked before
        the first line (an unknown customer raises at once).
        """
        engine = self.refresh()
        with self._lock:
            engine.context(request)
            skus = sorted(
                p.sku
                for p in engine.index.products.values()
                if p.sellable and (not p.channels or request.channel in p.channels)
            )
        for i in range(0, len(skus), batch):
            lines = [QuoteLine(sku, Decimal(1)) for sku in skus[i : i + batch]]
            part = QuoteRequest(
                request.customer,
                lines,
                request.ship_to,
                request.channel,
                request.currency,
                request.at,
                request.on,
            )
            engine = self.refresh()
            with self._lock:
                answered = engine.quote(part)
                self._settle(engine)
            for line, answer in zip(lines, answered.lines, strict=True):
                yield line.sku, answer

    def changes(self, after: int, *, limit: int = 500) -> tuple[list[PriceChange], int]:
        """Whose prices moved with the price-relevant changes after ``after``; and the next cursor.

        A product change (cost, units, list price) may move every customer's
        price of that SKU; a price list change moves the book of the
        customers its scope names (all, for a list open to everyone); a
        customer change (group, tier, assigned lists, sites) moves that
        customer's whole book.
        """
        engine = self.refresh()
        last = self.store.outbox.last_seq()
        refs = self.store.records.changed_after(after, PRICE_ENTITIES, limit=limit)
        out: list[PriceChange] = []
        with self._lock:
            index = engine.index
            for seq, etype, eid in refs:
                out.append(_impact(index, seq, etype, eid))
        # short of the limit, every price-relevant change up to ``last`` is in ``refs``
        full = len(refs) == limit
        nxt = refs[-1][0] if full else max(after, last, refs[-1][0] if refs else 0)
        return out, nxt


def _impact(index: PriceIndex, seq: int, etype: EntityType, eid: str) -> PriceChange:
    if etype is EntityType.CUSTOMER:
        found = index.customer(eid)
        return PriceChange(seq, etype, eid, [found.account] if found else [], None)
    if etype is EntityType.PRODUCT:
        sku = index.sku_of(eid)
        return PriceChange(seq, etype, eid, None, [sku] if sku is not None else [])
    pl = index.lists.get(eid)
    if pl is None or pl.general:
        return PriceChange(seq, etype, eid, None, None)
    names = set(pl.customers)
    for c in index.customers.values():
        if (
            (c.group is not None and c.group in pl.groups)
            or (c.tier is not None and c.tier in pl.tiers)
            or pl.code in c.assigned
        ):
            names.add(c.account)
    return PriceChange(seq, etype, eid, sorted(names), None)


_MODELS: dict[EntityType, Any] = {
    EntityType.PRODUCT: Product,
    EntityType.PRICE_LIST: PriceList,
    EntityType.CUSTOMER: Customer,
}


def _lock(store: Store, index: PriceIndex, plist: PriceList, depth: int = 0) -> PriceList:
    """A locked list whose ``base_list`` references point at frozen copies.

    Each list it refers to is read as the hub held it at ``locked_at`` (the
    outbox keeps every version) and put in the index under
    ``code@instant``, never eligible itself; the copies' own references are
    frozen at the same instant. A reference the store cannot date stays live.
    """
    at = plist.locked_at
    if at is None:
        return plist
    stamp = at.isoformat()
    mapping: dict[str, str] = {}
    for code in sorted({e.base_list for e in plist.entries if e.base_list}):
        rid = index.list_ids.get(code) or store.crosswalk.find_by_key(
            EntityType.PRICE_LIST, "code", code
        )
        data = store.records.as_of(EntityType.PRICE_LIST, rid, at) if rid else None
        if rid is None or data is None:
            continue
        try:
            then = PriceList.model_validate(data)
        except ValidationError:
            continue
        then = then.model_copy(update={"code": f"{code}@{stamp}", "locked_at": at})
        if depth < 3:
            then = _lock(store, index, then, depth + 1)
        index.put_list(f"{rid}@{stamp}", 0, then, eligible=False)
        mapping[code] = f"{code}@{stamp}"
    entries = [
        e.model_copy(update={"base_list": mapping[e.base_list]}) if e.base_list in mapping else e
        for e in plist.entries
    ]
    return plist.model_copy(update={"entries": entries})


def _put(index: PriceIndex, rec: StoredRecord, store: Store | None = None) -> None:
    if rec.deleted:
        _drop(index, rec.entity_type, rec.id)
        return
    try:
        model = _MODELS[rec.entity_type].model_validate(rec.data)
    except ValidationError as exc:
        index.problems[rec.id] = f"{rec.entity_type.value} {rec.id} is not priceable: {exc}"
        _drop(index, rec.entity_type, rec.id)
        return
    index.problems.pop(rec.id, None)
    if rec.entity_type is EntityType.PRODUCT:
        index.put_product(rec.id, rec.version, model)
    elif rec.entity_type is EntityType.PRICE_LIST:
        if store is not None and model.locked_at is not None:
            model = _lock(store, index, model)
        index.put_list(rec.id, rec.version, model)
    else:
        index.put_customer(rec.id, rec.version, model)


def _drop(index: PriceIndex, etype: EntityType, rid: str) -> None:
    if etype is EntityType.PRODUCT:
        index.put_product(rid, 0, None)
    elif etype is EntityType.PRICE_LIST:
        index.put_list(rid, 0, None)
    else:
        index.put_customer(rid, 0, None)


__all__ = ["PRICE_ENTITIES", "PriceChange", "PricingService"]
