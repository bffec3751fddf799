"""The files connector's settings: a drop folder in, an export folder out.

``inbox`` makes the system a source: files dropped there are matched by name
against ``mappings`` (first match wins) and read row by row. ``export_dir``
makes it a destination: each pushed batch becomes one file per route.

Example (``crossdock.yaml``)::

    - name: erp
      kind: files
      settings:
        inbox: ./drop/erp
        mappings:
          - pattern: "products*.csv"
            entity: product
            id: ITEMNO
            columns:
              ITEMNO: sku
              DESCR: description
              UOM: base_uom
              CASE_QTY: units[1].factor
              PALLET_QTY: units[2].factor
              WEIGHT_LB: weight.value
            defaults:
              units[0].code: EA
              units[0].factor: "1"
              units[1].code: CS
              units[2].code: PL
              weight.unit: LB
            values:
              base_uom: {EA: EA, EACH: EA, CS: CS}
          - pattern: "stock*.csv"
            entity: inventory
            id: [ITEMNO, WHSE]            # native id "P-1|W01"
            columns: {ITEMNO: sku, WHSE: location, ONHAND: on_hand}
            values:
              location: {"W01": DAL, "W02": ATL}   # W09 -> unmapped_value exception
            timestamp: CHANGED_AT
            delete_column: STATUS
            delete_values: [X]
    - name: wms
      kind: files
      settings: {export_dir: ./export/wms, export_format: csv}

A default under a list item or nested object (``units[1].code``,
``weight.unit``) is added only when the row gives a value inside that item or
object (``CASE_QTY`` is not empty), unless no column maps into it at all
(``units[0]``): a product without a case quantity gets no case unit.
"""

from __future__ import annotations

import codecs
import fnmatch
from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from crossdock.connectors.files.fieldpath import check_tree, covers, native_text, parse_path
from crossdock.connectors.files.formats import ColumnFormat, DateFormat, NumberFormat
from crossdock.model.base import EntityType
from crossdock.model.paths import path_problem
from crossdock.model.registry import model_for


class FileFormat(StrEnum):
    """How a dropped file is read; ``auto`` goes by its extension."""

    AUTO = "auto"
    CSV = "csv"
    JSONL = "jsonl"


class ExportFormat(StrEnum):
    JSONL = "jsonl"
    CSV = "csv"


#: Extensions ``format: auto`` knows.
EXTENSIONS = {
    ".csv": FileFormat.CSV,
    ".tsv": FileFormat.CSV,
    ".txt": FileFormat.CSV,
    ".jsonl": FileFormat.JSONL,
    ".ndjson": FileFormat.JSONL,
}
_DELIMITER_ALIASES = {"tab": "\t", "\\t": "\t", "comma": ",", "semicolon": ";", "pipe": "|"}


class FileMapping(BaseModel):
    """How files whose name matches ``pattern`` become changes of one entity type."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    pattern: str = Field(min_length=1, description="glob on the file name, case-insensitive")
    entity: EntityType
    format: FileFormat = FileFormat.AUTO
    id: tuple[str, ...] = Field(
        min_length=1, description='column(s) giving the native id; several are joined by "|"'
    )
    columns: dict[str, str] = Field(
        default_factory=dict,
        description="native column -> canonical field path (dimensions.weight, units[0].code); "
        "empty: CSV headers are field paths, JSON Lines objects are canonical as they are",
    )
    values: dict[str, dict[str, Any]] = Field(
        default_factory=dict,
        description="field path -> {native value: canonical value}; strict unless in passthrough",
    )
    passthrough: tuple[str, ...] = Field(
        default=(), description="field paths of values whose unmapped values pass unchanged"
    )
    timestamp: str | None = Field(
        default=None, description="column with the change time (ISO 8601); else the file's mtime"
    )
    delete_column: str | None = Field(default=None, description="column marking deleted rows")
    delete_values: tuple[str, ...] = Field(
        default=(), description="values of delete_column that mean deleted (case-insensitive)"
    )
    defaults: dict[str, Any] = Field(
        default_factory=dict, description="field path -> constant for fields the row leaves empty"
    )
    skip_empty: bool = Field(
        default=True, description="empty cells assert nothing (false: they clear the field)"
    )
    delimiter: str | None = Field(
        default=None, description="CSV delimiter; default: detected among , ; tab |"
    )
    encoding: str = Field(
        default="auto", description="codec name; auto: BOM, then UTF-8, then detection"
    )
    number: NumberFormat | None = Field(
        default=None,
        description="how numbers are written in this file (decimal, thousands, negative); "
        "applies to every column mapped to a number field",
    )
    date: DateFormat | None = Field(
        default=None,
        description="how dates are written in this file (e.g. DD.MM.YYYY); applies to every "
        "column mapped to a date or date-time field",
    )
    formats: dict[str, ColumnFormat] = Field(
        default_factory=dict,
        description="native column -> its own number or date format, over the file's",
    )

    @field_validator("date", mode="before")
    @classmethod
    def _date_text(cls, value: Any) -> Any:
        return {"format": value} if isinstance(value, str) else value

    @field_validator("id", mode="before")
    @classmethod
    def _id_list(cls, value: Any) -> Any:
        return (value,) if isinstance(value, str) else value

    @field_validator("id")
    @classmethod
    def _id_names(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        names = tuple(v.strip() for v in value)
        if any(not n for n in names):
            raise ValueError("id column names must not be empty")
        return names

    @field_validator("pattern")
    @classmethod
    def _pattern(cls, value: str) -> str:
        if "/" in value or "\\" in value:
            raise ValueError("pattern matches file names only; put no folder in it")
        return value

    @field_validator("columns")
    @classmethod
    def _columns(cls, value: dict[str, str]) -> dict[str, str]:
        out: dict[str, str] = {}
        seen: dict[str, str] = {}
        for column, path in value.items():
            name = column.strip()
            if not name:
                raise ValueError("column names must not be empty")
            if name.lower() in seen:
                raise ValueError(
                    f"columns {seen[name.lower()]!r} and {column!r} differ only in case"
                )
            seen[name.lower()] = column
            parse_path(path)
            out[name] = path
        targets = list(out.values())
        doubled = sorted({p for p in targets if targets.count(p) > 1})
        if doubled:
            raise ValueError(f"several columns map to {doubled[0]!r}")
        check_tree((p, parse_path(p)) for p in targets)
        return out

    @field_validator("values", mode="before")
    @classmethod
    def _value_keys_as_text(cls, value: Any) -> Any:
        if not isinstance(value, dict):
            return value
        out: dict[Any, Any] = {}
        for path, table in value.items():
            if isinstance(table, dict):
                table = {native_text(k): v for k, v in table.items()}
            out[path] = table
        return out

    @field_validator("values")
    @classmethod
    def _values(cls, value: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
        for path in value:
            parse_path(path, wildcard=True)
        return value

    @field_validator("defaults")
    @classmethod
    def _defaults(cls, value: dict[str, Any]) -> dict[str, Any]:
        for path, constant in value.items():
            parse_path(path)
            if isinstance(constant, float):
                raise ValueError(
                    f"defaults.{path}: {constant!r} is a float; quote numbers so they stay exact"
                )
        return value

    @field_validator("delimiter")
    @classmethod
    def _delimiter(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = _DELIMITER_ALIASES.get(value.lower(), value)
        if len(value) != 1 or value in '"\r\n' or value.isalnum():
            raise ValueError(f"{value!r} cannot be a delimiter; use one of , ; | tab or similar")
        return value

    @field_validator("encoding")
    @classmethod
    def _encoding(cls, value: str) -> str:
        if value != "auto":
            try:
                codecs.lookup(value)
            except LookupError:
                raise ValueError(f"unknown encoding {value!r}") from None
        return value

    @model_validator(mode="after")
    def _consistent(self) -> FileMapping:
        column_paths = [(p, parse_path(p)) for p in self.columns.values()]
        default_paths = [(p, parse_path(p)) for p in self.defaults]
        try:
            check_tree([*column_paths, *default_paths])
        except ValueError as exc:
            raise ValueError(f"columns and defaults clash: {exc}") from None
        if self.columns:
            known = {c.lower() for c in self.columns}
            for column in self.formats:
                if column.strip().lower() not in known:
                    raise ValueError(f"formats.{column}: no column {column!r} is mapped")
        model = model_for(self.entity)
        for kind, paths in (("columns", column_paths), ("defaults", default_paths)):
            for path, parts in paths:
                problem = path_problem(model, parts)
                if problem is not None:
                    raise ValueError(
                        f"{kind}: {path!r} names no field of a {self.entity.value}: {problem}"
                    )
        if self.columns:
            for path in self.values:
                pattern = parse_path(path, wildcard=True)
                if not any(covers(pattern, parts) for _, parts in column_paths):
                    raise ValueError(f"values.{path}: no column maps to {path!r}")
        for path in self.passthrough:
            if path not in self.values:
                raise ValueError(f"passthrough: {path!r} has no value map under values")
        if (self.delete_column is None) != (not self.delete_values):
            raise ValueError("delete_column and delete_values go together")
        if self.format is not FileFormat.AUTO:
            return self
        ext = Path(self.pattern).suffix.lower()
        if ext and not any(ch in ext for ch in "*?[") and ext not in EXTENSIONS:
            raise ValueError(
                f"format auto cannot read {ext!r} files; set format: csv or format: jsonl"
            )
        return self

    def matches(self, file_name: str) -> bool:
        """Whether a file name matches ``pattern`` (case-insensitive)."""
        return fnmatch.fnmatchcase(file_name.lower(), self.pattern.lower())

    def format_of(self, file_name: str) -> FileFormat | None:
        """The format a file is read in; ``None`` when ``auto`` cannot tell."""
        if self.format is not FileFormat.AUTO:
            return self.format
        return EXTENSIONS.get(Path(file_name).suffix.lower())


class FilesSettings(BaseModel):
    """Typed settings of a ``kind: files`` system."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    inbox: Path | None = Field(
        default=None, description="drop folder to read (relative: to the working directory)"
    )
    mappings: list[FileMapping] = Field(default_factory=list)
    settle_seconds: float = Field(
        default=0.0,
        ge=0,
        le=3600,
        description="leave files alone until they have not changed for this long",
    )
    export_dir: Path | None = Field(
        default=None, description="folder deliveries are written to, one subfolder per route"
    )
    export_format: ExportFormat = ExportFormat.JSONL

    @model_validator(mode="after")
    def _roles(self) -> FilesSettings:
        if self.mappings and self.inbox is None:
            raise ValueError("mappings are set but inbox is not: name the drop folder to read")
        if self.inbox is not None and not self.mappings:
            raise ValueError("inbox is set but there are no mappings: every file would be rejected")
        return self

    def mapping_for(self, file_name: str) -> FileMapping | None:
        """The first mapping whose pattern matches the file name."""
        return next((m for m in self.mappings if m.matches(file_name)), None)


__all__ = [
    "EXTENSIONS",
    "ExportFormat",
    "FileFormat",
    "FileMapping",
    "FilesSettings",
]
