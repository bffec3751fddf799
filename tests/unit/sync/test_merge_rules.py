from __future__ import annotations

from crossdock.config.hub import EntityOwnership, NonOwnerPolicy
from crossdock.config.ownership import DELETED, OwnershipMatrix, Verdict
from crossdock.model.base import EntityType
from crossdock.sync.merge import merge_fields

T1 = "2026-01-01T00:00:00.000000Z"
T2 = "2026-01-02T00:00:00.000000Z"
C = EntityType.CUSTOMER


def matrix(policy: NonOwnerPolicy = NonOwnerPolicy.REJECT) -> OwnershipMatrix:
    return OwnershipMatrix(
        {
            C: EntityOwnership(
                owner="erp",
                fields={"contacts": "crm", "sites*": "crm", "sites.*.address": "wms"},
                non_owner=policy,
            )
        }
    )


def test_most_specific_glob_wins() -> None:
    m = matrix()
    assert m.owner(C, "credit_limit") == "erp"
    assert m.owner(C, "contacts") == "crm"
    assert m.owner(C, "sites") == "crm"
    assert m.owner(C, "sites.x.address") == "wms"
    assert m.owner(C, DELETED) == "erp"
    assert m.owner(EntityType.PRODUCT, "sku") is None
    assert m.verdict(EntityType.PRODUCT, "sku", "anyone") is Verdict.APPLY


def test_owner_applies_and_stamps_provenance() -> None:
    r = merge_fields(
        C, {}, {}, {"credit_limit": "100"}, system="erp", ts=T1, version=1, matrix=matrix()
    )
    assert r.state == {"credit_limit": "100"}
    assert r.provenance == {"credit_limit": ["erp", T1, 1]}
    assert r.changed == ["credit_limit"]


def test_older_update_from_same_system_is_dropped() -> None:
    r = merge_fields(
        C,
        {"credit_limit": "200"},
        {"credit_limit": ["erp", T2, 2]},
        {"credit_limit": "100"},
        system="erp",
        ts=T1,
        version=3,
        matrix=matrix(),
    )
    assert r.state == {"credit_limit": "200"}
    assert r.stale == ["credit_limit"]
    assert r.changed == []


def test_non_owner_policies() -> None:
    state = {"credit_limit": "100"}
    prov = {"credit_limit": ["erp", T1, 1]}
    rej = merge_fields(
        C,
        state,
        prov,
        {"credit_limit": "999"},
        system="crm",
        ts=T2,
        version=2,
        matrix=matrix(NonOwnerPolicy.REJECT),
    )
    assert rej.state == state and rej.rejected == [("credit_limit", "erp")]
    ign = merge_fields(
        C,
        state,
        prov,
        {"credit_limit": "999"},
        system="crm",
        ts=T2,
        version=2,
        matrix=matrix(NonOwnerPolicy.IGNORE),
    )
    assert ign.state == state and not ign.rejected and not ign.proposals
    prop = merge_fields(
        C,
        state,
        prov,
        {"credit_limit": "999"},
        system="crm",
        ts=T2,
        version=2,
        matrix=matrix(NonOwnerPolicy.PROPOSE),
    )
    assert prop.state == state and prop.proposals == [("credit_limit", "999")]
    same = merge_fields(
        C,
        state,
        prov,
        {"credit_limit": "100"},
        system="crm",
        ts=T2,
        version=2,
        matrix=matrix(NonOwnerPolicy.REJECT),
    )
    assert not same.rejected, "asserting the value already held is no conflict"


def test_same_value_newer_time_only_touches_provenance() -> None:
    r = merge_fields(
        C,
        {"credit_limit": "100"},
        {"credit_limit": ["erp", T1, 1]},
        {"credit_limit": "100"},
        system="erp",
        ts=T2,
        version=2,
        matrix=matrix(),
    )
    assert r.changed == [] and r.touched
    assert r.provenance["credit_limit"] == ["erp", T2, 1]


def test_clearing_a_field_keeps_its_stamp_so_an_older_value_cannot_return() -> None:
    m = OwnershipMatrix({})
    r = merge_fields(
        C,
        {"terms": "NET30"},
        {"terms": ["erp", T1, 1]},
        {"terms": None},
        system="erp",
        ts=T2,
        version=2,
        matrix=m,
    )
    assert r.state == {} and r.provenance["terms"] == ["erp", T2, 2]
    late = merge_fields(
        C, r.state, r.provenance, {"terms": "NET30"}, system="erp", ts=T1, version=3, matrix=m
    )
    assert late.state == {} and late.stale == ["terms"]
