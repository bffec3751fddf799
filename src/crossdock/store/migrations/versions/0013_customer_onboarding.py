"""customer onboarding: the workflow's state rows, their timeline, the discovery cursor

Revision ID: 0013_customer_onboarding
Revises: 0010_order_intake
Create Date: 2026-12-04 10:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013_customer_onboarding"
down_revision = "0012_customer_merge"
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)
_SEQ = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "customer_onboarding",
        sa.Column("id", _SEQ, autoincrement=True, nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("source_system", sa.String(length=64), nullable=False),
        sa.Column("step", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("facts", sa.Text(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_onboarding")),
        sa.UniqueConstraint("customer_id", name=op.f("uq_customer_onboarding_customer_id")),
    )
    op.create_index("ix_customer_onboarding_status", "customer_onboarding", ["status", "id"])
    op.create_table(
        "customer_onboarding_steps",
        sa.Column("id", _SEQ, autoincrement=True, nullable=False),
        sa.Column("onboarding_id", sa.BigInteger(), nullable=False),
        sa.Column("step", sa.String(length=16), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("actor", sa.String(length=128), nullable=False),
        sa.Column("at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_onboarding_steps")),
    )
    op.create_index(
        "ix_customer_onboarding_steps_of", "customer_onboarding_steps", ["onboarding_id"]
    )
    op.create_table(
        "customer_onboarding_cursor",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_customer_onboarding_cursor")),
    )


def downgrade() -> None:
    for table in ("customer_onboarding_cursor", "customer_onboarding_steps", "customer_onboarding"):
        op.drop_table(table)
