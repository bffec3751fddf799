"""Survivorship rules, and how a merged-away id reaches a destination (no I/O)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from crossdock.config.hub import EntityOwnership, RouteConfig
from crossdock.config.ownership import OwnershipMatrix
from crossdock.connectors.webhook.mapper import delivery_json
from crossdock.model.base import EntityType
from crossdock.model.change import ChangeOp
from crossdock.services.customers.survivorship import Side, survive, unite_sites
from crossdock.store.records import EventRow
from crossdock.sync.delivery_plan import plan_batch

CUS = EntityType.CUSTOMER
MATRIX = OwnershipMatrix(
    {CUS: EntityOwnership(owner="crm", fields={"credit_limit": "erp", "*": "*"})}
)
T1, T2 = "2026-01-01T00:00:00.000000Z", "2026-02-01T00:00:00.000000Z"


def side(data: dict[str, Any], **prov: tuple[str, str]) -> Side:
    return Side(data, {k: [s, ts, 1] for k, (s, ts) in prov.items()})


def test_the_owner_s_value_wins_over_a_newer_one_from_a_preferred_system() -> None:
    a = side({"credit_limit": "100"}, credit_limit=("crm", T2))
    b = side({"credit_limit": "900"}, credit_limit=("erp", T1))
    out = survive(MATRIX, ["crm"], a, b, 2)
    assert out.data["credit_limit"] == "900"
    assert out.reasons["credit_limit"] == "owner"
    assert out.provenance["credit_limit"] == ["erp", T1, 2]


def test_priority_then_recency_then_completeness() -> None:
    a = side({"name": "Acme"}, name=("portal", T2))
    b = side({"name": "ACME Corp"}, name=("crm", T1))
    assert survive(MATRIX, ["crm", "portal"], a, b, 2).reasons["name"] == "priority"
    assert survive(MATRIX, [], a, b, 2).data["name"] == "Acme"  # newer
    c = side({"name": "ACME Corporation"}, name=("portal", T2))
    out = survive(MATRIX, [], a, c, 2)
    assert (out.data["name"], out.reasons["name"]) == ("ACME Corporation", "completeness")


def test_sites_join_by_code_then_by_normalized_address() -> None:
    mine = [{"code": "MAIN", "roles": ["sold_to"], "default": True,
             "address": {"line1": "12 Main St, Ste 4", "postal_code": "62701"}}]  # fmt: skip
    theirs: list[dict[str, Any]] = [
        {"code": "MAIN", "roles": ["bill_to"]},
        {
            "code": "HQ",
            "roles": ["ship_to"],
            "address": {"line1": "12 Main Street #4", "postal_code": "62701"},
        },
        {
            "code": "WH",
            "roles": ["ship_to"],
            "default": True,
            "address": {"line1": "400 Dock Rd", "postal_code": "62701"},
        },
        {"code": "X", "roles": ["ship_to"]},  # no address: nothing says it is another's
    ]
    sites, joined = unite_sites(mine, theirs)
    assert [s["code"] for s in sites] == ["MAIN", "WH", "X"]
    assert sites[0]["roles"] == ["sold_to", "bill_to", "ship_to"]
    assert sites[1]["default"] is False  # the survivor's default stays the one
    assert joined == {"MAIN": "MAIN", "HQ": "MAIN"}


values = st.one_of(st.none(), st.text(max_size=6))
systems = st.sampled_from(["crm", "erp", "portal", "edi"])
stamps = st.sampled_from([T1, T2])


@given(values, values, systems, systems, stamps, stamps)
def test_a_value_is_never_lost_to_none_and_the_order_of_rules_is_total(
    a: str | None, b: str | None, sa: str, sb: str, ta: str, tb: str
) -> None:
    left = side({"tier": a} if a else {}, tier=(sa, ta))
    right = side({"tier": b} if b else {}, tier=(sb, tb))
    out = survive(MATRIX, ["erp", "crm"], left, right, 3)
    if (a or "").strip() or (b or "").strip():  # a blank is no value
        assert out.data.get("tier") in (a, b)
        assert (out.data.get("tier") or "").strip()
    else:
        assert "tier" not in out.data


def test_a_merged_away_id_goes_out_as_a_delete_carrying_merged_into() -> None:
    ev = EventRow(
        1, "e1", CUS, "cus_b", 4, ChangeOp.DELETE, "crossdock", ["_deleted"],
        {"merged_into": "cus_a"}, datetime.now(UTC),
    )  # fmt: skip
    route = RouteConfig(name="r", entities=[CUS], destination="shop")
    plan = plan_batch(route, [ev], parked=(), native_ids={}, passed_before=lambda *_: True)
    [(_, d)] = plan.to_send
    assert d.op is ChangeOp.DELETE
    body = delivery_json(d)
    assert (body["op"], body["data"]) == ("delete", {"merged_into": "cus_a"})


def test_blank_or_unparseable_values_never_win_or_join() -> None:
    a = side({"name": "ACME Corp.", "tax_ids": [{"scheme": "EIN", "value": "12-345"}]})
    b = side(
        {"name": "", "legal_name": "   ", "tax_ids": [{"scheme": "EIN", "value": "12345"}]},
        name=("crm", T2),
    )
    out = survive(MATRIX, ["crm"], a, b, 2)
    assert out.data["name"] == "ACME Corp."  # a blank newer name from a preferred system loses
    assert "legal_name" not in out.data  # blank on the only side that has it: none
    assert len(out.data["tax_ids"]) == 1  # the same number, punctuated otherwise
    # two sites with unparseable postcodes and different streets stay two
    s1 = {"code": "A", "roles": ["ship_to"], "address": {"line1": "1 Elm St", "postal_code": "??"}}
    s2 = {"code": "B", "roles": ["ship_to"], "address": {"line1": "9 Oak Rd", "postal_code": "??"}}
    sites, joined = unite_sites([s1], [s2])
    assert [s["code"] for s in sites] == ["A", "B"] and joined == {}
