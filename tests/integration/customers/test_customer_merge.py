"""Merging two canonical customers, on SQLite and PostgreSQL.

Survivorship by the ownership matrix then source priority; crosswalks united;
sites de-duplicated; orders repointed; the survivor re-sent and the
merged-away id delivered as a delete carrying ``merged_into``; every later
change naming the merged-away record (native id, account number) lands on
the survivor; all in one transaction, audited.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from pydantic import BaseModel

from crossdock.app import Application
from crossdock.config.customers import CustomersConfig
from crossdock.config.hub import EntityOwnership, HubConfig, RouteConfig, SystemConfig
from crossdock.connectors.base import Connector, Destination
from crossdock.connectors.kit.testing import MemoryDestination
from crossdock.connectors.registry import register
from crossdock.errors import ConflictError, InvalidInput, NotFound
from crossdock.model.base import EntityType
from crossdock.model.change import Change
from crossdock.services.pricing import PricedLine, QuoteLine, QuoteRequest
from crossdock.store.order_rows import LineRow, NewOrder

pytestmark = pytest.mark.integration
CUS = EntityType.CUSTOMER
KIND = "merge-test"
SHOP = MemoryDestination()
LINE = LineRow(1, "SKU-1", Decimal(2), "each", Decimal(2))


class _NoSettings(BaseModel):
    pass


class _Shop(Connector):
    kind = KIND
    Settings = _NoSettings

    def destination(self) -> Destination | None:
        return SHOP


def hub() -> HubConfig:
    register(KIND, _Shop)
    return HubConfig(
        systems=[
            *(SystemConfig(name=s, kind="files") for s in ("crm", "portal", "erp")),
            SystemConfig(name="shop", kind=KIND, settings={}),
        ],
        ownership={
            CUS: EntityOwnership(
                owner="crm",
                create=["crm", "portal", "erp"],
                fields={"credit_limit": "erp", "*": "*"},
            ),
            EntityType.PRICE_LIST: EntityOwnership(owner="erp"),
            EntityType.PRODUCT: EntityOwnership(owner="erp"),
        },
        routes=[RouteConfig(name="to-shop", entities=[CUS], destination="shop")],
        # thresholds out of reach: the two records stay two until a person merges them
        customers=CustomersConfig.model_validate(
            {"upper": 400, "lower": 300, "survivorship": {"priority": ["crm", "portal"]}}
        ),
    )


@pytest.fixture
def app(store_url: str) -> Iterator[Application]:
    SHOP.held.clear()
    SHOP.applied.clear()
    SHOP.redirects.clear()
    application = Application.open(hub(), store_url=store_url)
    yield application
    application.close()


def site(code: str, line1: str, postcode: str = "62701") -> dict[str, Any]:
    return {
        "code": code,
        "roles": ["ship_to"],
        "address": {"line1": line1, "city": "Springfield", "postal_code": postcode},
    }


def put(app: Application, system: str, native: str, data: dict[str, Any]) -> None:
    report = app.hub.ingestor.ingest([Change(system, CUS, native, data)])
    assert report.exceptions == 0


def id_of(app: Application, system: str, native: str) -> str:
    found = app.hub.store.crosswalk.resolve(system, CUS, native)
    assert found is not None
    return found


def two(app: Application) -> tuple[str, str]:
    put(app, "crm", "C-1", {
        "account_number": "A-1", "name": "ACME Corp.", "payment_terms": "NET30",
        "sites": [site("MAIN", "12 Main St, Ste 4")],
    })  # fmt: skip
    put(app, "erp", "E-1", {"account_number": "A-1", "credit_limit": "5000"})
    put(app, "portal", "P-9", {
        "account_number": "A-2", "name": "Acme Corporation", "payment_terms": "NET60",
        "customer_group": "retail",
        "sites": [site("HQ", "12 Main Street #4"), site("WH", "400 Dock Rd")],
    })  # fmt: skip
    put(app, "erp", "E-2", {"account_number": "A-2", "credit_limit": "9000"})  # the newer one
    return id_of(app, "crm", "C-1"), id_of(app, "portal", "P-9")


def test_merge_picks_values_by_priority_recency_presence_and_unites_sites(app: Application) -> None:
    keep, gone = two(app)
    assert keep != gone
    done = app.customers.merger.merge(keep, gone, actor="steward", note="same company")
    store = app.hub.store
    rec = store.records.get(CUS, keep)
    assert rec is not None and not rec.deleted
    # credit_limit: erp owns it and set both; the newer value survives
    assert rec.data["credit_limit"] == "9000"
    assert done.reasons["credit_limit"] == "recency"
    # payment terms: crm before portal
    assert rec.data["payment_terms"] == "NET30"
    assert done.reasons["payment_terms"] == "priority"
    # only the merged-away record knew the group: a value beats none
    assert rec.data["customer_group"] == "retail"
    # HQ is MAIN's address spelled another way: one site; WH is new
    assert [s["code"] for s in rec.data["sites"]] == ["MAIN", "WH"]
    tomb = store.records.get(CUS, gone)
    assert tomb is not None and tomb.deleted
    assert tomb.data["name"] == "Acme Corporation"  # kept, as it was
    assert id_of(app, "portal", "P-9") == keep
    [entry] = [e for e in store.audit.page(action="customer.merge")]
    assert entry.actor == "steward"
    assert entry.detail["merged"] == gone
    assert entry.detail["sites_joined"] == {"HQ": "MAIN"}


def test_every_later_change_for_the_merged_away_record_lands_on_the_survivor(
    app: Application,
) -> None:
    keep, gone = two(app)
    app.customers.merger.merge(keep, gone, actor="steward")
    put(app, "portal", "P-9", {"tier": "gold"})  # its native id
    put(app, "edi", "X-1", {"account_number": "A-2", "sales_rep": "rep-7"})  # its account number
    store = app.hub.store
    rec = store.records.get(CUS, keep)
    assert rec is not None
    assert (rec.data["tier"], rec.data["sales_rep"]) == ("gold", "rep-7")
    tomb = store.records.get(CUS, gone)
    assert tomb is not None and tomb.deleted and "tier" not in tomb.data
    assert id_of(app, "edi", "X-1") == keep
    # a crosswalk row naming the merged-away id (e.g. acked by a destination late) is followed
    with store.write() as tx:
        tx.add_crosswalk(CUS, [("shop", "S-77", gone)], datetime.now(UTC))
    put(app, "shop", "S-77", {"territory": "north"})
    rec = store.records.get(CUS, keep)
    assert rec is not None and rec.data["territory"] == "north"
    assert store.records.get(CUS, gone).deleted  # type: ignore[union-attr]


def test_destinations_get_the_survivor_again_and_a_redirect_for_the_merged_away_id(
    app: Application,
) -> None:
    keep, gone = two(app)
    app.hub.deliver()
    assert (CUS, gone) in SHOP.held
    app.customers.merger.merge(keep, gone, actor="steward")
    app.hub.deliver()
    assert SHOP.redirects == {(CUS, gone): keep}
    assert SHOP.held[(CUS, gone)] == {"merged_into": keep}
    assert [s["code"] for s in SHOP.held[(CUS, keep)]["sites"]] == ["MAIN", "WH"]


def test_orders_of_the_merged_away_customer_are_repointed(app: Application) -> None:
    keep, gone = two(app)
    order, _ = app.hub.store.orders.open(
        NewOrder("portal", "SO-1", gone, "A-2", "HQ", None, "USD", "h", [LINE])
    )
    app.customers.merger.merge(keep, gone, actor="steward")
    moved = app.hub.store.orders.get(order.id)
    assert moved is not None and moved.customer_id == keep


def test_bad_merges_are_refused_and_change_nothing(app: Application) -> None:
    keep, gone = two(app)
    merger = app.customers.merger
    with pytest.raises(InvalidInput):
        merger.merge(keep, keep, actor="steward")
    with pytest.raises(NotFound):
        merger.merge(keep, "cus_nope", actor="steward")
    merger.merge(keep, gone, actor="steward")
    with pytest.raises(ConflictError):
        merger.merge(keep, gone, actor="steward")  # merged away already
    with pytest.raises(ConflictError):
        merger.merge(gone, keep, actor="steward")


def test_a_merge_that_fails_half_way_leaves_nothing(
    app: Application, monkeypatch: pytest.MonkeyPatch
) -> None:
    keep, gone = two(app)
    store = app.hub.store
    before = (store.records.get(CUS, keep), store.records.get(CUS, gone), store.outbox.after(0))

    def boom(*_: Any, **__: Any) -> int:
        raise RuntimeError("crash before the merge row")

    monkeypatch.setattr(store.customer_merges, "record", boom)
    with pytest.raises(RuntimeError):
        app.customers.merger.merge(keep, gone, actor="steward")
    after = (store.records.get(CUS, keep), store.records.get(CUS, gone), store.outbox.after(0))
    assert after == before
    assert id_of(app, "portal", "P-9") == gone


def test_the_survivor_is_quoted_the_merged_away_accounts_contract_price(
    app: Application,
) -> None:
    keep, gone = two(app)
    ingest = app.hub.ingestor.ingest
    base = {
        "code": "BASE",
        "kind": "base",
        "entries": [{"sku": "SKU-1", "breaks": [{"min_quantity": "1", "value": "10.00"}]}],
    }
    deal = {
        "code": "DEAL-A2",
        "kind": "contract",
        "scope": {"customers": ["A-2"], "ship_tos": ["HQ"]},
        "entries": [{"sku": "SKU-1", "breaks": [{"min_quantity": "1", "value": "7.50"}]}],
    }
    for data in (base, deal):
        assert ingest([Change("erp", EntityType.PRICE_LIST, data["code"], data)]).exceptions == 0
    assert ingest([Change("erp", EntityType.PRODUCT, "SKU-1", {"sku": "SKU-1"})]).exceptions == 0

    def price(account: str, ship_to: str | None = None) -> Decimal:
        q = app.pricing.quote(QuoteRequest(account, [QuoteLine("SKU-1", Decimal(1))], ship_to))
        line = q.lines[0]
        assert isinstance(line, PricedLine), line
        return line.unit_price

    assert (price("A-1"), price("A-2", "HQ")) == (Decimal("10.00"), Decimal("7.50"))
    done = app.customers.merger.merge(keep, gone, actor="steward")
    survivor = app.hub.store.records.get(CUS, keep)
    assert survivor is not None
    acct = survivor.data["account_number"]
    # the contract names the survivor's account, at the site HQ was joined into
    lid = app.hub.store.crosswalk.resolve("erp", EntityType.PRICE_LIST, "DEAL-A2")
    assert lid is not None
    rec = app.hub.store.records.get(EntityType.PRICE_LIST, lid)
    assert rec is not None
    assert rec.data["scope"] == {"customers": [acct], "ship_tos": ["MAIN"]}
    assert price(acct, "MAIN") == Decimal("7.50")
    [entry] = app.hub.store.audit.page(action="customer.merge")
    assert entry.detail["price_lists_repointed"] == [lid]
    app.customers.merger.unmerge(done.merge_id, actor="steward")
    assert (price("A-1"), price("A-2", "HQ")) == (Decimal("10.00"), Decimal("7.50"))


def _deal(code: str, account: str) -> Change:
    data = {
        "code": code,
        "kind": "contract",
        "scope": {"customers": [account, "A-77"]},
        "entries": [{"sku": "SKU-1", "breaks": [{"min_quantity": "1", "value": "7.50"}]}],
    }
    return Change("erp", EntityType.PRICE_LIST, code, data)


def _scope(app: Application, code: str) -> list[str]:
    lid = app.hub.store.crosswalk.resolve("erp", EntityType.PRICE_LIST, code)
    assert lid is not None
    rec = app.hub.store.records.get(EntityType.PRICE_LIST, lid)
    assert rec is not None
    return list(rec.data["scope"]["customers"])


def test_a_list_sent_after_a_merge_naming_the_merged_away_account_names_the_survivor(
    app: Application,
) -> None:
    keep, gone = two(app)
    app.customers.merger.merge(keep, gone, actor="steward")
    survivor = app.hub.store.records.get(CUS, keep)
    assert survivor is not None
    acct = survivor.data["account_number"]
    old = ({"A-1", "A-2"} - {acct}).pop()
    assert app.hub.ingestor.ingest([_deal("LATE", old)]).exceptions == 0
    # the merged-away number becomes the survivor's; a customer not known yet stays as sent
    assert _scope(app, "LATE") == [acct, "A-77"]
    [entry] = app.hub.store.audit.page(action="price_list.references.followed")
    assert entry.detail["renamed"] == {f"customer:account_number:{old}": acct}
    # unrelated lists are untouched
    assert app.hub.ingestor.ingest([_deal("OWN", acct)]).exceptions == 0
    assert _scope(app, "OWN") == [acct, "A-77"]


def test_a_list_ingested_while_a_merge_commits_ends_on_the_survivor(
    app: Application, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The merge is held open after it rewrote the stored lists; the list arrives then.

    The list must wait for the merge before it reads whom its accounts name:
    without the shared account-number locks it reads the merged-away account
    as live (``looked`` is set while the merge is open) and keeps naming it.
    """
    import threading

    from crossdock.sync import ingest as ingest_module

    keep, gone = two(app)
    store = app.hub.store
    gone_acct = store.records.get(CUS, gone).data["account_number"]  # type: ignore[union-attr]
    inside, release = threading.Event(), threading.Event()
    record = store.customer_merges.record

    def held(*args: Any, **kwargs: Any) -> int:
        inside.set()
        assert release.wait(30)
        return record(*args, **kwargs)

    monkeypatch.setattr(store.customer_merges, "record", held)
    looked = threading.Event()
    renames = ingest_module.renames

    def watched(*args: Any) -> Any:
        looked.set()
        return renames(*args)

    monkeypatch.setattr(ingest_module, "renames", watched)
    merging = threading.Thread(
        target=lambda: app.customers.merger.merge(keep, gone, actor="steward")
    )
    merging.start()
    assert inside.wait(30)
    outcome: list[Any] = []
    sending = threading.Thread(
        target=lambda: outcome.append(app.hub.ingestor.ingest([_deal("RACE", gone_acct)]))
    )
    sending.start()
    # the list must not read the accounts while the merge is open (it waits at the locks)
    assert not looked.wait(3)
    release.set()
    merging.join(30)
    sending.join(30)
    assert outcome and outcome[0].exceptions == 0
    survivor = store.records.get(CUS, keep)
    assert survivor is not None
    assert _scope(app, "RACE")[0] == survivor.data["account_number"]
