"""Normalization and field comparisons: the spellings systems disagree on come out equal."""

from __future__ import annotations

import pytest

from crossdock.config.customers import CustomersConfig, Level, MatchField
from crossdock.services.customers import normalize as norm
from crossdock.services.customers.compare import compare
from crossdock.services.customers.profile import blocking_keys, profile
from crossdock.services.customers.weights import MatchModel


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("ACME Corp.", "Acme Corporation"),
        ("Acme, Inc.", "ACME Incorporated"),
        ("Müller GmbH", "Muller"),
        ("The Acme Co", "acme company"),
        ("Smith & Sons Ltd", "SMITH AND SONS LIMITED"),
    ],
)
def test_names_equal_once_normalized(a: str, b: str) -> None:
    assert norm.name(a) == norm.name(b)


def test_a_name_that_is_only_a_legal_form_keeps_it() -> None:
    assert norm.name("Corp.") == "corp"


@pytest.mark.parametrize(
    ("a", "b"),
    [
        (("12 Main St, Ste 4",), ("12 Main Street #4",)),
        (("12 Main St", "Suite 4"), ("12 MAIN STREET, STE. 4",)),
        (("5 N Oak Ave",), ("5 North Oak Avenue",)),
    ],
)
def test_addresses_equal_once_normalized(a: tuple[str, ...], b: tuple[str, ...]) -> None:
    assert norm.address_line(*a) == norm.address_line(*b)


def test_phone_email_postcode_tax() -> None:
    assert norm.phone("+1 (555) 123-4567") == norm.phone("555.123.4567") == "5551234567"
    assert norm.phone("12-34") == ""
    assert norm.email_domain("Orders@ACME.com") == "acme.com"
    assert norm.email_domain("someone@gmail.com") == ""
    assert norm.email_domain("not an address") == ""
    assert norm.postcode("62701-1234") == norm.postcode("62701") == "62701"
    assert norm.postcode("sw1a 1aa") == "SW1A1AA"
    assert norm.tax_id("EIN", "12-3456789") == "EIN:123456789"
    assert norm.tax_id("EIN", " - ") == ""


def _cust(name: str, line1: str | None = None, **kw: str) -> dict[str, object]:
    addr = {"line1": line1, "city": kw.get("city"), "postal_code": kw.get("postcode")}
    data: dict[str, object] = {"name": name}
    if line1 is not None:
        data["sites"] = [{"code": "S", "roles": ["sold_to"], "address": addr}]
    contact = {k: kw[k] for k in ("phone", "email") if k in kw}
    if contact:
        data["contacts"] = [contact]
    return data


FIELDS = list(MatchField)


def test_levels_of_the_issue_example() -> None:
    a = profile("a", _cust("ACME Corp.", "12 Main St, Ste 4", city="Springfield", postcode="62701"))
    b = profile("b", _cust("Acme Corporation", "12 Main Street #4", city="Springfield"))
    levels = dict(zip(FIELDS, compare(a, b, FIELDS), strict=True))
    assert levels[MatchField.NAME] is Level.EXACT
    assert levels[MatchField.STREET] is Level.EXACT
    assert levels[MatchField.CITY] is Level.EXACT
    assert levels[MatchField.POSTCODE] is Level.MISSING
    assert levels[MatchField.PHONE] is Level.MISSING


def test_close_and_different_levels() -> None:
    a = profile("a", _cust("Acme Supply", "12 Main St", postcode="62701", phone="5551234567"))
    b = profile("b", _cust("Acme Suply", "14 Main St", postcode="10001", phone="4441234567"))
    levels = dict(zip(FIELDS, compare(a, b, FIELDS), strict=True))
    assert levels[MatchField.NAME] is Level.CLOSE  # a typo
    assert levels[MatchField.STREET] is Level.DIFFERENT  # another door
    assert levels[MatchField.POSTCODE] is Level.DIFFERENT
    assert levels[MatchField.PHONE] is Level.CLOSE  # same local number, other area code


def _level(field: MatchField, a: dict[str, object], b: dict[str, object]) -> Level:
    [level] = compare(profile("a", a), profile("b", b), [field])
    return level


@pytest.mark.parametrize(
    ("a", "b", "level"),
    [
        ("Acme Supply", "Acme Suply", Level.CLOSE),  # a typo
        ("Oak Office", "Osk Office", Level.CLOSE),  # a typo in a short word
        ("Supply Acme", "Acme Supply", Level.CLOSE),  # word order
        ("Meridianr Estaurant", "Meridian Restaurant", Level.CLOSE),  # a space misplaced
        ("Lakeside L.L.C.", "Lakeside", Level.EXACT),  # dotted initials are a legal form
        ("Acme", "Acme Industrial Supply", Level.PARTIAL),  # words added
        ("Annika Ryan", "Jack Ryan", Level.PARTIAL),  # a word in common
        # a common start is not a typo: Jaro-Winkler gives these 0.93
        ("Alexander Dixon", "Alexander Dent", Level.PARTIAL),
        ("Acme", "Borealis", Level.DIFFERENT),
        ("The Oak Co", "Oak of the Valley", Level.PARTIAL),  # "oak", not "the"/"of"
    ],
)
def test_name_levels(a: str, b: str, level: Level) -> None:
    assert _level(MatchField.NAME, {"name": a}, {"name": b}) is level


@pytest.mark.parametrize(
    ("a", "b", "level"),
    [
        ("62701", "62710", Level.CLOSE),  # two keys swapped
        ("62701", "62702", Level.CLOSE),  # one key off
        ("62701", "62790", Level.PARTIAL),  # the same ZIP area
        ("62701", "10001", Level.DIFFERENT),
        ("627", "672", Level.DIFFERENT),  # too short to call a swap a typo
    ],
)
def test_postcode_levels(a: str, b: str, level: Level) -> None:
    x, y = _cust("Acme", "1 Main St", postcode=a), _cust("Acme", "1 Main St", postcode=b)
    assert _level(MatchField.POSTCODE, x, y) is level


@pytest.mark.parametrize(
    ("a", "b", "level"),
    [
        ("21 Bayly P Lace", "21 Bayly Place", Level.CLOSE),  # a space typed into a word
        ("238 Berne Creswcent", "238 Berne Crescent Civic Centre", Level.PARTIAL),
        ("Renmark Street", "52 Renmark Street", Level.PARTIAL),  # one side has no number
        ("12 Main St", "14 Main St", Level.DIFFERENT),  # another door
        ("12 Main St", "12 Oak Ave", Level.DIFFERENT),
    ],
)
def test_street_levels(a: str, b: str, level: Level) -> None:
    assert _level(MatchField.STREET, _cust("Acme", a), _cust("Acme", b)) is level


@pytest.mark.parametrize(
    ("a", "b", "level"),
    [
        (("EIN", "12-3456789"), ("TAXID", "123456789"), Level.CLOSE),  # another scheme name
        (("EIN", "12-3456789"), ("EIN", "12-3456798"), Level.CLOSE),  # two digits swapped
        (("EIN", "12-3456789"), ("EIN", "12-3450789"), Level.CLOSE),  # one digit mistyped
        (("EIN", "12-3456789"), ("EIN", "12-3459876"), Level.DIFFERENT),
        (("EIN", "1234"), ("EIN", "1243"), Level.DIFFERENT),  # too short to call it a typo
    ],
)
def test_tax_id_levels(a: tuple[str, str], b: tuple[str, str], level: Level) -> None:
    def with_tax(t: tuple[str, str]) -> dict[str, object]:
        return {"name": "Acme", "tax_ids": [{"scheme": t[0], "value": t[1]}]}

    assert _level(MatchField.TAX_ID, with_tax(a), with_tax(b)) is level


def test_every_decision_explains_each_comparison() -> None:
    model = MatchModel.build(CustomersConfig(), None)
    a = profile("a", _cust("ACME Corp.", "12 Main St, Ste 4"))
    b = profile("b", _cust("Acme Corporation", "12 Main Street #4"))
    doc = model.score(a, b).explain()
    assert [c["field"] for c in doc["comparisons"]] == [f.value for f in FIELDS]
    assert doc["weight"] == pytest.approx(sum(c["weight"] for c in doc["comparisons"]), abs=1e-3)
    assert doc["weight"] > CustomersConfig().upper


def test_overrides_win_and_thresholds_are_checked() -> None:
    cfg = CustomersConfig.model_validate(
        {"overrides": {"name": {"exact": {"m": 0.5, "u": 0.25}}}, "compare": ["name"]}
    )
    model = MatchModel.build(cfg, {MatchField.NAME: {Level.EXACT: (0.9, 0.001)}})
    assert model.probabilities[MatchField.NAME][Level.EXACT] == (0.5, 0.25)
    # kept monotone: exact never weighs less than close (2.87 bits from the prior)
    assert (
        model.weights[MatchField.NAME][Level.EXACT] == model.weights[MatchField.NAME][Level.CLOSE]
    )
    with pytest.raises(ValueError, match="lower"):
        CustomersConfig(upper=1, lower=2)


def test_blocking_keys() -> None:
    p = profile(
        "a",
        _cust(
            "ACME Corp.",
            "12 Main St",
            postcode="62701",
            city="Springfield",
            phone="555 123 4567",
            email="o@acme.com",
        )
        | {"tax_ids": [{"scheme": "EIN", "value": "12-3456789"}]},
    )
    typo_keys = [  # the number with each digit left out once
        "td:12345678", "td:12345679", "td:12345689", "td:12345789", "td:12346789",
        "td:12356789", "td:12456789", "td:13456789", "td:23456789",
    ]  # fmt: skip
    assert blocking_keys(p) == [
        "ad:62701:12",  # the door: postcode + house number
        "cn:springfield:12",  # the door: city + house number (a postcode mistyped)
        "ds:01267:12",  # the door: the postcode's digits in any order + house number
        "em:acme.com",
        "nm:acme",
        "ph:5551234567",
        "pn:62701:acme",
        "sn:12:main",  # the door: house number + street word
        *typo_keys,
        "tx:EIN:123456789",
    ]
    assert blocking_keys(profile("b", {"sites": []})) == []


def test_tax_numbers_one_typo_apart_share_a_typo_key() -> None:
    def keys(value: str) -> set[str]:
        data = {"name": "Acme", "tax_ids": [{"scheme": "EIN", "value": value}]}
        return {k for k in blocking_keys(profile("a", data)) if k.startswith("td:")}

    assert keys("12-3456789") & keys("12-3456798")  # two digits swapped
    assert keys("12-3456789") & keys("12-3450789")  # one digit mistyped
    assert not keys("12-3456789") & keys("98-7654321")
    assert keys("12345") == set()  # too short: strangers would share its keys


@pytest.mark.parametrize(
    "data",
    [
        {"sites": [{"code": "S", "roles": ["sold_to"], "address": {"line1": "12 Main St"}}]},
        {"name": "", "contacts": [{"phone": "555 123 4567"}]},
        {"name": "  ...  "},
        {"name": 42},
    ],
)
def test_a_customer_without_a_usable_name_is_never_matched(data: dict[str, object]) -> None:
    p = profile("x", data)
    assert not p.matchable
    assert blocking_keys(p) == []


def test_unparseable_values_are_missing_not_agreeing() -> None:
    a = profile(
        "a",
        _cust("Acme", "12 Main St", postcode="???")
        | {"tax_ids": [{"scheme": "EIN", "value": " "}]},
    )
    b = profile(
        "b",
        _cust("Acme", "12 Main St", postcode="-") | {"tax_ids": [{"scheme": "EIN", "value": ""}]},
    )
    levels = dict(zip(FIELDS, compare(a, b, FIELDS), strict=True))
    assert levels[MatchField.POSTCODE] is Level.MISSING
    assert levels[MatchField.TAX_ID] is Level.MISSING
    assert not any(k.startswith(("tx:", "pn:")) for k in blocking_keys(a))


def test_a_lone_surrogate_in_a_name_does_not_break_normalization() -> None:
    # a name decoded with errors="surrogateescape" from non-UTF-8 bytes
    assert norm.name("Acme\udce9 Corp") == "acme"
