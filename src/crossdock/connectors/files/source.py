"""The drop folder as a source: one file, one acknowledged unit of changes.

Each file whose name matches a mapping becomes an
:class:`~crossdock.connectors.base.InboundUnit`; a file no mapping matches is
moved to ``rejected/`` with a ``.reason.txt`` beside it. ``ack`` moves the
file to ``processed/`` (with a timestamp in its name) once the engine has
committed everything from it. A crash before that reads the file again; every
change carries ``idempotency_key = "<sha256 of the file bytes, 16 hex>:<line>"``,
so ingest drops what it already applied, and an edited file (other bytes) is
new input.

A row that cannot be mapped (wrong number of fields, undecodable bytes, bad
JSON, missing id, an unmapped value) becomes a
:class:`~crossdock.connectors.base.SourceError` with ``ref = "file.csv:LINE"``,
the column or field at fault and the raw row; the rest of the file goes on.
Lines are physical line numbers (the header is normally line 1), so a quoted
field spanning lines keeps the numbers a text editor shows. A file is read
into memory whole, because its hash is part of every key: split exports of
several gigabytes.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NoReturn

from crossdock.connectors.base import InboundUnit, SourceError, SourceItem
from crossdock.connectors.files.client import decode, sniff_delimiter
from crossdock.connectors.files.config import FileFormat, FileMapping, FilesSettings
from crossdock.connectors.kit.drop_folder import (
    DropFolder,
    FileBytes,
    UnsafeEntry,
    read_regular,
)
from crossdock.connectors.kit.fieldmap.objects import plan_for_json
from crossdock.connectors.kit.fieldmap.problems import FileProblem, RowProblem
from crossdock.connectors.kit.fieldmap.rows import RowPlan
from crossdock.connectors.kit.limits import MAX_BYTES, problem_in
from crossdock.errors import ErrorCode, InvalidInput, RetryableError
from crossdock.model.change import Change


@dataclass(frozen=True, slots=True)
class _File:
    """What every item of one file shares."""

    system: str
    name: str
    mapping: FileMapping
    text: str
    lossy: bool
    digest: str
    mtime: datetime

    def error(
        self, line: int, problem: RowProblem, raw: Mapping[str, Any] | str | None
    ) -> SourceError:
        return SourceError(
            system=self.system,
            reason=problem.reason,
            code=problem.code,
            ref=f"{self.name}:{line}",
            field=problem.field,
            entity_type=self.mapping.entity,
            native_id=problem.native_id,
            raw=raw,
        )


_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def _no_constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not valid JSON")


def _undecodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _printable(text: str) -> str:
    """Text with undecodable bytes shown as ``?`` (safe to store and print)."""
    return text.encode("utf-8", "replace").decode("utf-8")


def _undecodable_problem() -> RowProblem:
    return RowProblem(
        ErrorCode.MALFORMED_ROW,
        None,
        "holds bytes the file's encoding cannot decode; fix the export's encoding",
    )


def _csv_items(f: _File) -> Iterator[SourceItem]:
    delimiter = f.mapping.delimiter or sniff_delimiter(f.text)
    reader = csv.reader(io.StringIO(f.text, newline=""), delimiter=delimiter, strict=True)
    header: list[str] | None = None
    try:
        header = next(reader, None)
        while header == []:  # blank lines before the header
            header = next(reader, None)
        if header is None:
            raise FileProblem(ErrorCode.MALFORMED_ROW, None, "empty file: a header row is required")
        if f.lossy and _undecodable("".join(header)):
            header = [_printable(h) for h in header]
            raise _undecodable_problem()
        plan = RowPlan(f.mapping, header)
    except csv.Error as exc:
        problem = FileProblem(ErrorCode.MALFORMED_ROW, None, f"unreadable CSV header: {exc}")
        yield f.error(reader.line_num or 1, problem, None)
        return
    except RowProblem as problem:
        yield f.error(reader.line_num or 1, problem, delimiter.join(header) if header else None)
        return
    header_line = reader.line_num
    for column in plan.missing:
        yield f.error(
            header_line,
            RowProblem(
                ErrorCode.MAPPING_FAILED,
                column,
                f"column {column!r} named in the mapping is not in the header; "
                "its field is not read from this file",
            ),
            delimiter.join(header),
        )
    names = [h.strip() for h in header]
    width = plan.width
    prefix = f"{f.digest}:"
    strip = str.strip
    system, entity, name, mtime = f.system, f.mapping.entity, f.name, f.mtime
    lossy = f.lossy
    line = reader.line_num + 1
    rows = iter(reader)
    physical: list[str] | None = None  # the file's lines, split only if a record is unreadable
    while True:
        try:
            for cells in rows:
                start, line = line, reader.line_num + 1
                if len(cells) != width:
                    if any(c.strip() for c in cells):
                        wrong = _width_problem(cells, names)
                        wrong.native_id = _readable_id(plan, cells)
                        yield f.error(start, wrong, delimiter.join(cells))
                    continue
                if lossy and _undecodable("".join(cells)):
                    yield f.error(start, _undecodable_problem(), _printable(delimiter.join(cells)))
                    continue
                row = list(map(strip, cells))
                try:
                    nid, op, data, ts = plan.map_row(row)
                except RowProblem as problem:
                    if any(row):
                        yield f.error(start, problem, dict(zip(names, cells, strict=True)))
                    continue
                yield Change(
                    system=system,
                    entity_type=entity,
                    native_id=nid,
                    data=data,
                    op=op,
                    source_ts=ts or mtime,
                    idempotency_key=f"{prefix}{start}",
                    ref=f"{name}:{start}",
                )
            return
        except csv.Error as exc:
            if reader.line_num + 1 == line:
                return  # the reader is stuck: nothing more can be read
            start, line = line, reader.line_num + 1
            if physical is None:
                physical = _LINE_BREAK.split(f.text)  # the line ends csv counts
            raw = "\n".join(physical[start - 1 : line - 1])
            broken = RowProblem(ErrorCode.MALFORMED_ROW, None, f"unreadable CSV: {exc}")
            yield f.error(start, broken, _printable(raw[:10_000]))


def _readable_id(plan: RowPlan, cells: list[str]) -> str | None:
    """The row's id when its id cells are there, even if the row is too long or short."""
    if any(i >= len(cells) for i in plan.id_index):
        return None
    try:
        return plan.native_id([c.strip() for c in cells])
    except RowProblem:
        return None


def _width_problem(cells: list[str], names: list[str]) -> RowProblem:
    width = len(names)
    if len(cells) > width:
        field = f"column {width + 1}"
        what = f"{len(cells) - width} more than the header"
    else:
        field = names[len(cells)] or f"column {len(cells) + 1}"
        what = f"no value for {field}" if len(cells) + 1 == width else f"no values from {field} on"
    return RowProblem(
        ErrorCode.MALFORMED_ROW,
        field,
        f"expected {width} fields like the header, got {len(cells)} ({what})",
    )


def _jsonl_items(f: _File) -> Iterator[SourceItem]:
    plan = plan_for_json(f.mapping)
    prefix = f"{f.digest}:"
    system, entity, name, mtime = f.system, f.mapping.entity, f.name, f.mtime
    for number, line in enumerate(f.text.split("\n"), start=1):
        text = line.strip()
        if not text:
            continue
        if f.lossy and _undecodable(text):
            yield f.error(number, _undecodable_problem(), _printable(text))
            continue
        if len(text) > MAX_BYTES or len(text.encode("utf-8", "surrogatepass")) > MAX_BYTES:
            size = len(text.encode("utf-8", "surrogatepass"))
            too_big = RowProblem(
                ErrorCode.DOCUMENT_REFUSED,
                None,
                f"the row is {size} bytes, larger than the limit of {MAX_BYTES} bytes (max_bytes)",
            )
            yield f.error(number, too_big, None)
            continue
        try:
            obj = json.loads(text, parse_float=str, parse_constant=_no_constant)
        except ValueError as exc:
            where = getattr(exc, "colno", None)
            at = f" at column {where}" if where else ""
            msg = getattr(exc, "msg", str(exc))
            problem = RowProblem(ErrorCode.MALFORMED_ROW, None, f"invalid JSON{at}: {msg}")
            yield f.error(number, problem, text)
            continue
        except RecursionError:
            problem = RowProblem(ErrorCode.MALFORMED_ROW, None, "invalid JSON: nested too deeply")
            yield f.error(number, problem, text)
            continue
        if not isinstance(obj, dict):
            problem = RowProblem(
                ErrorCode.MALFORMED_ROW,
                None,
                f"expected a JSON object per line, got {type(obj).__name__}",
            )
            yield f.error(number, problem, text)
            continue
        refused = problem_in(obj)
        if refused is not None:
            where, reason = refused
            yield f.error(number, RowProblem(ErrorCode.DOCUMENT_REFUSED, where, reason), text)
            continue
        if "\\u" in text and _undecodable(json.dumps(obj, ensure_ascii=False)):
            problem = RowProblem(
                ErrorCode.MALFORMED_ROW,
                None,
                "holds an unpaired surrogate escape such as \\ud800, which is not text",
            )
            yield f.error(number, problem, text)
            continue
        try:
            nid, op, data, ts = plan.map_object(obj)
        except RowProblem as problem:
            yield f.error(number, problem, json.loads(text, parse_float=str))
            continue
        yield Change(
            system=system,
            entity_type=entity,
            native_id=nid,
            data=data,
            op=op,
            source_ts=ts or mtime,
            idempotency_key=f"{prefix}{number}",
            ref=f"{name}:{number}",
        )


def _count_rows(text: str, fmt: FileFormat, delimiter: str | None = None) -> int:
    """Records the file holds (the progress bar's total): a quoted line break is no record."""
    if fmt is FileFormat.CSV and '"' in text:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter or ",")
        try:
            records = sum(1 for row in reader if row)
        except csv.Error:
            records = None  # unreadable somewhere: the rows are reported one by one anyway
        if records is not None:
            return max(0, records - 1)
    newline = "\n" if "\n" in text else "\r"
    lines = text.count(newline) + (0 if not text or text.endswith(newline) else 1)
    return max(0, lines - 1) if fmt is FileFormat.CSV else lines


class FilesSource:
    """Reads the drop folder: every file waiting now, oldest first."""

    def __init__(self, system: str, drop: DropFolder, settings: FilesSettings) -> None:
        self.system = system
        self.drop = drop
        self.settings = settings

    def pull(self) -> Iterator[InboundUnit]:
        listing = self.drop.scan()
        for refused in listing.refused:
            yield self._refused(refused.path, refused.reason)
        for path in listing.ready:
            mapping = self.settings.mapping_for(path.name)
            reason = self._unreadable(path.name, mapping)
            try:
                if reason is not None:
                    self.drop.reject(path, reason)
                    continue
                assert mapping is not None
                unit = self._unit(path, mapping, self.drop.read(path))
            except UnsafeEntry as unsafe:  # swapped for a link or a FIFO since it was listed
                unit = self._refused(path, unsafe.reason)
            except FileNotFoundError:
                continue  # taken away by someone else since it was listed
            except OSError as exc:
                raise RetryableError(f"cannot read {path}: {exc.strerror or exc}") from exc
            yield unit

    def _refused(self, path: Path, reason: str) -> InboundUnit:
        """One exception naming an unsafe inbox entry (never its content); ack moves it aside."""
        mapping = self.settings.mapping_for(path.name)
        error = SourceError(
            system=self.system,
            reason=f"{reason}; it was not read and is moved to {self.drop.rejected.name}/",
            code=ErrorCode.FILE_REFUSED,
            ref=path.name,
            field="file",
            entity_type=mapping.entity if mapping is not None else None,
        )
        full = f"{path.name}: {reason}"
        return InboundUnit(
            name=path.name, items=[error], total=1, ack=lambda: self.drop.refuse(path, full)
        )

    def read_file(self, path: Path) -> InboundUnit:
        """One file, wherever it lies (``crossdock import``); ack moves it only from the inbox."""
        mapping = self.settings.mapping_for(path.name)
        reason = self._unreadable(path.name, mapping)
        if reason is not None:
            raise InvalidInput(reason, field="file", code=ErrorCode.MAPPING_FAILED)
        assert mapping is not None
        try:
            content = read_regular(path, follow_symlinks=True)
        except UnsafeEntry as unsafe:
            raise InvalidInput(
                f"{path}: {unsafe.reason}", field="file", code=ErrorCode.FILE_REFUSED
            ) from None
        return self._unit(path, mapping, content)

    def replay(self, ref: str, raw: Mapping[str, Any] | str) -> SourceItem:
        """Map a kept row (``file.csv:LINE`` and its cells by column, or its JSON object) again."""
        name, _, line = ref.rpartition(":")
        mapping = self.settings.mapping_for(name) if name else None
        reason = self._unreadable(name or ref, mapping)
        if reason is not None or mapping is None:
            raise InvalidInput(reason or f"{ref}: no mapping", field="ref")
        if not isinstance(raw, Mapping):
            raise InvalidInput(
                f"{ref}: the row was kept as text (it could not be split into columns); "
                "fix it in the source and send the file again",
                field="payload",
            )
        fmt = mapping.format_of(name)
        f = _File(self.system, name, mapping, "", False, "replay", datetime.now(UTC))
        number = int(line) if line.isdigit() else 0
        try:
            if fmt is FileFormat.CSV:
                names = [str(k) for k in raw]
                plan = RowPlan(mapping, names)
                nid, op, data, ts = plan.map_row([str(v).strip() for v in raw.values()])
            else:
                nid, op, data, ts = plan_for_json(mapping).map_object(dict(raw))
        except RowProblem as problem:
            return f.error(number, problem, raw)
        return Change(
            system=self.system,
            entity_type=mapping.entity,
            native_id=nid,
            data=data,
            op=op,
            source_ts=ts or datetime.now(UTC),
            idempotency_key=None,
            ref=ref,
        )

    def _unreadable(self, name: str, mapping: FileMapping | None) -> str | None:
        if mapping is None:
            patterns = ", ".join(m.pattern for m in self.settings.mappings)
            return f"{name}: no mapping of system {self.system} matches it (patterns: {patterns})"
        if mapping.format_of(name) is None:
            return (
                f"{name}: matches {mapping.pattern!r} but its extension says neither CSV nor "
                "JSON Lines; set format on the mapping"
            )
        return None

    def _unit(self, path: Path, mapping: FileMapping, content: FileBytes) -> InboundUnit:
        data, mtime = content.data, content.mtime
        fmt = mapping.format_of(path.name)
        decoded = decode(data, mapping.encoding)
        f = _File(
            system=self.system,
            name=path.name,
            mapping=mapping,
            text=decoded.text,
            lossy=decoded.lossy,
            digest=hashlib.sha256(data).hexdigest()[:16],
            mtime=mtime,
        )
        items = _csv_items(f) if fmt is FileFormat.CSV else _jsonl_items(f)
        in_inbox = self.drop.holds(path)
        return InboundUnit(
            name=path.name,
            items=items,
            total=_count_rows(
                decoded.text,
                fmt or FileFormat.CSV,
                mapping.delimiter or sniff_delimiter(decoded.text),
            ),
            ack=(lambda: self._ack(path)) if in_inbox else (lambda: None),
        )

    def _ack(self, path: Path) -> None:
        if not path.exists():
            return  # acknowledged before, or moved away by someone else
        try:
            self.drop.move(path, self.drop.processed)
        except OSError as exc:
            raise RetryableError(
                f"cannot move {path.name} to {self.drop.processed}: {exc.strerror or exc}"
            ) from exc


__all__ = ["FilesSource"]
