"""Ship-to sites identified against the stored ones (pure)."""

from __future__ import annotations

from typing import Any

from crossdock.services.customers.sites import address_code, identify, identify_sites


def site(line1: str, code: str | None = None, roles: tuple[str, ...] = ("ship_to",)) -> Any:
    s: dict[str, Any] = {
        "roles": list(roles),
        "address": {"line1": line1, "city": "Springfield", "postal_code": "62701-0001"},
    }
    return s if code is None else {"code": code, **s}


STORED = [site("12 Main St, Ste 4", "MAIN"), site("400 Dock Rd", "WH")]


def test_a_known_code_is_kept_even_at_another_sites_address() -> None:
    sent = [site("400 Dock Rd", "MAIN")]  # the owner moved MAIN: its code decides
    assert identify_sites(STORED, sent) == (sent, {})


def test_an_unknown_code_at_a_stored_address_takes_the_stored_code() -> None:
    out, joined = identify_sites(STORED, [site("12 Main Street #4", "SHIP-7")])
    assert [s["code"] for s in out] == ["MAIN"] and joined == {"SHIP-7": "MAIN"}


def test_an_unknown_address_keeps_its_code_and_a_codeless_one_gets_a_stable_code() -> None:
    out, joined = identify_sites(STORED, [site("9 Elm St", "NEW"), site("7 Oak Ave")])
    assert out[0]["code"] == "NEW"
    code = out[1]["code"]
    assert code.startswith("site-") and list(joined.values()) == [code]
    again, _ = identify_sites([], [site("7 OAK AVENUE")])
    assert again[0]["code"] == code == address_code(next(iter(joined)))


def test_two_sent_sites_that_are_one_stored_site_are_united() -> None:
    sent = [site("12 Main St, Ste 4", "MAIN"), site("12 Main St Suite 4", "B", ("bill_to",))]
    out, joined = identify_sites(STORED, sent)
    assert len(out) == 1 and out[0]["roles"] == ["ship_to", "bill_to"] and joined == {"B": "MAIN"}


def test_a_site_with_neither_code_nor_street_is_left_for_validation() -> None:
    bare = {"roles": ["ship_to"]}
    assert identify_sites(STORED, [bare]) == ([bare], {})


def test_the_senders_own_site_id_decides_before_code_and_address() -> None:
    moved = {**site("9 Elm St", "DOCK-B"), "native_id": "42"}
    found = identify(STORED, [moved], own={"42": "WH"})
    assert [s["code"] for s in found.sites] == ["WH"] and "native_id" not in found.sites[0]
    assert found.learned == {}  # the crosswalk already says so
    # a code the sender identified once by address keeps naming that site when it moves
    found = identify(STORED, [site("9 Elm St", "SHIP-7")], own={"SHIP-7": "MAIN"})
    assert [s["code"] for s in found.sites] == ["MAIN"]


def test_what_the_crosswalk_learns() -> None:
    found = identify(STORED, [site("12 Main Street #4", "SHIP-7"), site("400 Dock Rd", "WH")])
    assert found.learned == {"SHIP-7": "MAIN"}  # a code that is its own site's needs no row
    found = identify(STORED, [{**site("5 New Rd", "N1"), "native_id": "a-1"}])
    assert found.learned == {"a-1": "N1"} and found.sites[0]["code"] == "N1"


def test_a_code_a_merge_joined_away_is_the_surviving_site() -> None:
    found = identify(STORED, [site("77 Far Rd", "HQ")], aliases={"HQ": "MAIN"})
    assert [s["code"] for s in found.sites] == ["MAIN"] and found.joined == {"HQ": "MAIN"}
