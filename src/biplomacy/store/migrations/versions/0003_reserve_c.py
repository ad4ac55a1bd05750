"""reserve custody: spending paths (a proposal names its path and kind, and what sources a refresh or
sweep carries) and signer rotations (issue #14)

Revision ID: 0003_reserve_c
Revises: 0003_reserve_b
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_reserve_c"
down_revision = "0003_reserve_b"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("reserve_spend_proposals") as batch:
        batch.add_column(sa.Column("path", sa.String(40), nullable=False, server_default="primary"))
        batch.add_column(sa.Column("kind", sa.String(20), nullable=False, server_default="spend"))
        batch.add_column(sa.Column("carried", sa.Text, nullable=True))
    op.create_table(
        "reserve_rotations",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("from_wallet_id", sa.Integer, sa.ForeignKey("reserve_wallets.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("to_wallet_id", sa.Integer, sa.ForeignKey("reserve_wallets.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("proposal_id", sa.String(40),
                  sa.ForeignKey("reserve_spend_proposals.id", ondelete="SET NULL"), nullable=True),
        sa.Column("profile", sa.String(40), nullable=False),
        sa.Column("path", sa.String(40), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),  # sweeping | complete | cancelled
        sa.Column("txid", sa.String(64), nullable=True),
        sa.Column("created_by", sa.String(120), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("reserve_rotations")
    with op.batch_alter_table("reserve_spend_proposals") as batch:
        batch.drop_column("carried")
        batch.drop_column("kind")
        batch.drop_column("path")
