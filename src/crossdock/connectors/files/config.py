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

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from crossdock.connectors.kit.fieldmap.spec import FieldMap


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


class FileMapping(FieldMap):
    """How files whose name matches ``pattern`` become changes of one entity type."""

    pattern: str = Field(min_length=1, description="glob on the file name, case-insensitive")
    format: FileFormat = FileFormat.AUTO
    delimiter: str | None = Field(
        default=None, description="CSV delimiter; default: detected among , ; tab |"
    )
    encoding: str = Field(
        default="auto", description="codec name; auto: BOM, then UTF-8, then detection"
    )

    @field_validator("pattern")
    @classmethod
    def _pattern(cls, value: str) -> str:
        if "/" in value or "\\" in value:
            raise ValueError("pattern matches file names only; put no folder in it")
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
    def _readable(self) -> FileMapping:
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
