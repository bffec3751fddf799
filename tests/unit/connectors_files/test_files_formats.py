"""Numbers and dates as local files write them, read exactly or refused with the format named."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from crossdock.connectors.kit.fieldmap.formats import DateFormat, Negative, NumberFormat

EUROPEAN = NumberFormat(decimal=",", thousands=".", negative=(Negative.TRAILING,))
ENGLISH = NumberFormat(decimal=".", thousands=",", negative=(Negative.PARENTHESES,))


@pytest.mark.parametrize(
    ("fmt", "text", "value"),
    [
        (EUROPEAN, "12,50", "12.50"),
        (EUROPEAN, "1.234,50", "1234.50"),
        (EUROPEAN, "1.234", "1234"),
        (EUROPEAN, "12,50-", "-12.50"),
        (EUROPEAN, "-0,5", "-0.5"),
        (EUROPEAN, "1.234.567,891", "1234567.891"),
        (ENGLISH, "1,234.50", "1234.50"),
        (ENGLISH, "(12.50)", "-12.50"),
        (ENGLISH, "1,234", "1234"),
        (NumberFormat(), "12.50", "12.50"),
        (NumberFormat(decimal=",", thousands=" "), "1 234,5", "1234.5"),
    ],
)
def test_numbers_are_read_exactly(fmt: NumberFormat, text: str, value: str) -> None:
    assert fmt.parse(text) == Decimal(value)
    assert str(fmt.parse(text)) == value


@pytest.mark.parametrize(
    ("fmt", "text"),
    [
        (EUROPEAN, "1.23.4"),
        (EUROPEAN, "12,5,0"),
        (EUROPEAN, "1,234.50"),
        (EUROPEAN, "(12,50)"),  # parentheses not declared
        (ENGLISH, "12.50-"),  # trailing minus not declared
        (ENGLISH, "12,50"),
        (NumberFormat(), "1,234.5"),
        (NumberFormat(), "abc"),
        (NumberFormat(), ""),
        (NumberFormat(), "1e5"),
    ],
)
def test_a_value_that_does_not_fit_names_the_format(fmt: NumberFormat, text: str) -> None:
    with pytest.raises(ValueError, match="is not a number with decimal"):
        fmt.parse(text)


def test_separators_must_differ() -> None:
    with pytest.raises(ValidationError, match="must differ"):
        NumberFormat(decimal=",", thousands=",")


def _write(value: Decimal, fmt: NumberFormat) -> str:
    sign, digits = ("-" if value < 0 else ""), format(abs(value), "f")
    whole, _, frac = digits.partition(".")
    if fmt.thousands:
        groups = []
        while len(whole) > 3:
            groups.insert(0, whole[-3:])
            whole = whole[:-3]
        whole = fmt.thousands.join([whole, *groups])
    text = whole + (fmt.decimal + frac if frac else "")
    if sign and Negative.TRAILING in fmt.negative:
        return text + "-"
    if sign and Negative.PARENTHESES in fmt.negative:
        return f"({text})"
    return sign + text


@given(
    st.decimals(min_value=-(10**12), max_value=10**12, places=3, allow_nan=False),
    st.sampled_from([EUROPEAN, ENGLISH, NumberFormat(), NumberFormat(decimal=",")]),
)
def test_any_number_written_in_a_format_reads_back_the_same(
    value: Decimal, fmt: NumberFormat
) -> None:
    assert fmt.parse(_write(value, fmt)) == value


@pytest.mark.parametrize(
    ("fmt", "text", "moment"),
    [
        ("DD.MM.YYYY", "31.12.2026", datetime(2026, 12, 31, tzinfo=UTC)),
        ("MM/DD/YYYY", "12/31/2026", datetime(2026, 12, 31, tzinfo=UTC)),
        ("YYYYMMDD", "20261231", datetime(2026, 12, 31, tzinfo=UTC)),
        ("DD.MM.YYYY hh:mm", "01.02.2026 07:30", datetime(2026, 2, 1, 7, 30, tzinfo=UTC)),
    ],
)
def test_dates_are_read_by_their_format(fmt: str, text: str, moment: datetime) -> None:
    assert DateFormat(format=fmt).parse(text) == moment


@pytest.mark.parametrize(
    ("fmt", "text"),
    [("DD.MM.YYYY", "2026-12-31"), ("MM/DD/YYYY", "31/12/2026"), ("YYYYMMDD", "2026123")],
)
def test_a_date_that_does_not_fit_names_the_format(fmt: str, text: str) -> None:
    with pytest.raises(ValueError, match=f"date as {fmt}"):
        DateFormat(format=fmt).parse(text)


def test_a_format_without_day_month_year_is_refused() -> None:
    with pytest.raises(ValidationError, match="needs a year"):
        DateFormat(format="MM.YYYY")
