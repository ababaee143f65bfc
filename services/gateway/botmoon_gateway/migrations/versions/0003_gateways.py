"""gateways: the gateway processes sharing the database, so live strategies are spread evenly over them.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("gateways",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("alive_until", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_gateways_alive_until"), "gateways", ["alive_until"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_gateways_alive_until"), table_name="gateways")
    op.drop_table("gateways")
