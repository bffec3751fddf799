"""destination guards: a rate limit and circuit breaker shared by worker processes

Revision ID: 0004_destination_guards
Revises: 0003_connector_state
Create Date: 2026-12-01 21:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_destination_guards"
down_revision = "0003_connector_state"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "destination_guards",
        sa.Column("system", sa.String(length=64), nullable=False),
        sa.Column("tokens", sa.Float(), nullable=False),
        sa.Column("tokens_at", sa.Float(), nullable=False),
        sa.Column("circuit", sa.String(length=16), nullable=False),
        sa.Column("consecutive_failures", sa.Integer(), nullable=False),
        sa.Column("opened_at", sa.Float(), nullable=False),
        sa.Column("probe_until", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("system", name=op.f("pk_destination_guards")),
    )


def downgrade() -> None:
    op.drop_table("destination_guards")
