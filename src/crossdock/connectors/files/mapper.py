"""Canonical deliveries to export files (JSON Lines lines, CSV tables).

Inbound, rows and JSON objects go through the connector kit's field map
(:mod:`crossdock.connectors.kit.fieldmap`): a file mapping *is* a field map with
a file name pattern and a format.

Outbound, :func:`delivery_object` is one JSON Lines export line and
:func:`csv_table` a batch as CSV, with ``data`` flattened into field-path
columns (lists and empty objects as JSON text).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from crossdock.connectors.base import Delivery
from crossdock.model.change import ChangeOp
from crossdock.model.paths import flatten

Mapped = tuple[str, ChangeOp, dict[str, Any], datetime | None]
_MISSING: Any = object()
#: Export columns every CSV row starts with, in this order.
META_COLUMNS = ("id", "type", "entity_id", "version", "op", "native_id")


# -- outbound ---------------------------------------------------------------------------
def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    raise TypeError(f"{type(value).__name__} is not JSON-serializable")


def dumps(obj: Any) -> str:
    """Compact JSON text (Decimals as exact strings, NaN refused)."""
    return json.dumps(
        obj, default=_json_default, allow_nan=False, ensure_ascii=False, separators=(",", ":")
    )


def delivery_object(d: Delivery) -> dict[str, Any]:
    """One export line: the delivery's identity and its projected data."""
    return {
        "id": d.delivery_id,
        "type": d.entity_type.value,
        "entity_id": d.entity_id,
        "version": d.version,
        "op": d.op.value,
        "native_id": d.native_id,
        "data": dict(d.data),
    }


def jsonl_body(batch: Sequence[Delivery]) -> bytes:
    """A batch as JSON Lines (UTF-8, one delivery per line)."""
    return "".join(dumps(delivery_object(d)) + "\n" for d in batch).encode("utf-8")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, list | dict | tuple):
        return dumps(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def csv_table(batch: Sequence[Delivery]) -> tuple[list[str], list[list[str]]]:
    """Header and rows of a batch; data columns are sorted field paths.

    A field path that collides with a meta column (``id``) is written as ``data.id``.
    """
    flats = [flatten(dict(d.data)) for d in batch]
    paths = sorted({p for flat in flats for p in flat})
    names = [f"data.{p}" if p in META_COLUMNS else p for p in paths]
    rows: list[list[str]] = []
    for d, flat in zip(batch, flats, strict=True):
        meta = delivery_object(d)
        rows.append([_cell(meta[c]) for c in META_COLUMNS] + [_cell(flat.get(p)) for p in paths])
    return [*META_COLUMNS, *names], rows


def csv_body(batch: Sequence[Delivery]) -> bytes:
    """A batch as CSV (UTF-8, comma-separated, RFC 4180 quoting)."""
    header, rows = csv_table(batch)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


__all__ = [
    "META_COLUMNS",
    "csv_body",
    "csv_table",
    "delivery_object",
    "dumps",
    "jsonl_body",
]
