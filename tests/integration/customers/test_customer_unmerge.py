"""Unmerge puts back exactly what the merge changed: a property on SQLite, cases on both backends.

The state compared is each record's data, provenance and deleted flag, its
crosswalk rows, the account numbers' owners, the orders' customer, the
blocking keys and the contract price lists scoped to either account;
versions move on (an unmerge is a new version of each).
"""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crossdock.app import Application
from crossdock.errors import ConflictError, NotFound
from crossdock.model.base import EntityType
from crossdock.model.change import Change
from crossdock.store.order_rows import LineRow, NewOrder

from . import test_customer_merge
from .merge_state import CUS, merge_state
from .test_customer_merge import SHOP, hub, put, two

pytestmark = pytest.mark.integration
app = test_customer_merge.app  # the same hub and destination as the merge tests
LINE = LineRow(1, "SKU-1", Decimal(1), "each", Decimal(1))


def order(app: Application, number: str, customer: str) -> str:
    row, _ = app.hub.store.orders.open(
        NewOrder("portal", number, customer, "A", "MAIN", None, "USD", number, [LINE])
    )
    return row.id


def test_unmerge_restores_both_records_their_links_keys_and_orders(app: Application) -> None:
    keep, gone = two(app)
    orders = [order(app, "SO-1", gone), order(app, "SO-2", keep)]
    before = merge_state(app, [keep, gone], ["A-1", "A-2"], orders)
    done = app.customers.merger.merge(keep, gone, actor="steward")
    assert merge_state(app, [keep, gone], ["A-1", "A-2"], orders) != before
    undone = app.customers.merger.unmerge(done.merge_id, actor="other", note="not the same")
    assert merge_state(app, [keep, gone], ["A-1", "A-2"], orders) == before
    store = app.hub.store
    assert undone.versions == (done.version + 1, 4)  # gone: v1 create, v2 erp, v3 tomb, v4
    [entry] = store.audit.page(action="customer.unmerge")
    assert (entry.actor, entry.detail["restored"]) == ("other", gone)
    # the restored record is sent again; a later change of its native id stays on it
    app.hub.deliver()
    assert SHOP.held[(CUS, gone)]["name"] == "Acme Corporation"
    put(app, "portal", "P-9", {"tier": "gold"})
    assert store.records.get(CUS, gone).data["tier"] == "gold"  # type: ignore[union-attr]
    with pytest.raises(ConflictError):
        app.customers.merger.unmerge(done.merge_id, actor="other")  # undone already
    with pytest.raises(NotFound):
        app.customers.merger.unmerge(999, actor="other")


def test_only_the_newest_merge_into_a_survivor_is_undone_first(app: Application) -> None:
    keep, gone = two(app)
    put(app, "crm", "C-3", {"account_number": "A-3", "name": "Acme Three"})
    third = app.hub.store.crosswalk.resolve("crm", CUS, "C-3")
    assert third is not None
    first = app.customers.merger.merge(keep, gone, actor="steward")
    second = app.customers.merger.merge(keep, third, actor="steward")
    with pytest.raises(ConflictError, match=f"unmerge {second.merge_id} first"):
        app.customers.merger.unmerge(first.merge_id, actor="steward")
    app.customers.merger.unmerge(second.merge_id, actor="steward")
    app.customers.merger.unmerge(first.merge_id, actor="steward")
    assert not app.hub.store.records.get(CUS, gone).deleted  # type: ignore[union-attr]


# -- the property (SQLite in memory: a fresh store per example) --------------------------------
names = st.one_of(st.none(), st.sampled_from(["ACME Corp.", "Acme Corporation", "Ünïcode GmbH"]))
streets = st.sampled_from(["12 Main St", "12 Main Street", "400 Dock Rd", "9 Elm Ave"])
site = st.builds(
    lambda code, line1, roles, native: {
        "code": code, "roles": roles, "address": {"line1": line1, "postal_code": "62701"},
        **({"native_id": f"n-{code}"} if native else {}),  # a site crosswalk row
    },
    st.sampled_from(["MAIN", "HQ", "WH"]),
    streets,
    st.lists(st.sampled_from(["sold_to", "ship_to", "bill_to"]), min_size=1, max_size=2,
             unique=True),
    st.booleans(),
)  # fmt: skip
customer = st.fixed_dictionaries(
    {},
    optional={
        "name": names,
        "payment_terms": st.sampled_from(["NET30", "NET60"]),
        "customer_group": st.sampled_from(["retail", "trade"]),
        "tier": st.sampled_from(["gold", "silver"]),
        "sites": st.lists(site, max_size=3, unique_by=lambda s: s["code"]),
        "contacts": st.lists(
            st.fixed_dictionaries({"email": st.sampled_from(["a@x.com", "b@x.com"])}), max_size=2
        ),
        "price_lists": st.lists(st.sampled_from(["L1", "L2", "L3"]), max_size=2, unique=True),
    },
)
systems = st.tuples(
    st.sampled_from(["crm", "portal"]),  # may create
    st.lists(st.sampled_from(["edi", "erp", "shop"]), max_size=2, unique=True),  # more links
)


scope = st.fixed_dictionaries(
    {"customers": st.lists(st.sampled_from(["A-1", "A-2", "A-9"]), min_size=1, unique=True)},
    optional={"ship_tos": st.lists(st.sampled_from(["MAIN", "HQ", "WH"]), max_size=2, unique=True)},
)
scopes = st.lists(st.tuples(st.sampled_from(["K1", "K2", "K3"]), scope), max_size=3,
                  unique_by=lambda x: x[0])  # fmt: skip


def contract(app: Application, code: str, scope: dict[str, Any]) -> str:
    """A contract price list (owned by the ERP) scoped as given; its record id."""
    data = {
        "code": code, "kind": "contract", "scope": scope,
        "entries": [{"sku": "SKU-1", "breaks": [{"min_quantity": "1", "value": "7.50"}]}],
    }  # fmt: skip
    report = app.hub.ingestor.ingest([Change("erp", EntityType.PRICE_LIST, code, data)])
    assert report.exceptions == 0, report
    found = app.hub.store.crosswalk.resolve("erp", EntityType.PRICE_LIST, code)
    assert found is not None
    return found


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(customer, customer, systems, systems, st.integers(0, 2), st.integers(0, 2), scopes)
def test_merge_then_unmerge_returns_the_exact_prior_state(
    a: dict[str, Any],
    b: dict[str, Any],
    sa: tuple[str, list[str]],
    sb: tuple[str, list[str]],
    oa: int,
    ob: int,
    scopes: list[tuple[str, dict[str, Any]]],
) -> None:
    tmp = tempfile.TemporaryDirectory()
    application = Application.open(hub(), store_url=f"sqlite:///{tmp.name}/hub.sqlite")
    try:
        ids = []
        for tag, data, (first, more) in (("1", a, sa), ("2", b, sb)):
            ingested = application.hub.ingestor.ingest(
                [Change(first, CUS, f"{first}-{tag}", {"account_number": f"A-{tag}", **data})]
            )
            assert ingested.exceptions == 0
            rid = application.hub.store.crosswalk.resolve(first, CUS, f"{first}-{tag}")
            assert rid is not None
            with application.hub.store.write() as tx:
                tx.add_crosswalk(CUS, [(s, f"{s}-{tag}", rid) for s in more], datetime.now(UTC))
            ids.append(rid)
        put(application, "erp", "E-2", {"account_number": "A-2", "credit_limit": "10"})
        lists = [contract(application, code, scope) for code, scope in scopes]
        orders = [order(application, f"O{i}", ids[0]) for i in range(oa)]
        orders += [order(application, f"P{i}", ids[1]) for i in range(ob)]
        accounts = ["A-1", "A-2"]
        before = merge_state(application, ids, accounts, orders, lists)
        merger = application.customers.merger
        done = merger.merge(ids[0], ids[1], actor="steward")
        merged = merge_state(application, ids, accounts, orders, lists)
        survivor = application.hub.store.records.get(CUS, ids[0])
        assert survivor is not None
        for lid in lists:  # every list that named either account names the survivor's now
            named = merged["price_lists"][lid][0].get("scope", {}).get("customers", [])
            assert not (set(named) & {"A-1", "A-2"}) - {survivor.data["account_number"]}
        assert merged["records"][ids[1]][2] is True
        assert set(merged["orders"].values()) <= {ids[0]}
        assert merged["links"][ids[1]] == []
        assert {row[0] for row in merged["site_links"]} <= {ids[0]}  # the sites' ids moved too
        merger.unmerge(done.merge_id, actor="steward")
        assert merge_state(application, ids, accounts, orders, lists) == before
    finally:
        application.close()
        tmp.cleanup()
