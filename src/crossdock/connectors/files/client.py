"""File system work: the drop folder, decoding, delimiter sniffing, atomic writes.

:class:`DropFolder` owns an inbox and its ``processed/`` and ``rejected/``
subfolders. Files are listed oldest first; hidden files and names that look
like a transfer in progress (``.tmp``, ``.part``, ``~$...``) are left alone,
so writers should drop a file under a temporary name and rename it.

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
import os
import re
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import charset_normalizer

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_IN_TRANSIT = (".tmp", ".part", ".partial", ".crdownload", ".filepart")
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


def stamp(now: datetime | None = None) -> str:
    """A sortable UTC timestamp for file names: ``20240501T120102123456Z``."""
    return (now or datetime.now(UTC)).astimezone(UTC).strftime("%Y%m%dT%H%M%S%fZ")


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``path`` so readers see the old file or the new one, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class DropFolder:
    """An inbox folder with ``processed/`` and ``rejected/`` beside its files."""

    def __init__(self, inbox: Path, *, settle_seconds: float = 0.0) -> None:
        self.inbox = inbox
        self.processed = inbox / "processed"
        self.rejected = inbox / "rejected"
        self.settle_seconds = settle_seconds
        for folder in (self.inbox, self.processed, self.rejected):
            folder.mkdir(parents=True, exist_ok=True)

    def ready(self) -> list[Path]:
        """Files waiting in the inbox, oldest first (then by name)."""
        now = time.time()
        found: list[tuple[int, str, Path]] = []
        with os.scandir(self.inbox) as entries:
            for entry in entries:
                name = entry.name
                if name.startswith((".", "~$")) or name.lower().endswith(_IN_TRANSIT):
                    continue
                try:
                    if not entry.is_file():
                        continue
                    mtime = entry.stat().st_mtime_ns
                except FileNotFoundError:
                    continue
                if self.settle_seconds and now - mtime / 1e9 < self.settle_seconds:
                    continue
                found.append((mtime, name, Path(entry.path)))
        return [path for _, _, path in sorted(found)]

    def move(self, path: Path, folder: Path, *, now: datetime | None = None) -> Path:
        """Move a file into ``folder`` as ``<stem>.<timestamp><ext>``, never overwriting one."""
        folder.mkdir(parents=True, exist_ok=True)  # recreated if someone removed it
        suffix = path.suffix
        stem = path.name[: -len(suffix)] if suffix else path.name
        base = f"{stem}.{stamp(now)}"
        target = folder / f"{base}{suffix}"
        n = 1
        while target.exists():
            target = folder / f"{base}-{n}{suffix}"
            n += 1
        os.replace(path, target)
        return target

    def reject(self, path: Path, reason: str) -> Path:
        """Move a file to ``rejected/`` with ``<name>.reason.txt`` beside it."""
        target = self.move(path, self.rejected)
        note = target.with_name(target.name + ".reason.txt")
        write_atomic(note, (reason.rstrip() + "\n").encode("utf-8"))
        return target


__all__ = [
    "DELIMITERS",
    "Decoded",
    "DropFolder",
    "decode",
    "detect_encoding",
    "sniff_delimiter",
    "stamp",
    "write_atomic",
]
