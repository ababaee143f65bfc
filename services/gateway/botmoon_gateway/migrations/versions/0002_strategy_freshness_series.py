"""strategies.freshness (the newest closed candle per symbol as last checked) and strategies.series (the series
market data resolved each symbol to).

Gateways between the first release and Alembic added these nullable columns at start-up, so each is added only
when missing.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

COLUMNS = ("freshness", "series")


def upgrade() -> None:
    have = {column["name"] for column in sa.inspect(op.get_bind()).get_columns("strategies")}
    for name in COLUMNS:
        if name not in have:
            op.add_column("strategies", sa.Column(name, sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("strategies") as batch:
        for name in COLUMNS:
            batch.drop_column(name)
