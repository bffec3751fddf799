"""The export folder as a destination: one file per pushed batch and route.

A batch for route ``items-to-wms`` is written to
``<export_dir>/items-to-wms/items-to-wms-<16 hex>.jsonl`` (or ``.csv``), the
hex being the SHA-1 of the batch's sorted delivery ids. Re-delivering the same
batch (the engine's at-least-once retry) therefore rewrites the same file
instead of adding a copy: together with each line's ``id`` (the delivery id)
that makes the export effectively once. Files are written atomically (a
hidden ``.*.tmp`` file, fsync, rename), so a reader never sees half a batch;
readers should skip dot files.

Any ``OSError`` (disk full, permissions, a vanished mount) fails the whole
batch with ``RetryableError``: nothing was written under the final name.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

from crossdock.connectors.base import Delivery, DeliveryResult, DeliveryStatus
from crossdock.connectors.files.config import ExportFormat
from crossdock.connectors.files.errors import export_failed
from crossdock.connectors.files.mapper import csv_body, jsonl_body
from crossdock.connectors.kit.drop_folder import write_atomic

_UNSAFE = re.compile(r"[^A-Za-z0-9_.\-]")


def batch_key(delivery_ids: Iterable[str]) -> str:
    """A stable name part for a set of deliveries, whatever their order (16 hex)."""
    joined = "\n".join(sorted(set(delivery_ids)))
    return hashlib.sha1(joined.encode("utf-8"), usedforsecurity=False).hexdigest()[:16]


def _folder_name(route: str) -> str:
    safe = _UNSAFE.sub("_", route).strip(".")
    return safe or "_"


class FilesDestination:
    """Writes each pushed batch as one file per route under ``export_dir``."""

    def __init__(self, export_dir: Path, export_format: ExportFormat) -> None:
        self.export_dir = export_dir
        self.export_format = export_format

    def path_for(self, route: str, batch: Sequence[Delivery]) -> Path:
        """Where a route's part of a batch is written."""
        folder = _folder_name(route)
        ext = self.export_format.value
        key = batch_key(d.delivery_id for d in batch)
        return self.export_dir / folder / f"{folder}-{key}.{ext}"

    def push(self, batch: Sequence[Delivery]) -> list[DeliveryResult]:
        by_route: dict[str, list[Delivery]] = {}
        for d in batch:
            by_route.setdefault(d.route, []).append(d)
        render = csv_body if self.export_format is ExportFormat.CSV else jsonl_body
        for route, part in by_route.items():
            path = self.path_for(route, part)
            try:
                write_atomic(path, render(part))
            except OSError as exc:
                raise export_failed(str(path), exc) from exc
        return [
            DeliveryResult(d.delivery_id, DeliveryStatus.DELIVERED, native_id=d.native_id)
            for d in batch
        ]


__all__ = ["FilesDestination", "batch_key"]
