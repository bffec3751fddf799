"""Ingest against a real store, on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from crossdock.config.hub import EntityOwnership, HubConfig, NonOwnerPolicy, SystemConfig
from crossdock.connectors.base import SourceError
from crossdock.errors import ErrorCode
from crossdock.model.base import EntityType
from crossdock.model.change import Change, ChangeOp
from crossdock.store import ExceptionStatus, Store
from crossdock.sync.ingest import Ingestor

pytestmark = pytest.mark.integration
T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
P = EntityType.PRODUCT
C = EntityType.CUSTOMER


def hub() -> HubConfig:
    return HubConfig(
        systems=[SystemConfig(name=n, kind="files") for n in ("erp", "crm", "portal", "pim")],
        ownership={
            C: EntityOwnership(
                owner="erp",
                fields={"contacts": "crm", "sites": "crm"},
                non_owner=NonOwnerPolicy.REJECT,
            ),
            P: EntityOwnership(
                owner="erp",
                fields={"description": "pim", "channels": "portal"},
                non_owner=NonOwnerPolicy.PROPOSE,
            ),
        },
    )


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    s = Store.open(store_url)
    yield s
    s.close()


def product(
    system: str, native: str, ts: datetime = T0, key: str | None = None, **data: object
) -> Change:
    return Change(
        system=system,
        entity_type=P,
        native_id=native,
        data=dict(data),
        source_ts=ts,
        idempotency_key=key,
    )


def only(store: Store, et: EntityType = P) -> dict[str, object]:
    recs = store.records.page(et, include_deleted=True)
    assert len(recs) == 1, recs
    return {"version": recs[0].version, "deleted": recs[0].deleted, **recs[0].data}


def test_create_update_and_event_in_one_transaction(store: Store) -> None:
    ing = Ingestor(store, hub())
    r = ing.ingest([product("erp", "100", sku="ABC-1", base_uom="EA", cost="4.20")])
    assert (r.created, r.events, r.exceptions) == (1, 1, 0)
    rec = store.records.page(P)[0]
    assert rec.data["cost"] == "4.20" and rec.version == 1
    assert rec.provenance["cost"][0] == "erp"
    assert store.crosswalk.resolve("erp", P, "100") == rec.id
    ev = store.outbox.after(0)
    assert [(e.entity_id, e.version, e.op) for e in ev] == [(rec.id, 1, ChangeOp.UPSERT)]
    assert "cost" in ev[0].changed and ev[0].data["sku"] == "ABC-1"

    r2 = ing.ingest([product("erp", "100", T0 + timedelta(1), cost="4.25")])
    assert (r2.updated, r2.events) == (1, 1)
    assert store.outbox.after(1)[0].changed == ["cost"]


def test_duplicates_by_idempotency_key_are_dropped(store: Store) -> None:
    ing = Ingestor(store, hub())
    c = product("erp", "1", key="file:1", sku="A-1")
    r = ing.ingest([c, c])
    assert (r.created, r.duplicates) == (1, 1)
    r2 = ing.ingest([c])
    assert (r2.duplicates, r2.events) == (1, 0)


def test_identity_by_sku_links_systems_to_one_record(store: Store) -> None:
    ing = Ingestor(store, hub())
    ing.ingest([product("erp", "100", sku="ABC-1", cost="1.00")])
    ing.ingest([product("pim", "p-9", sku="ABC-1", description="Blue widget")])
    rec = only(store)
    assert rec["description"] == "Blue widget" and rec["cost"] == "1.00"
    cid = store.records.page(P)[0].id
    assert sorted(store.crosswalk.native_ids(P, cid)) == [("erp", "100"), ("pim", "p-9")]


def test_non_owner_is_rejected_or_proposed_and_never_applied(store: Store) -> None:
    ing = Ingestor(store, hub())
    ing.ingest(
        [
            Change(
                system="erp",
                entity_type=C,
                native_id="C1",
                data={"account_number": "C1", "name": "Acme", "credit_limit": "1000"},
                source_ts=T0,
            )
        ]
    )
    r = ing.ingest(
        [
            Change(
                system="crm",
                entity_type=C,
                native_id="crm-1",
                data={
                    "account_number": "C1",
                    "credit_limit": "99999",
                    "contacts": [{"name": "Ann"}],
                },
                source_ts=T0 + timedelta(1),
            )
        ]
    )
    rec = only(store, C)
    assert rec["credit_limit"] == "1000", "a non-owner never changes an owned field"
    assert rec["contacts"] == [{"name": "Ann"}], "the owned part of the change still applies"
    assert r.exceptions == 1
    exc = store.exceptions.page()[0]
    assert exc.code == ErrorCode.OWNERSHIP_CONFLICT and exc.field == "credit_limit"
    assert "crm does not own credit_limit (owner: erp)" in exc.reason

    ing.ingest([product("erp", "100", sku="ABC-1", cost="1.00")])
    r2 = ing.ingest([product("crm", "x", T0 + timedelta(2), sku="ABC-1", cost="0.50")])
    assert r2.proposals == 1
    assert store.proposals.page()[0].field == "cost"
    assert store.records.get(P, store.crosswalk.resolve("erp", P, "100") or "")  # unchanged record
    assert store.records.page(P)[0].data["cost"] == "1.00"


def test_stale_field_update_is_dropped(store: Store) -> None:
    ing = Ingestor(store, hub())
    ing.ingest([product("erp", "1", T0 + timedelta(hours=2), sku="A", cost="2.00")])
    r = ing.ingest([product("erp", "1", T0, cost="1.00")])
    assert r.stale_fields == 1 and r.events == 0
    assert only(store)["cost"] == "2.00"


def test_invalid_record_becomes_an_exception_and_the_batch_goes_on(store: Store) -> None:
    ing = Ingestor(store, hub())
    r = ing.ingest(
        [
            product("erp", "1", sku="GOOD-1", cost="1.00"),
            product("erp", "2", sku="BAD-1", cost="twelve"),
            product("erp", "3", cost="1.00"),  # no SKU at all
            SourceError(
                system="erp",
                reason="row has 3 fields, header has 5",
                code=ErrorCode.MALFORMED_ROW,
                ref="products.csv:9",
                raw="a;b;c",
            ),
            product("erp", "4", sku="GOOD-2"),
        ]
    )
    assert (r.created, r.exceptions) == (2, 3)
    excs = store.exceptions.page()
    by_native = {e.native_id: e for e in excs}
    assert by_native["2"].field == "cost" and by_native["2"].code == ErrorCode.VALIDATION_FAILED
    assert by_native["3"].field == "sku"
    assert any(e.ref == "products.csv:9" and e.code == ErrorCode.MALFORMED_ROW for e in excs)
    assert store.crosswalk.resolve("erp", P, "2") is None, "nothing of an invalid change is written"
    assert store.outbox.count() == 2


def test_retrying_a_fixed_exception_applies_it(store: Store) -> None:
    from crossdock.sync.runtime import Hub

    h = Hub(hub(), store)
    h.ingest([product("erp", "2", sku="BAD-1", cost="twelve")])
    exc = store.exceptions.page()[0]
    report = h.retry_exception(exc.id, actor="test", data={"sku": "BAD-1", "cost": "12.00"})
    assert report.created == 1
    assert store.exceptions.get(exc.id).status is ExceptionStatus.RESOLVED  # type: ignore[union-attr]
    assert only(store)["cost"] == "12.00"


def test_delete_becomes_a_tombstone_and_an_event(store: Store) -> None:
    ing = Ingestor(store, hub())
    ing.ingest([product("erp", "1", sku="A", cost="1.00")])
    r = ing.ingest(
        [
            Change(
                system="erp",
                entity_type=P,
                native_id="1",
                op=ChangeOp.DELETE,
                source_ts=T0 + timedelta(1),
            )
        ]
    )
    assert r.deleted == 1
    assert only(store)["deleted"] is True
    assert store.outbox.after(1)[0].op is ChangeOp.DELETE
    # an older upsert does not resurrect it; a newer one from the owner does
    ing.ingest([product("erp", "1", T0 + timedelta(hours=1), cost="1.50")])
    assert only(store)["deleted"] is True
    ing.ingest([product("erp", "1", T0 + timedelta(2), cost="1.75")])
    rec = only(store)
    assert rec["deleted"] is False and rec["cost"] == "1.75"
    # a non-owner cannot delete
    ing.ingest(
        [
            Change(
                system="pim",
                entity_type=P,
                native_id="p",
                op=ChangeOp.DELETE,
                data={},
                source_ts=T0 + timedelta(3),
            )
        ]
    )
    assert only(store)["deleted"] is False


def test_sku_conflict_between_two_records_is_an_exception(store: Store) -> None:
    ing = Ingestor(store, hub())
    ing.ingest([product("erp", "1", sku="A"), product("erp", "2", sku="B")])
    r = ing.ingest([product("erp", "2", T0 + timedelta(1), sku="A")])
    assert r.exceptions == 1
    assert store.exceptions.page()[0].code == ErrorCode.CONFLICT


def test_bulk_batches_commit_separately(store: Store) -> None:
    ing = Ingestor(store, hub(), batch_size=100)
    seen: list[int] = []
    r = ing.ingest((product("erp", str(i), sku=f"S-{i}") for i in range(250)), progress=seen.append)
    assert r.created == 250 and seen == [100, 100, 50]
    assert store.records.count() == {"product": 250}


def test_ignored_non_owner_field_is_not_applied_when_it_creates_the_record(store: Store) -> None:
    cfg = HubConfig(
        systems=[SystemConfig(name=n, kind="files") for n in ("erp", "shop")],
        ownership={
            P: EntityOwnership(
                owner="erp",
                fields={"sku": "*", "channels": "shop"},
                non_owner=NonOwnerPolicy.IGNORE,
            )
        },
    )
    ing = Ingestor(store, cfg)
    ing.ingest([product("shop", "s1", sku="A", channels=["web"], cost="0.01")])
    assert only(store)["channels"] == ["web"] and "cost" not in only(store)
    ing.ingest([product("erp", "e1", sku="A", cost="4.00", channels=["edi"])])
    rec = only(store)
    assert rec["cost"] == "4.00" and rec["channels"] == ["web"], "shared sku linked one record"


def test_delete_before_create_leaves_a_tombstone_the_late_create_cannot_revive(
    store: Store,
) -> None:
    ing = Ingestor(store, hub())
    ing.ingest(
        [
            Change(
                system="erp",
                entity_type=P,
                native_id="9",
                op=ChangeOp.DELETE,
                source_ts=T0 + timedelta(1),
            )
        ]
    )
    ing.ingest([product("erp", "9", T0, sku="LATE", cost="1.00")])
    rec = only(store)
    assert rec["deleted"] is True


def _delete(system: str, native: str, ts: datetime) -> Change:
    return Change(system=system, entity_type=P, native_id=native, op=ChangeOp.DELETE, source_ts=ts)


@pytest.mark.parametrize("one_batch", [False, True])
def test_an_early_delete_joins_the_record_its_late_create_names_by_sku(
    store: Store, one_batch: bool
) -> None:
    """The ERP's delete arrives first, the PIM creates the SKU, then the ERP's own create.

    Arrived in order, the three make one deleted record; arrived like this, they
    must too, not a bare tombstone beside a live record and an SKU conflict.
    """
    changes = [
        _delete("erp", "9", T0 + timedelta(hours=2)),
        product("pim", "p9", T0 + timedelta(hours=1), sku="LATE", description="from the PIM"),
        product("erp", "9", T0, sku="LATE", cost="1.00"),
    ]
    cfg = HubConfig(
        systems=[SystemConfig(name=n, kind="files") for n in ("erp", "pim")],
        ownership={
            P: EntityOwnership(
                owner="erp", fields={"sku": "*", "description": "pim"}, non_owner="reject"
            )
        },
    )
    ing = Ingestor(store, cfg)
    if one_batch:
        r = ing.ingest(changes)
        assert (r.exceptions, r.created) == (0, 1)
    else:
        for c in changes:
            assert ing.ingest([c]).exceptions == 0
    rec = only(store)
    assert rec["deleted"] is True
    assert (rec["sku"], rec["cost"], rec["description"]) == ("LATE", "1.00", "from the PIM")
    got = store.records.page(P, include_deleted=True)[0]
    assert got.provenance["_deleted"][:2] == ["erp", "2026-03-01T14:00:00.000000Z"]
    with store.write() as tx:
        ids = tx.crosswalk_lookup(P, [("erp", "9"), ("pim", "p9")])
    assert set(ids.values()) == {got.id}, "both native ids name the one record"
    # The same changes in their natural order end in the same record.
    other = Store.open("sqlite://")
    try:
        Ingestor(other, cfg).ingest([changes[2], changes[1], changes[0]])
        assert only(other) | {"version": None} == rec | {"version": None}
    finally:
        other.close()
    # A newer create from the owner brings it back, as on any tombstone.
    ing.ingest([product("erp", "9", T0 + timedelta(hours=3), sku="LATE", cost="2.00")])
    assert only(store)["deleted"] is False and only(store)["cost"] == "2.00"
    merges = [a for a in store.audit.entries() if a["action"] == "tombstone.merge"]
    assert len(merges) == 1 and merges[0]["detail"]["into"] == got.id


def test_a_large_batch_holds_a_bounded_number_of_locks(store: Store) -> None:
    """10k new records in one transaction (PostgreSQL's lock table holds far fewer)."""
    ing = Ingestor(store, hub(), batch_size=10_000)
    r = ing.ingest(product("erp", str(i), sku=f"S-{i}", cost="1.00") for i in range(10_000))
    assert r.created == 10_000 and store.outbox.count() == 10_000
