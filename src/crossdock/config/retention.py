"""Retention: how long the hub keeps what it no longer needs, per kind of row.

Each age is in days; ``null`` keeps that kind forever. The ages bound what
is *eligible*; what is still needed is never pruned whatever its age: an
outbox event stays while any route's cursor (any partition) is at or below
it, while a parked delivery points at it, and while it is the last version
of its record that every route has passed (delivery compares a record's next
version with it). With ``archive`` set, every pruned row is first written to
a gzipped JSON Lines file in that folder (at least once: a crash between the
file and the delete writes the rows again on the next run).
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field


class RetentionConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    events_days: float | None = Field(default=90, gt=0, description="outbox events")
    idempotency_keys_days: float | None = Field(
        default=90, gt=0, description="keys of changes already seen (a retry after this is new)"
    )
    exceptions_days: float | None = Field(
        default=180, gt=0, description="exceptions resolved, retried or dismissed"
    )
    parked_days: float | None = Field(
        default=180, gt=0, description="parked rows delivered or skipped"
    )
    audit_days: float | None = Field(default=730, gt=0, description="audit log rows")
    archive: Path | None = Field(default=None, description="folder for the pruned rows")
    batch: int = Field(default=5000, ge=1, le=100_000, description="rows per transaction")
    every_minutes: float = Field(
        default=60, gt=0, description="how often `crossdock serve` runs it"
    )


__all__ = ["RetentionConfig"]
