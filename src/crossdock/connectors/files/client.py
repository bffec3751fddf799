"""Reading a file's text: decoding and delimiter sniffing.

The drop folder itself (which entries are read, and how safely) is the
connector kit's :mod:`~crossdock.connectors.kit.drop_folder`, shared by every
connector that reads folders.

Decoding (:func:`decode`): a byte-order mark decides (UTF-8, UTF-16, UTF-32);
else strict UTF-8; else charset-normalizer's best guess, preferring
Windows-1252 when it reads the bytes as well as the guess does (short Western
exports are where detectors go wrong, and where ERPs write cp1252). Bytes no
codec explains are kept as lone surrogates (``surrogateescape``) so the rows
they sit in can be reported one by one instead of failing the file.
"""

from __future__ import annotations

import codecs
import csv
import re
from dataclasses import dataclass

import charset_normalizer

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
#: How much worse (charset-normalizer "chaos") cp1252 may score and still be preferred.
_CP1252_MARGIN = 0.1
DELIMITERS = ",;\t|"
_SNIFF_LINES = 50
_SNIFF_CHARS = 32_768
#: Bytes charset-normalizer looks at (the whole file is then decoded with its answer).
_DETECT_BYTES = 262_144
_ESCAPED = re.compile("[\udc80-\udcff]")
_HIGH_BYTES = bytes(range(0x80, 0x100))


@dataclass(frozen=True, slots=True)
class Decoded:
    text: str
    encoding: str
    lossy: bool


def detect_encoding(data: bytes) -> str:
    """The codec a file's bytes are most likely in (see the module docstring)."""
    for bom, name in _BOMS:
        if data.startswith(bom):
            return name
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        return "utf-8"
    escaped = data.decode("utf-8", errors="surrogateescape")
    bad = len(_ESCAPED.findall(escaped))  # one per byte UTF-8 cannot explain
    good = len(data) - len(data.translate(None, _HIGH_BYTES)) - bad
    if good >= bad:
        return "utf-8"  # UTF-8 with a few broken bytes, not a legacy code page
    sample = data[:_DETECT_BYTES]
    if len(data) > _DETECT_BYTES and b"\n" in sample:
        sample = sample[: sample.rindex(b"\n") + 1]  # no character cut in half
    matches = charset_normalizer.from_bytes(sample)
    best = matches.best()
    if best is None:
        return "utf-8"
    for match in matches:
        if "cp1252" in match.could_be_from_charset and match.chaos <= best.chaos + _CP1252_MARGIN:
            return "cp1252"
    return str(best.encoding)


def decode(data: bytes, encoding: str = "auto") -> Decoded:
    """The file's text; ``lossy`` when some bytes did not decode (kept as surrogates)."""
    name = detect_encoding(data) if encoding == "auto" else encoding
    try:
        return Decoded(data.decode(name), name, False)
    except UnicodeDecodeError:
        return Decoded(data.decode(name, errors="surrogateescape"), name, True)


def sniff_delimiter(text: str) -> str:
    """The delimiter among ``, ; tab |`` that the first lines agree on; ``,`` if unsure."""
    lines = text[:_SNIFF_CHARS].splitlines()[:_SNIFF_LINES]
    if len(text) > _SNIFF_CHARS and len(lines) > 1:
        lines = lines[:-1]  # the last one may be cut short
    sample = "\n".join(lines)
    if not sample:
        return ","
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=DELIMITERS)
    except csv.Error:
        return ","
    return dialect.delimiter if dialect.delimiter in DELIMITERS else ","


__all__ = [
    "DELIMITERS",
    "Decoded",
    "decode",
    "detect_encoding",
    "sniff_delimiter",
]
