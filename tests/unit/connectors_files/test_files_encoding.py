"""Reading real-world exports: byte-order marks, code pages, line endings, delimiters."""

from __future__ import annotations

import codecs
from collections.abc import Callable
from typing import Any

import pytest

from crossdock.connectors.base import SourceError
from crossdock.connectors.files.client import decode, detect_encoding, sniff_delimiter
from crossdock.errors import ErrorCode
from crossdock.model.change import Change

Read = Callable[..., tuple[list[Change], list[SourceError]]]
CUSTOMERS: dict[str, Any] = {
    "entity": "customer",
    "id": "ACCT",
    "columns": {"ACCT": "account_number", "NAME": "name"},
}
TEXT = "ACCT;NAME\nC1;Müller Supply\nC2;Crème & Café €5\n"


def names(changes: list[Change]) -> list[str]:
    return [c.data["name"] for c in changes]


@pytest.mark.parametrize(
    ("label", "data"),
    [
        ("utf-8", TEXT.encode("utf-8")),
        ("utf-8 BOM", codecs.BOM_UTF8 + TEXT.encode("utf-8")),
        ("utf-16 LE BOM", TEXT.encode("utf-16")),  # Python writes the platform BOM (LE)
        ("utf-16 BE BOM", codecs.BOM_UTF16_BE + TEXT.encode("utf-16-be")),
        ("cp1252", TEXT.encode("cp1252")),
    ],
)
def test_encodings_read_back_the_same_text(read: Read, label: str, data: bytes) -> None:
    changes, errors = read("customers.csv", data, **CUSTOMERS)
    assert errors == []
    assert [c.native_id for c in changes] == ["C1", "C2"]  # BOM not glued to "ACCT"
    assert names(changes) == ["Müller Supply", "Crème & Café €5"]


def test_short_cp1252_file_with_one_accent_is_cp1252() -> None:
    data = "ITEMNO;NAME\nA1;Müller\n".encode("cp1252")
    assert detect_encoding(data) == "cp1252"
    assert decode(data).text == "ITEMNO;NAME\nA1;Müller\n"


def test_a_cyrillic_code_page_is_not_forced_into_cp1252() -> None:
    text = "ИМЯ;ГОРОД\nИван;Москва\nПётр;Санкт-Петербург\n"  # noqa: RUF001 - Cyrillic on purpose
    decoded = decode(text.encode("cp1251"))
    assert decoded.text == text
    assert not decoded.lossy


def test_bom_and_explicit_encoding() -> None:
    assert detect_encoding(codecs.BOM_UTF8 + b"a") == "utf-8-sig"
    assert detect_encoding(codecs.BOM_UTF16_LE + "a".encode("utf-16-le")) == "utf-16"
    assert detect_encoding(codecs.BOM_UTF16_BE + "a".encode("utf-16-be")) == "utf-16"
    assert detect_encoding(b"plain ascii") == "utf-8"
    assert decode("Ä".encode("latin-1"), "latin-1").text == "Ä"


def test_explicit_encoding_setting(read: Read) -> None:
    data = "ACCT,NAME\nC1,Łódź\n".encode("cp1250")
    changes, errors = read("customers.csv", data, encoding="cp1250", **CUSTOMERS)
    assert (names(changes), errors) == (["Łódź"], [])


def test_windows_line_endings(read: Read) -> None:
    data = "ACCT;NAME\r\nC1;Müller\r\n\r\nC2;Two\r\n".encode("cp1252")
    changes, errors = read("customers.csv", data, **CUSTOMERS)
    assert errors == []
    assert names(changes) == ["Müller", "Two"]
    assert [c.ref for c in changes] == ["customers.csv:2", "customers.csv:4"]


def test_a_few_broken_bytes_in_utf8_fail_only_their_rows(read: Read) -> None:
    data = "ACCT,NAME\nC1,Café\n".encode() + b"C2,Bad \xff byte\n" + "C3,Zoë\n".encode()
    changes, errors = read("customers.csv", data, **CUSTOMERS)
    assert names(changes) == ["Café", "Zoë"]
    assert len(errors) == 1
    assert errors[0].ref == "customers.csv:3"
    assert errors[0].code is ErrorCode.MALFORMED_ROW
    assert "decode" in errors[0].reason
    assert isinstance(errors[0].raw, str)
    errors[0].raw.encode("utf-8")  # safe to store


@pytest.mark.parametrize("delimiter", [";", "\t", "|", ","])
def test_delimiter_is_detected(read: Read, delimiter: str) -> None:
    lines = [["ACCT", "NAME"], ["C1", "Bolts, nuts and screws"], ["C2", "Two"]]
    text = (
        "\n".join(
            delimiter.join(cells) if delimiter != "," else ",".join(f'"{c}"' for c in cells)
            for cells in lines
        )
        + "\n"
    )
    assert sniff_delimiter(text) == delimiter
    changes, errors = read("customers.csv", text, **CUSTOMERS)
    assert errors == []
    assert names(changes) == ["Bolts, nuts and screws", "Two"]


def test_sniffing_falls_back_to_comma() -> None:
    assert sniff_delimiter("") == ","
    assert sniff_delimiter("SKU\nA\nB\n") == ","


def test_explicit_delimiter_wins(read: Read) -> None:
    text = "ACCT|NAME\nC1|A;B;C\nC2|D;E;F\n"
    changes, errors = read("customers.csv", text, delimiter="|", **CUSTOMERS)
    assert (names(changes), errors) == (["A;B;C", "D;E;F"], [])
