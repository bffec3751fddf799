"""Through the whole ingest and a real store: order and duplication never change the outcome.

The domain: several systems, each sending the product's SKU (a shared identity
field) with fields it may or may not own, and deletes. A delete that reaches the
hub before the create of its record leaves a bare tombstone (no data, no SKU);
when that create arrives after another system created the same SKU, the
tombstone is folded into that record, so every order ends the same.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crossdock.config.hub import EntityOwnership, HubConfig, NonOwnerPolicy, SystemConfig
from crossdock.model.base import EntityType
from crossdock.model.change import Change, ChangeOp
from crossdock.store import Store
from crossdock.sync.ingest import Ingestor

P = EntityType.PRODUCT
T0 = datetime(2026, 1, 1, tzinfo=UTC)
HUB = HubConfig(
    systems=[SystemConfig(name=n, kind="files") for n in ("erp", "pim", "shop")],
    ownership={
        P: EntityOwnership(
            owner="erp",
            fields={"sku": "*", "description": "pim", "channels": "shop"},
            non_owner=NonOwnerPolicy.REJECT,
        )
    },
)

change_st = st.builds(
    lambda system, n, minute, data, delete, key: Change(
        system=system,
        entity_type=P,
        native_id=f"{system}-{n}",
        op=ChangeOp.DELETE if delete else ChangeOp.UPSERT,
        data={} if delete else {"sku": f"SKU-{n}", **data},
        source_ts=T0 + timedelta(minutes=minute),
        idempotency_key=key,
    ),
    st.sampled_from(["erp", "pim", "shop"]),
    st.integers(0, 3),
    st.integers(0, 5),
    st.fixed_dictionaries(
        {},
        optional={
            "description": st.sampled_from(["a", "b", None]),
            "cost": st.sampled_from(["1.00", "2.50", None]),
            "weight": st.one_of(st.none(), st.fixed_dictionaries({"value": st.just("1.5")})),
            "channels": st.sampled_from([["web"], ["web", "edi"], []]),
        },
    ),
    st.integers(0, 3).map(lambda n: n == 0),  # a delete, one change in four
    st.one_of(st.none(), st.text("abc", min_size=1, max_size=3)),
)


def canonical_state(changes: list[Change], batch: int) -> dict[str, Any]:
    store = Store.open("sqlite://")
    Ingestor(store, HUB, batch_size=batch).ingest(changes)
    state: dict[str, Any] = {}
    bare = 0  # tombstones of deletes whose create never came: nothing names them but a native id
    for r in store.records.page(P, include_deleted=True):
        if "sku" in r.data:
            assert r.data["sku"] not in state, "one SKU, one record"
            state[r.data["sku"]] = (r.deleted, r.data)
        else:
            assert r.deleted and not r.data
            bare += 1
    store.close()
    return {"records": state, "bare tombstones": bare}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(change_st, min_size=1, max_size=12),
    st.randoms(use_true_random=False),
    st.integers(1, 5),
)
def test_any_order_and_duplication_yield_the_same_canonical_state(
    changes: list[Change], rnd: Any, batch: int
) -> None:
    # Idempotency keys name one change each: two different changes never share one.
    keyed: dict[tuple[str, str], Change] = {}
    unique: list[Change] = []
    for c in changes:
        if c.idempotency_key is None or (c.system, c.idempotency_key) not in keyed:
            if c.idempotency_key is not None:
                keyed[(c.system, c.idempotency_key)] = c
            unique.append(c)
    expected = canonical_state(unique, 100)
    shuffled = unique + rnd.sample(unique, k=min(len(unique), 4))
    rnd.shuffle(shuffled)
    assert canonical_state(shuffled, batch) == expected
