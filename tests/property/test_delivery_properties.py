"""After delivery, what a destination holds equals the canonical projection."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crossdock.config.hub import EntityOwnership, HubConfig, RetryPolicy, RouteConfig, SystemConfig
from crossdock.errors import RetryableError
from crossdock.model.base import EntityType
from crossdock.model.change import Change, ChangeOp
from crossdock.store import Store
from crossdock.sync.delivery import RouteWorker
from crossdock.sync.ingest import Ingestor
from crossdock.sync.projection import project

P = EntityType.PRODUCT
T0 = datetime(2026, 1, 1, tzinfo=UTC)
ROUTE = RouteConfig(
    name="r",
    entities=[P],
    destination="shop",
    fields=["sku", "description", "brand"],
    batch_size=3,
    retry=RetryPolicy(attempts=2, base_seconds=0.001, cap_seconds=0.001),
)
HUB = HubConfig(
    systems=[SystemConfig(name=n, kind="files") for n in ("erp", "pim", "shop")],
    ownership={
        P: EntityOwnership(
            owner="erp", fields={"description": "pim", "brand": "shop"}, non_owner="ignore"
        )
    },
    routes=[ROUTE],
)

step = st.one_of(
    st.tuples(
        st.just("change"),
        st.sampled_from(["erp", "pim", "shop"]),
        st.integers(0, 4),  # which product
        st.integers(0, 20),  # source time offset
        st.fixed_dictionaries(
            {},
            optional={
                "description": st.sampled_from(["a", "b", "c"]),
                "brand": st.sampled_from(["x", "y"]),
                "cost": st.sampled_from(["1.00", "2.50"]),
            },
        ),
        st.booleans(),  # delete instead (erp only has the right)
    ),
    st.tuples(st.just("deliver"), st.booleans()),  # deliver now; destination down first?
)


class Shop:
    def __init__(self) -> None:
        self.state: dict[str, dict[str, Any]] = {}
        self.versions: dict[str, int] = {}
        self.down = False
        self.said: dict[str, dict[str, Any]] = {}
        """What the shop itself last asserted of each record: it holds that without being told."""

    def push(self, batch: Any) -> Any:
        from crossdock.connectors.base import DeliveryResult, DeliveryStatus

        if self.down:
            raise RetryableError("down")
        out = []
        for d in batch:
            held = self.versions.get(d.entity_id, 0)
            assert d.version >= held, "never out of order"
            if d.version == held:  # at-least-once: a re-sent version, dropped by its id
                out.append(DeliveryResult(d.delivery_id, DeliveryStatus.DELIVERED))
                continue
            self.versions[d.entity_id] = d.version
            if d.op is ChangeOp.DELETE:
                self.state.pop(d.entity_id, None)
                self.said.pop(d.entity_id, None)
            else:
                self.state[d.entity_id] = dict(d.data)
            out.append(DeliveryResult(d.delivery_id, DeliveryStatus.DELIVERED))
        return out


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(step, min_size=1, max_size=25))
def test_destination_state_equals_canonical_projection(steps: list[Any]) -> None:
    store = Store.open("sqlite://")
    ing = Ingestor(store, HUB)
    shop = Shop()
    worker = RouteWorker(store, ROUTE, shop, sleep=lambda s: None)
    for s in steps:
        if s[0] == "deliver":
            shop.down = s[1]
            worker.drain()
            shop.down = False
            continue
        _, system, n, offset, data, delete = s
        native = f"{system}-{n}"
        ts = T0 + timedelta(minutes=offset)
        if delete:
            ing.ingest(
                [
                    Change(
                        system=system,
                        entity_type=P,
                        native_id=native,
                        op=ChangeOp.DELETE,
                        source_ts=ts,
                    )
                ]
            )
        else:
            sent = {"sku": f"SKU-{n}", **data}
            ing.ingest(
                [Change(system=system, entity_type=P, native_id=native, data=sent, source_ts=ts)]
            )
            rid = store.crosswalk.resolve(system, P, native)
            if system == "shop" and rid is not None:
                shop.said[rid] = {**shop.said.get(rid, {}), **project(ROUTE, sent)}
    # each parked entity once: a retry closes every parked version of it
    for entity_id in dict.fromkeys(p.entity_id for p in store.parked.page("r", limit=1000)):
        worker.retry_parked(entity_id, actor="test")
    worker.drain()
    # Echo suppression: the hub never sends the shop what the shop itself said, so the
    # fields the shop wrote last are the shop's own and left out of the comparison
    # (as is a record only the shop ever changed).
    expected: dict[str, dict[str, Any]] = {}
    held: dict[str, dict[str, Any]] = {}
    for rec in store.records.page(P, limit=1000):
        own = {path for path, stamp in rec.provenance.items() if stamp[0] == "shop"}
        if rec.id not in shop.state and all(
            e.source_system == "shop" for e in store.outbox.after(0, entity_id=rec.id)
        ):
            continue
        projected = project(ROUTE, rec.data)
        # The shop holds a value it said itself when the hub has that very value, even
        # if the hub's stamp is another system's now (the ERP asserting the shop's SKU
        # changes nothing there is to send).
        mine = {k: v for k, v in shop.said.get(rec.id, {}).items() if projected.get(k) == v}
        holds = {**mine, **shop.state.get(rec.id, {})}
        expected[rec.id] = {k: v for k, v in projected.items() if k not in own}
        held[rec.id] = {k: v for k, v in holds.items() if k not in own and k in projected}
    assert set(shop.state) <= set(expected)
    assert held == expected
    store.close()
