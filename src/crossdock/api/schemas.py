"""Response shapes more than one router answers with."""

from __future__ import annotations

from pydantic import BaseModel, Field

from crossdock.sync.ingest import IngestReport


class IngestCounts(BaseModel):
    """What ingest did with a set of changes."""

    received: int
    duplicates: int
    created: int
    updated: int
    deleted: int
    unchanged: int
    exceptions: int = Field(description="changes refused as business exceptions")
    proposals: int
    events: int
    stale_fields: int

    @classmethod
    def of(cls, report: IngestReport) -> IngestCounts:
        return cls(**report.as_dict())


__all__ = ["IngestCounts"]
