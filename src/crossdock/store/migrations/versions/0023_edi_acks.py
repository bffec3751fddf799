"""edi acks: the functional groups sent to each partner, matched to their 997s

Revision ID: 0023_edi_acks
Revises: 0022_site_crosswalk
Create Date: 2026-12-04 21:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0023_edi_acks"
down_revision = "0022_site_crosswalk"
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "edi_sent_groups",
        sa.Column("partner", sa.String(length=64), nullable=False),
        sa.Column("gs_control", sa.BigInteger(), nullable=False),
        sa.Column("isa_control", sa.BigInteger(), nullable=False),
        sa.Column("functional_id", sa.String(length=2), nullable=False),
        sa.Column("sets", sa.Text(), nullable=False),
        sa.Column("ref", sa.String(length=128), nullable=False),
        sa.Column("file", sa.String(length=255), nullable=False),
        sa.Column("sent_at", _TS, nullable=False),
        sa.Column("due_at", _TS, nullable=False),
        sa.Column("ack", sa.String(length=1), nullable=True),
        sa.Column("ack_detail", sa.Text(), nullable=True),
        sa.Column("acked_at", _TS, nullable=True),
        sa.PrimaryKeyConstraint("partner", "gs_control", name=op.f("pk_edi_sent_groups")),
    )
    op.create_index("ix_edi_sent_groups_ref", "edi_sent_groups", ["partner", "ref"], unique=True)
    op.create_index("ix_edi_sent_groups_due", "edi_sent_groups", ["ack", "due_at"])


def downgrade() -> None:
    op.drop_table("edi_sent_groups")
