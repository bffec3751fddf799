"""What a merge touches and an unmerge must put back: records, links, keys, orders, lists, sites."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from crossdock.app import Application
from crossdock.model.base import EntityType

CUS = EntityType.CUSTOMER


def merge_state(
    app: Application,
    ids: Sequence[str],
    accounts: Sequence[str],
    orders: Sequence[str],
    lists: Sequence[str] = (),
) -> dict[str, Any]:
    """Everything of ``ids`` a merge changes, in comparable form (versions left out)."""
    store = app.hub.store
    with store.write() as tx:
        site_links = store.customer_merges.site_links(tx, list(ids))
    records = {}
    for rid in ids:
        rec = store.records.get(CUS, rid)
        assert rec is not None
        records[rid] = (rec.data, rec.provenance, rec.deleted)
    return {
        "records": records,
        "links": {rid: sorted(store.crosswalk.native_ids(CUS, rid)) for rid in ids},
        "keys": {a: store.crosswalk.find_by_key(CUS, "account_number", a) for a in accounts},
        "orders": {o: store.orders.get(o).customer_id for o in orders},  # type: ignore[union-attr]
        "match_keys": {rid: store.customer_match.keys_of(rid) for rid in ids},
        "price_lists": {lid: _list(app, lid) for lid in lists},
        "site_links": site_links,
    }


def _list(app: Application, list_id: str) -> tuple[Any, Any]:
    rec = app.hub.store.records.get(EntityType.PRICE_LIST, list_id)
    assert rec is not None
    return rec.data, rec.provenance
