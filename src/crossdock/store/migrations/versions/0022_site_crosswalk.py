"""customer ship-to site crosswalk: (customer, system, native site id) -> site code

Revision ID: 0022_site_crosswalk
Revises: 0020_edi_x12
Create Date: 2026-12-04 20:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0022_site_crosswalk"
down_revision = "0020_edi_x12"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "customer_site_links",
        sa.Column("record_id", sa.String(length=64), nullable=False),
        sa.Column("system", sa.String(length=64), nullable=False),
        sa.Column("native_id", sa.String(length=255), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint(
            "record_id", "system", "native_id", name=op.f("pk_customer_site_links")
        ),
    )


def downgrade() -> None:
    op.drop_table("customer_site_links")
