"""back-pressure: a destination's pause, shared by worker processes (429 and Retry-After)

Revision ID: 0005_backpressure
Revises: 0004_destination_guards
Create Date: 2026-12-04 04:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_backpressure"
down_revision = "0004_destination_guards"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("destination_guards") as batch:
        batch.add_column(
            sa.Column("paused_until", sa.Float(), nullable=False, server_default=sa.text("0"))
        )


def downgrade() -> None:
    with op.batch_alter_table("destination_guards") as batch:
        batch.drop_column("paused_until")
