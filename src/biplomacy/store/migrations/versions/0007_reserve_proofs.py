"""reserve proofs: reserve statements (BIP-322 proof of funds) and the signed PSBTs collected for them

Revision ID: 0007_reserve_proofs
Revises: 0001_core
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_reserve_proofs"
down_revision = "0001_core"
branch_labels = ("reserve_proofs",)
depends_on = "0003_reserve"

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "reserve_statements",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("wallet_id", sa.Integer, sa.ForeignKey("reserve_wallets.id", ondelete="CASCADE"), nullable=False),
        sa.Column("message", sa.Text, nullable=False),
        sa.Column("height", sa.Integer, nullable=False),
        sa.Column("block_hash", sa.String(64), nullable=False),
        sa.Column("utxos", sa.Text, nullable=False),
        sa.Column("total_sats", sa.BigInteger, nullable=False),
        sa.Column("psbt", sa.Text, nullable=False),
        sa.Column("threshold", sa.Integer, nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("statement", sa.Text, nullable=True),
        sa.Column("created_by", sa.String(120), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("finalized_at", _TS, nullable=True),
    )
    op.create_table(
        "reserve_statement_signatures",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("statement_id", sa.String(40), sa.ForeignKey("reserve_statements.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("fingerprint", sa.String(8), nullable=False),
        sa.Column("psbt", sa.Text, nullable=False),
        sa.Column("submitted_by", sa.String(120), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.UniqueConstraint("statement_id", "fingerprint"),
    )


def downgrade() -> None:
    op.drop_table("reserve_statement_signatures")
    op.drop_table("reserve_statements")
