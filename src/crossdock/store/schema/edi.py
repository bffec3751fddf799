"""The EDI tables: envelope control numbers per trading partner, and received files.

``edi_counters`` holds the last control number handed out per partner and
kind (``isa``, ``gs``, ``st``). ``edi_control_numbers`` has a row per number
handed out: ``allocated`` when it was committed (before any file is written),
``used`` once the file carrying it is written, ``void`` when a crash left it
unwritten and the document went out under a new number. A number is never
handed out twice; an ``allocated`` or ``void`` row is a gap a person can see.
``edi_inbound`` remembers every received file by content hash, so a file is
processed once however often it is dropped or a crash re-reads it.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Index, String, Table, Text

from crossdock.store.schema.base import TS, metadata

edi_counters = Table(
    "edi_counters",
    metadata,
    Column("partner", String(64), primary_key=True),
    Column("kind", String(8), primary_key=True),
    Column("last", BigInteger, nullable=False),
)

edi_control_numbers = Table(
    "edi_control_numbers",
    metadata,
    Column("partner", String(64), primary_key=True),
    Column("kind", String(8), primary_key=True),
    Column("number", BigInteger, primary_key=True),
    Column("state", String(16), nullable=False),
    Column("ref", String(128), nullable=False),
    Column("file", String(255), nullable=True),
    Column("allocated_at", TS, nullable=False),
    Column("updated_at", TS, nullable=False),
)
Index("ix_edi_control_numbers_ref", edi_control_numbers.c.partner, edi_control_numbers.c.ref)
Index("ix_edi_control_numbers_state", edi_control_numbers.c.partner, edi_control_numbers.c.state)

edi_inbound = Table(
    "edi_inbound",
    metadata,
    Column("partner", String(64), primary_key=True),
    Column("digest", String(64), primary_key=True),
    Column("name", String(255), nullable=False),
    Column("state", String(16), nullable=False),
    Column("ack_control", BigInteger, nullable=True),
    Column("summary", Text, nullable=False),
    Column("received_at", TS, nullable=False),
    Column("updated_at", TS, nullable=False),
)


# One row per functional group the hub sent (an outbound document), so the partner's 997
# can be matched to it by GS06 and a group left unacknowledged past its deadline seen.
# ``ref`` is what the group carried (``out:<type>:<id>:<version>``): a delivery retried
# after its group was recorded finds it and sends nothing twice.
edi_sent_groups = Table(
    "edi_sent_groups",
    metadata,
    Column("partner", String(64), primary_key=True),
    Column("gs_control", BigInteger, primary_key=True),
    Column("isa_control", BigInteger, nullable=False),
    Column("functional_id", String(2), nullable=False),
    Column("sets", Text, nullable=False),
    Column("ref", String(128), nullable=False),
    Column("file", String(255), nullable=False),
    Column("sent_at", TS, nullable=False),
    Column("due_at", TS, nullable=False),
    Column("ack", String(1), nullable=True),
    Column("ack_detail", Text, nullable=True),
    Column("acked_at", TS, nullable=True),
)
Index("ix_edi_sent_groups_ref", edi_sent_groups.c.partner, edi_sent_groups.c.ref, unique=True)
Index("ix_edi_sent_groups_due", edi_sent_groups.c.ack, edi_sent_groups.c.due_at)

__all__ = ["edi_control_numbers", "edi_counters", "edi_inbound", "edi_sent_groups"]
