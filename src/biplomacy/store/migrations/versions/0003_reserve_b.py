"""reserve custody: block time of each ledger receipt (holdings history by block time, not by sync time)

Revision ID: 0003_reserve_b
Revises: 0003_reserve
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_reserve_b"
down_revision = "0003_reserve"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("reserve_ledger") as batch:
        batch.add_column(sa.Column("block_time", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("reserve_ledger") as batch:
        batch.drop_column("block_time")
