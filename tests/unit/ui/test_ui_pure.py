"""The console's pure parts: its public face, the corrected value, the signed cookies."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

import crossdock.ui
from crossdock.errors import InvalidInput
from crossdock.ui.exceptions import parse_value, with_value
from crossdock.ui.pages import safe_next
from crossdock.ui.session import Signer


def test_public_names() -> None:
    assert sorted(crossdock.ui.__all__) == ["SECRET_ENV", "Signer", "install_console"]


def test_numbers_stay_text_so_money_stays_exact() -> None:
    assert parse_value("12.50") == "12.50"
    assert Decimal(parse_value("0.1")) == Decimal("0.1")
    assert parse_value('{"value": "2", "unit": "kg"}') == {"value": "2", "unit": "kg"}
    assert parse_value("[1, 2]") == [1, 2]
    assert parse_value("null") is None
    with pytest.raises(InvalidInput) as err:
        parse_value("{not json")
    assert err.value.field == "value"  # type: ignore[attr-defined]


def test_with_value_sets_a_dotted_path_and_leaves_the_kept_data_alone() -> None:
    kept = {"sku": "A", "weight": {"value": "x", "unit": "kg"}}
    fixed = with_value(kept, "weight.value", "2.5")
    assert fixed == {"sku": "A", "weight": {"value": "2.5", "unit": "kg"}}
    assert kept["weight"] == {"value": "x", "unit": "kg"}
    assert with_value({}, "dimensions.height", "3") == {"dimensions": {"height": "3"}}
    with pytest.raises(InvalidInput):
        with_value(kept, " . ", "1")


def test_only_console_paths_are_followed_after_sign_in() -> None:
    assert safe_next("/console/exceptions?code=x") == "/console/exceptions?code=x"
    for bad in (None, "", "https://evil.example/", "//evil.example/console/", "/v1/records"):
        assert safe_next(bad) == "/console/overview"


@given(st.text(min_size=1, max_size=40), st.text(min_size=1, max_size=40))
def test_a_session_cookie_reads_back_only_under_its_own_secret(prefix: str, digest: str) -> None:
    mine, other = Signer("one secret"), Signer("another secret")
    value, csrf = mine.session_cookie(prefix, digest)
    assert mine.read_session(value) == (prefix, digest, csrf)
    assert other.read_session(value) is None
    assert mine.read_session(value[:-2] + ("AA" if not value.endswith("AA") else "BB")) is None
    login, _token = mine.login_cookie()
    assert mine.read_session(login) is None, "a sign-in cookie is not a session"


def test_a_process_without_the_secret_makes_its_own(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(crossdock.ui.SECRET_ENV, raising=False)
    value, _ = Signer().session_cookie("p", "h")
    assert Signer().read_session(value) is None
    monkeypatch.setenv(crossdock.ui.SECRET_ENV, "shared by every process")
    value, _ = Signer().session_cookie("p", "h")
    assert Signer().read_session(value) is not None
