"""A field map: how a native document or row becomes a partial canonical record.

The same declarations serve every connector that maps native fields to
canonical ones (a file's columns, a JSON document's keys, a broker message):
the entity, the native id, ``columns`` (native key -> canonical field path
such as ``units[0].factor``; a path the model does not have is refused when
the map is read), ``values`` (native value -> canonical value per field),
``passthrough``, ``defaults``, a change-time column, a delete marker, and the
number and date formats of :mod:`.formats`. :class:`~.rows.RowPlan` and the
plans of :mod:`.objects` carry them out.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from crossdock.connectors.kit.fieldmap.formats import ColumnFormat, DateFormat, NumberFormat
from crossdock.connectors.kit.fieldmap.paths import check_tree, covers, native_text, parse_path
from crossdock.model.base import EntityType
from crossdock.model.paths import path_problem
from crossdock.model.registry import model_for


class FieldMap(BaseModel):
    """How native documents or rows become changes of one entity type."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    entity: EntityType
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

    @model_validator(mode="after")
    def _consistent(self) -> FieldMap:
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
        return self


__all__ = ["FieldMap"]
