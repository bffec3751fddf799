"""Numbers and dates written the local way: ``1.234,50``, ``12.50-``, ``(12.50)``, ``31.12.2026``.

A mapping may declare, for the whole file and per column, how numbers and
dates are written; cells are read into the canonical text (``1234.50``,
``2026-12-31``) before mapping. A cell that does not fit its declared format
is a row exception naming the column, the value and the format: nothing is
guessed, and with ``decimal: ","`` and ``thousands: "."`` the text ``1.234``
is one thousand two hundred thirty-four, never one point two.

Date formats are written with ``YYYY``, ``YY``, ``MM``, ``DD`` and, for a
time, ``hh``, ``mm``, ``ss`` (``DD.MM.YYYY``, ``MM/DD/YYYY``, ``YYYYMMDD``,
``YYYY-MM-DD hh:mm``); any other character stands for itself. A date read
into a date-and-time field is midnight UTC.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from functools import cached_property

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator


class Negative(StrEnum):
    """Ways a negative number may be written (a leading minus is always read)."""

    TRAILING = "trailing"  # 12.50-
    PARENTHESES = "parentheses"  # (12.50)


class NumberFormat(BaseModel):
    """How numbers are written in a file or a column."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    decimal: str = Field(default=".", description="the decimal separator: . or ,")
    thousands: str = Field(
        default="", description="the thousands separator: '', ',', '.', ' ' or \"'\""
    )
    negative: tuple[Negative, ...] = Field(
        default=(), description="besides a leading minus: trailing, parentheses"
    )

    @field_validator("decimal")
    @classmethod
    def _decimal(cls, value: str) -> str:
        if value not in (".", ","):
            raise ValueError(f"decimal must be '.' or ',', not {value!r}")
        return value

    @field_validator("thousands")
    @classmethod
    def _thousands(cls, value: str) -> str:
        if value not in ("", ",", ".", " ", "'", "\u00a0", "\u202f"):
            raise ValueError(f"thousands must be '', ',', '.', ' ' or \"'\", not {value!r}")
        return value

    @model_validator(mode="after")
    def _differ(self) -> NumberFormat:
        if self.decimal == self.thousands:
            raise ValueError(
                f"decimal and thousands separators must differ (both {self.decimal!r})"
            )
        return self

    def describe(self) -> str:
        parts = [f"decimal {self.decimal!r}"]
        parts.append(
            f"thousands {self.thousands!r}" if self.thousands else "no thousands separator"
        )
        if self.negative:
            parts.append("negatives " + ", ".join(n.value for n in self.negative))
        return "number with " + ", ".join(parts)

    @cached_property
    def _pattern(self) -> re.Pattern[str]:
        d = re.escape(self.decimal)
        plain = rf"\d+(?:{d}\d+)?|{d}\d+"
        if not self.thousands:
            return re.compile(rf"(?:{plain})")
        t = re.escape(self.thousands)
        grouped = rf"\d{{1,3}}(?:{t}\d{{3}})+(?:{d}\d+)?"
        return re.compile(rf"(?:{grouped}|{plain})")

    def parse(self, text: str) -> Decimal:
        """The number ``text`` writes; ``ValueError`` when it does not fit this format."""
        t = text.strip()
        negative = False
        if Negative.PARENTHESES in self.negative and t.startswith("(") and t.endswith(")"):
            negative, t = True, t[1:-1].strip()
        elif Negative.TRAILING in self.negative and t.endswith("-"):
            negative, t = True, t[:-1].strip()
        elif t[:1] in ("+", "-"):
            negative, t = t[0] == "-", t[1:].strip()
        if not t or self._pattern.fullmatch(t) is None:
            raise ValueError(f"{text!r} is not a {self.describe()}")
        canonical = t.replace(self.thousands, "") if self.thousands else t
        canonical = canonical.replace(self.decimal, ".")
        try:
            value = Decimal(canonical)
        except InvalidOperation:
            raise ValueError(f"{text!r} is not a {self.describe()}") from None
        return -value if negative else value


_TOKENS = {
    "YYYY": r"(?P<year>\d{4})",
    "YY": r"(?P<yy>\d{2})",
    "MM": r"(?P<month>\d{1,2})",
    "DD": r"(?P<day>\d{1,2})",
    "hh": r"(?P<hour>\d{1,2})",
    "mm": r"(?P<minute>\d{2})",
    "ss": r"(?P<second>\d{2})",
}
_TOKEN = re.compile("|".join(sorted(_TOKENS, key=len, reverse=True)))


def _compile_date(fmt: str) -> re.Pattern[str]:
    out, at, seen = "", 0, set()
    for m in _TOKEN.finditer(fmt):
        out += re.escape(fmt[at : m.start()])
        token = m.group(0)
        if token in seen:
            raise ValueError(f"date format {fmt!r} has {token} twice")
        seen.add(token)
        out += _TOKENS[token]
        at = m.end()
    out += re.escape(fmt[at:])
    if not ({"YYYY", "YY"} & seen and {"MM", "DD"} <= seen):
        raise ValueError(f"date format {fmt!r} needs a year (YYYY or YY), MM and DD")
    if fmt.replace("YYYY", "").replace("MM", "").replace("DD", "") == "" and "YYYY" in seen:
        # YYYYMMDD: digits only, so each field has its full width
        out = out.replace(r"\d{1,2}", r"\d{2}")
    return re.compile(out)


class DateFormat(BaseModel):
    """How dates (and times) are written in a file or a column."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    format: str = Field(min_length=2, max_length=64, description="e.g. DD.MM.YYYY")

    @field_validator("format")
    @classmethod
    def _valid(cls, value: str) -> str:
        _compile_date(value)
        return value

    @cached_property
    def _pattern(self) -> re.Pattern[str]:
        return _compile_date(self.format)

    def describe(self) -> str:
        return f"date as {self.format}"

    def parse(self, text: str) -> datetime:
        """The moment ``text`` writes (UTC); ``ValueError`` when it does not fit."""
        m = self._pattern.fullmatch(text.strip())
        if m is None:
            raise ValueError(f"{text!r} is not a {self.describe()}")
        parts = m.groupdict()
        year = int(parts["year"]) if parts.get("year") else 2000 + int(parts["yy"])
        try:
            return datetime(
                year,
                int(parts["month"]),
                int(parts["day"]),
                int(parts.get("hour") or 0),
                int(parts.get("minute") or 0),
                int(parts.get("second") or 0),
                tzinfo=UTC,
            )
        except ValueError as exc:
            raise ValueError(f"{text!r} is not a real {self.describe()}: {exc}") from None


class ColumnFormat(BaseModel):
    """A column's own format, over the file's."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    number: NumberFormat | None = None
    date: DateFormat | None = None

    @model_validator(mode="before")
    @classmethod
    def _date_text(cls, data: object) -> object:
        if isinstance(data, dict) and isinstance(data.get("date"), str):
            return {**data, "date": {"format": data["date"]}}
        return data

    @model_validator(mode="after")
    def _one(self) -> ColumnFormat:
        if (self.number is None) == (self.date is None):
            raise ValueError("a column format is either number or date")
        return self


def as_date_text(moment: datetime, *, with_time: bool) -> str:
    """The canonical text of a parsed date: ``2026-12-31`` or an ISO date-time in UTC."""
    return (
        moment.isoformat() if with_time else date(moment.year, moment.month, moment.day).isoformat()
    )


__all__ = [
    "ColumnFormat",
    "DateFormat",
    "Negative",
    "NumberFormat",
    "as_date_text",
]
