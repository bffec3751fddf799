"""edi x12: control numbers per trading partner, received files

Revision ID: 0020_edi_x12
Revises: 0013_customer_onboarding
Create Date: 2026-12-04 16:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020_edi_x12"
down_revision = "0013_customer_onboarding"
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "edi_counters",
        sa.Column("partner", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("last", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("partner", "kind", name=op.f("pk_edi_counters")),
    )
    op.create_table(
        "edi_control_numbers",
        sa.Column("partner", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("number", sa.BigInteger(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("ref", sa.String(length=128), nullable=False),
        sa.Column("file", sa.String(length=255), nullable=True),
        sa.Column("allocated_at", _TS, nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("partner", "kind", "number", name=op.f("pk_edi_control_numbers")),
    )
    op.create_index("ix_edi_control_numbers_ref", "edi_control_numbers", ["partner", "ref"])
    op.create_index("ix_edi_control_numbers_state", "edi_control_numbers", ["partner", "state"])
    op.create_table(
        "edi_inbound",
        sa.Column("partner", sa.String(length=64), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("ack_control", sa.BigInteger(), nullable=True),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("received_at", _TS, nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("partner", "digest", name=op.f("pk_edi_inbound")),
    )


def downgrade() -> None:
    for table in ("edi_inbound", "edi_control_numbers", "edi_counters"):
        op.drop_table(table)
