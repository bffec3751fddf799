"""reconcile reports: the last drift report of each system, for the console

Revision ID: 0033_console_a
Revises: 0029_ingest_digest
Create Date: 2026-12-04 23:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0033_console_a"
down_revision = "0029_ingest_digest"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reconcile_reports",
        sa.Column("system", sa.String(length=64), nullable=False),
        sa.Column("run_id", sa.String(length=32), nullable=False),
        sa.Column("ran_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=255), nullable=False),
        sa.Column("records", sa.Integer(), nullable=False),
        sa.Column("agreeing", sa.Integer(), nullable=False),
        sa.Column("unreadable", sa.Integer(), nullable=False),
        sa.Column("drifts", sa.Integer(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("healed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("healed_by", sa.String(length=255), nullable=True),
        sa.Column("healed", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("system", name=op.f("pk_reconcile_reports")),
    )


def downgrade() -> None:
    op.drop_table("reconcile_reports")
