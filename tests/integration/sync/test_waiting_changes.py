"""A change that needs a record which does not exist yet waits for it (SQLite and PostgreSQL).

The CRM keeps contacts but may not create customers (the ERP does). Its
contacts for account A100 arrive before the ERP's customer: they wait as a
``waiting_for_record`` exception and are applied when A100 is created.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from crossdock.config.hub import EntityOwnership, HubConfig, SystemConfig
from crossdock.model.base import EntityType
from crossdock.model.change import Change
from crossdock.store import ExceptionStatus, Store
from crossdock.sync.ingest import Ingestor

pytestmark = pytest.mark.integration
C = EntityType.CUSTOMER
T0 = datetime(2026, 6, 1, tzinfo=UTC)
CONTACTS = [{"name": "Ana Ruiz", "email": "ana@example.com", "role": "buyer"}]


@pytest.fixture
def ingest(store_url: str) -> Iterator[Ingestor]:
    hub = HubConfig(
        systems=[SystemConfig(name="erp", kind="files"), SystemConfig(name="crm", kind="files")],
        ownership={C: EntityOwnership(owner="erp", fields={"contacts": "crm"}, create=["erp"])},
    )
    store = Store.open(store_url)
    yield Ingestor(store, hub)
    store.close()


def crm(native: str, ts: datetime = T0, **data: object) -> Change:
    return Change(system="crm", entity_type=C, native_id=native, data=dict(data), source_ts=ts)


def erp(native: str, **data: object) -> Change:
    return Change(system="erp", entity_type=C, native_id=native, data=dict(data), source_ts=T0)


def test_contacts_wait_for_their_customer_and_are_applied_when_it_arrives(
    ingest: Ingestor,
) -> None:
    store = ingest.store
    early = ingest.ingest([crm("C-77", account_number="A100", contacts=CONTACTS)])
    assert early.exceptions == 1 and early.created == 0
    waiting = store.exceptions.page()
    assert [(e.code, e.field) for e in waiting] == [("waiting_for_record", "account_number:A100")]
    assert "kept until a customer with account_number 'A100' exists" in waiting[0].reason

    arrived = ingest.ingest([erp("100", account_number="A100", name="Acme Supply")])
    assert arrived.created == 1 and arrived.released == 1
    cid = store.crosswalk.resolve("erp", C, "100")
    assert cid is not None and store.crosswalk.resolve("crm", C, "C-77") == cid
    rec = store.records.get(C, cid)
    assert rec is not None
    assert rec.data["contacts"] == CONTACTS and rec.data["name"] == "Acme Supply"
    assert store.exceptions.page() == []
    assert store.exceptions.get(waiting[0].id).status is ExceptionStatus.RESOLVED  # type: ignore[union-attr]


def test_a_change_naming_no_record_is_refused_not_kept(ingest: Ingestor) -> None:
    report = ingest.ingest([crm("C-78", contacts=CONTACTS)])
    assert report.exceptions == 1
    assert [e.code for e in ingest.store.exceptions.page()] == ["ownership_conflict"]


def test_other_records_release_nothing_and_a_later_crm_change_still_wins(
    ingest: Ingestor,
) -> None:
    ingest.ingest([crm("C-77", account_number="A100", contacts=CONTACTS)])
    other = ingest.ingest([erp("200", account_number="A200", name="Other")])
    assert other.released == 0 and len(ingest.store.exceptions.page()) == 1
    newer = [{"name": "Bo Li", "email": "bo@example.com"}]
    ingest.ingest([erp("100", account_number="A100", name="Acme Supply")])
    ingest.ingest([crm("C-77", T0 + timedelta(hours=1), account_number="A100", contacts=newer)])
    cid = ingest.store.crosswalk.resolve("erp", C, "100")
    assert cid is not None
    rec = ingest.store.records.get(C, cid)
    assert rec is not None and rec.data["contacts"] == newer
