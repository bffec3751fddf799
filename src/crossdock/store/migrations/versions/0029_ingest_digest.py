"""ingest digests: what each system last sent for each record, so a resend is skipped

Revision ID: 0029_ingest_digest
Revises: 0023_edi_acks
Create Date: 2026-12-04 20:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0029_ingest_digest"
down_revision = "0023_edi_acks"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ingest_digests",
        sa.Column("native_id", sa.String(length=255), nullable=False),
        sa.Column("system", sa.String(length=64), nullable=False),
        sa.Column("entity_type", sa.String(length=32), nullable=False),
        sa.Column("record_id", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(length=32), nullable=False),
        sa.Column("applied_ts", sa.String(length=32), nullable=False),
        sa.Column("seen_ts", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint(
            "native_id", "system", "entity_type", name=op.f("pk_ingest_digests")
        ),
    )
    op.create_index("ix_ingest_digests_record", "ingest_digests", ["entity_type", "record_id"])


def downgrade() -> None:
    op.drop_index("ix_ingest_digests_record", table_name="ingest_digests")
    op.drop_table("ingest_digests")
