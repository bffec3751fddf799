"""Normalization: the spellings of one customer that systems disagree on, brought to one form.

"ACME Corp." and "Acme Corporation" are one company; "12 Main St, Ste 4" and
"12 Main Street #4" one address. Names lose case, accents, punctuation and
their legal form (the legal form says little about who a customer is and
is the part systems abbreviate most); address lines keep every word but
spell the usual abbreviations out. Phones become their digits, emails their
domain (a free-mail domain says nothing about the company), postcodes their
letters and digits (a US ZIP+4 its five-digit ZIP).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

LEGAL_FORMS = frozenset(
    {
        "ag", "bv", "co", "company", "corp", "corporation", "gmbh", "inc", "incorporated",
        "kg", "limited", "llc", "llp", "lp", "ltd", "nv", "oy", "plc", "pty", "sa", "sarl",
        "sas", "spa", "srl",
    }
)  # fmt: skip
"""Tokens dropped from a normalized name ("co" too: "Acme Co" is "Acme Company")."""

_NAME_WORDS = {"&": "and", "intl": "international", "mfg": "manufacturing", "bros": "brothers"}

ADDRESS_WORDS = {
    "st": "street", "str": "strasse", "ste": "suite", "#": "suite", "ave": "avenue",
    "av": "avenue", "rd": "road", "blvd": "boulevard", "dr": "drive", "ln": "lane",
    "ct": "court", "pl": "place", "sq": "square", "hwy": "highway", "pkwy": "parkway",
    "fl": "floor", "flr": "floor", "apt": "apartment", "bldg": "building", "unit": "suite",
    "n": "north", "s": "south", "e": "east", "w": "west", "ne": "northeast", "nw": "northwest",
    "se": "southeast", "sw": "southwest", "po": "po", "cir": "circle", "ter": "terrace",
}  # fmt: skip
"""Address abbreviations spelled out (``unit`` and ``#`` count as a suite: one door)."""

FREE_MAIL = frozenset(
    {
        "gmail.com", "googlemail.com", "yahoo.com", "hotmail.com", "outlook.com", "live.com",
        "aol.com", "icloud.com", "me.com", "msn.com", "gmx.de", "gmx.net", "web.de", "proton.me",
        "protonmail.com", "mail.com", "yandex.ru",
    }
)  # fmt: skip

CACHED = 65_536
"""Names, address lines and cities kept normalized: a candidate's profile is rebuilt from its
stored data at every identification, and namesakes, streets and cities recur (measured:
about a third of the online matcher's time went to normalizing the same strings again)."""

_SPLIT = re.compile(r"[^0-9a-z#&]+")
_HASH = re.compile(r"#")
_DIGITS = re.compile(r"\D+")
_ALNUM = re.compile(r"[^0-9A-Z]+")
_ZIP4 = re.compile(r"^(\d{5})\d{4}$")


def fold(text: str) -> str:
    """Lower case, accents off (ü -> u), compatibility forms unified (ﬁ -> fi)."""
    if text.isascii():  # most data: ASCII has nothing to decompose
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def _words(text: str) -> list[str]:
    """Folded words, split at punctuation and space; ``#`` and ``&`` are words of their own."""
    spaced = _HASH.sub(" # ", fold(text)).replace("&", " & ")
    out: list[str] = []
    for chunk in spaced.split():
        if chunk in ("#", "&"):
            out.append(chunk)
        else:
            out.extend(t for t in _SPLIT.split(chunk) if t)
    return out


def _initials(words: list[str]) -> list[str]:
    """Runs of single letters joined: "L.L.C." is "llc" (a legal form), "A.B.C." is "abc"."""
    out: list[str] = []
    run = ""
    for w in [*words, ""]:
        if len(w) == 1 and w.isalpha():
            run += w
            continue
        if run:
            out.append(run)
            run = ""
        if w:
            out.append(w)
    return out


@lru_cache(maxsize=CACHED)
def name(text: str | None) -> str:
    """A company name for comparison: initials joined, legal forms and a leading "the" dropped."""
    if not text:
        return ""
    words = [_NAME_WORDS.get(w, w) for w in _initials(_words(text))]
    kept = [w for w in words if w not in LEGAL_FORMS]
    if kept and kept[0] == "the" and len(kept) > 1:
        kept = kept[1:]
    # A name that is nothing but a legal form ("Corp.") keeps it rather than vanish.
    return " ".join(kept or words)


@lru_cache(maxsize=CACHED)
def address_line(*lines: str | None) -> str:
    """Address lines joined, abbreviations spelled out ("Ste 4" and "#4" both "suite 4")."""
    words: list[str] = []
    for line in lines:
        if line:
            words.extend(ADDRESS_WORDS.get(w, w) for w in _words(line))
    return " ".join(words)


@lru_cache(maxsize=CACHED)
def city(text: str | None) -> str:
    return " ".join(_words(text)) if text else ""


def postcode(text: str | None) -> str:
    """Letters and digits, upper case; a ZIP+4 is its ZIP ("02139-4307" -> "02139")."""
    if not text:
        return ""
    code = _ALNUM.sub("", fold(text).upper())
    zip4 = _ZIP4.match(code)
    return zip4.group(1) if zip4 else code


def phone(text: str | None) -> str:
    """The digits, the last ten of a longer number (country prefix off); short ones are none."""
    if not text:
        return ""
    digits = _DIGITS.sub("", text)
    if len(digits) < 7:
        return ""
    return digits[-10:]


def email_domain(text: str | None) -> str:
    """The domain of an address, none for free-mail providers and malformed addresses."""
    if not text or "@" not in text:
        return ""
    domain = fold(text.rsplit("@", 1)[1]).strip().strip(".")
    if "." not in domain or domain in FREE_MAIL:
        return ""
    return domain


def tax_id(scheme: str | None, value: str | None) -> str:
    """``SCHEME:VALUE`` with only letters and digits kept; none when the value has none."""
    v = _ALNUM.sub("", fold(value or "").upper())
    if not v:
        return ""
    return f"{_ALNUM.sub('', fold(scheme or '').upper())}:{v}"


__all__ = [
    "ADDRESS_WORDS",
    "FREE_MAIL",
    "LEGAL_FORMS",
    "address_line",
    "city",
    "email_domain",
    "fold",
    "name",
    "phone",
    "postcode",
    "tax_id",
]
