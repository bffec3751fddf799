"""The ship-to site crosswalk, on SQLite and PostgreSQL.

A system that knows a site by its own id (its code, or a ``native_id`` it
sends with the site) and then moves or renames it keeps updating the same
canonical site; a refused change teaches the crosswalk nothing; a merge
keeps the merged-away customer's site ids (following the joined sites) and
an unmerge puts them back; a code a merge joined away still reaches the
surviving site, from a system and from a price list's ``scope.ship_tos``
(also when the list arrives while the merge commits).
"""

from __future__ import annotations

import threading
from typing import Any

import pytest

from crossdock.app import Application
from crossdock.model.base import EntityType
from crossdock.model.change import Change
from crossdock.store.customer_rows import SITE_ALIAS

from .test_customer_merge import CUS, app, id_of, put, site, two

__all__ = ["app"]  # the fixture, shared with the merge tests
pytestmark = pytest.mark.integration
LIST = EntityType.PRICE_LIST


def sites_of(app: Application, rid: str) -> list[dict[str, Any]]:
    rec = app.hub.store.records.get(CUS, rid)
    assert rec is not None
    return list(rec.data["sites"])


def links(app: Application, *ids: str) -> list[tuple[str, str, str, str]]:
    with app.hub.store.write() as tx:
        return app.hub.store.customer_merges.site_links(tx, list(ids))


def test_a_site_moved_by_the_system_that_coded_it_stays_one_site(app: Application) -> None:
    acme = {"account_number": "A-1", "name": "ACME Corp."}
    put(app, "crm", "C-1", {**acme, "sites": [site("MAIN", "12 Main St, Ste 4")]})
    rid = id_of(app, "crm", "C-1")
    # the portal's SHIP-7 is MAIN (same address); then the portal moves SHIP-7
    put(app, "portal", "C-1-P", {**acme, "sites": [site("SHIP-7", "12 Main Street #4")]})
    assert id_of(app, "portal", "C-1-P") == rid
    assert [s["code"] for s in sites_of(app, rid)] == ["MAIN"]
    put(app, "portal", "C-1-P", {"sites": [site("SHIP-7", "900 Harbor Blvd", "62702")]})
    [main] = sites_of(app, rid)
    assert main["code"] == "MAIN" and main["address"]["line1"] == "900 Harbor Blvd"
    assert links(app, rid) == [(rid, "portal", "SHIP-7", "MAIN")]


def test_a_site_renamed_under_its_native_id_stays_one_site(app: Application) -> None:
    first = {**site("DOCK", "400 Dock Rd"), "native_id": "addr-42"}
    put(app, "erp", "E-1", {"name": "Bolt Supply", "sites": [first]})
    rid = id_of(app, "erp", "E-1")
    assert sites_of(app, rid)[0]["code"] == "DOCK" and "native_id" not in sites_of(app, rid)[0]
    renamed = {**site("DOCK-B", "17 Quay St", "62703"), "native_id": "addr-42"}
    put(app, "erp", "E-1", {"sites": [renamed]})
    [dock] = sites_of(app, rid)
    assert dock["code"] == "DOCK" and dock["address"]["line1"] == "17 Quay St"
    # the id alone names the site; another system's id of the same name is its own
    put(app, "erp", "E-1", {"sites": [{"native_id": "addr-42", "roles": ["bill_to"]}]})
    assert [(s["code"], s["roles"]) for s in sites_of(app, rid)] == [("DOCK", ["bill_to"])]
    assert links(app, rid) == [(rid, "erp", "addr-42", "DOCK")]


def test_a_refused_change_teaches_the_crosswalk_nothing(app: Application) -> None:
    put(app, "erp", "E-1", {"name": "Bolt Supply", "sites": [site("DOCK", "400 Dock Rd")]})
    rid = id_of(app, "erp", "E-1")
    bad = {**site("X", "9 Elm St"), "native_id": "addr-9", "roles": []}  # no role: invalid
    report = app.hub.ingestor.ingest([Change("erp", CUS, "E-1", {"sites": [bad]})])
    assert report.exceptions == 1
    assert links(app, rid) == []


def test_one_site_id_sent_for_two_sites_is_refused_naming_the_field(app: Application) -> None:
    put(app, "erp", "E-1", {"name": "Bolt Supply", "sites": [site("DOCK", "400 Dock Rd")]})
    rid = id_of(app, "erp", "E-1")
    both = [
        {**site("DOCK", "400 Dock Rd"), "native_id": "addr-7"},
        {**site("YARD", "9 Elm St", "62703"), "native_id": "addr-7"},
    ]
    report = app.hub.ingestor.ingest([Change("erp", CUS, "E-1", {"sites": both})])
    assert report.exceptions == 1
    [exc] = app.hub.store.exceptions.page()
    assert exc.field == "sites.1.native_id" and "'addr-7'" in exc.reason
    assert [s["code"] for s in sites_of(app, rid)] == ["DOCK"]  # nothing of it written
    assert links(app, rid) == []
    # the same id on one site, sent again, is taken
    put(app, "erp", "E-1", {"sites": both[:1]})
    assert links(app, rid) == [(rid, "erp", "addr-7", "DOCK")]


def test_a_merge_keeps_the_site_ids_and_an_unmerge_puts_them_back(app: Application) -> None:
    keep, gone = two(app)  # the portal's HQ (P-9) is the crm's MAIN by address
    put(app, "portal", "P-9", {"sites": [{**site("HQ", "12 Main Street #4"), "native_id": "p1"}]})
    before = links(app, keep, gone)
    assert before == [(gone, "portal", "p1", "HQ")]
    done = app.customers.merger.merge(keep, gone, actor="steward")
    assert links(app, keep, gone) == [
        (keep, SITE_ALIAS, "HQ", "MAIN"),
        (keep, "portal", "p1", "MAIN"),
    ]
    # the portal moves its site p1: the survivor's MAIN moves, no new site appears
    put(app, "portal", "P-9", {"sites": [{**site("HQ", "5 New Rd"), "native_id": "p1"}]})
    moved = {s["code"]: s for s in sites_of(app, keep)}
    assert "HQ" not in moved and moved["MAIN"]["address"]["line1"] == "5 New Rd"
    # a system still sending the joined-away code reaches the surviving site
    put(app, "erp", "E-2", {"sites": [site("HQ", "5 New Road")]})
    assert [s["code"] for s in sites_of(app, keep)] == ["MAIN"]
    app.customers.merger.unmerge(done.merge_id, actor="steward")
    assert links(app, keep, gone) == before


def _list(code: str, account: str, ship_tos: list[str]) -> Change:
    data = {
        "code": code,
        "kind": "contract",
        "scope": {"customers": [account], "ship_tos": ship_tos},
        "entries": [{"sku": "SKU-1", "breaks": [{"min_quantity": "1", "value": "7.50"}]}],
    }
    return Change("erp", LIST, code, data)


def _scope(app: Application, code: str) -> dict[str, Any]:
    lid = app.hub.store.crosswalk.resolve("erp", LIST, code)
    assert lid is not None
    rec = app.hub.store.records.get(LIST, lid)
    assert rec is not None
    return dict(rec.data["scope"])


def test_a_list_sent_after_a_merge_names_the_surviving_site(app: Application) -> None:
    keep, gone = two(app)
    gone_acct = app.hub.store.records.get(CUS, gone).data["account_number"]  # type: ignore[union-attr]
    app.customers.merger.merge(keep, gone, actor="steward")
    acct = app.hub.store.records.get(CUS, keep).data["account_number"]  # type: ignore[union-attr]
    report = app.hub.ingestor.ingest([_list("LATE", gone_acct, ["HQ", "WH", "ELSEWHERE"])])
    assert report.exceptions == 0
    # HQ was joined into MAIN; WH moved over as it was; an unknown code stays as sent
    assert _scope(app, "LATE") == {"customers": [acct], "ship_tos": ["MAIN", "WH", "ELSEWHERE"]}
    [entry] = app.hub.store.audit.page(action="price_list.references.followed")
    assert entry.detail["renamed"]["site:HQ"] == "MAIN"
    # the survivor's own account with the joined-away code is followed too
    assert app.hub.ingestor.ingest([_list("OWN", acct, ["HQ"])]).exceptions == 0
    assert _scope(app, "OWN")["ship_tos"] == ["MAIN"]


def test_a_list_ingested_while_a_merge_commits_names_the_surviving_site(
    app: Application, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The merge is held open after writing its site aliases; the list arrives then.

    The list waits at the account-number locks the merge holds, so it reads the
    aliases the merge committed and names the surviving site.
    """
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
    merging = threading.Thread(
        target=lambda: app.customers.merger.merge(keep, gone, actor="steward")
    )
    merging.start()
    assert inside.wait(30)
    outcome: list[Any] = []
    sending = threading.Thread(
        target=lambda: outcome.append(app.hub.ingestor.ingest([_list("RACE", gone_acct, ["HQ"])]))
    )
    sending.start()
    sending.join(2)  # it waits for the merge (or, unlocked, would have read the old state)
    release.set()
    merging.join(30)
    sending.join(30)
    assert outcome and outcome[0].exceptions == 0
    acct = store.records.get(CUS, keep).data["account_number"]  # type: ignore[union-attr]
    assert _scope(app, "RACE") == {"customers": [acct], "ship_tos": ["MAIN"]}
