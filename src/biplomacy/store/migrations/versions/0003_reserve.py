"""reserve custody: wallets, addresses, rehearsal chain, ledger, spend proposals and signatures, prices

Revision ID: 0003_reserve
Revises: 0001_core
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_reserve"
down_revision = "0001_core"
branch_labels = ("reserve",)
depends_on = None

_NOW = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "reserve_wallets",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(80), nullable=False, unique=True),
        sa.Column("descriptor", sa.Text, nullable=False),
        sa.Column("threshold", sa.Integer, nullable=False),
        sa.Column("signers", sa.Text, nullable=False),
        sa.Column("network", sa.String(20), nullable=False),
        sa.Column("policy", sa.String(40), nullable=False),
        sa.Column("next_index", sa.Integer, nullable=False),
        sa.Column("next_change_index", sa.Integer, nullable=False),
        sa.Column("public_addresses", sa.Boolean, nullable=False),
        sa.Column("synced_height", sa.Integer, nullable=False),
        sa.Column("created_at", _NOW, nullable=False),
    )
    op.create_table(
        "reserve_addresses",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("wallet_id", sa.Integer, sa.ForeignKey("reserve_wallets.id", ondelete="CASCADE"), nullable=False),
        sa.Column("change", sa.Boolean, nullable=False),
        sa.Column("index", sa.Integer, nullable=False),
        sa.Column("address", sa.String(100), nullable=False, index=True),
        sa.UniqueConstraint("wallet_id", "change", "index"),
    )
    op.create_table(
        "rehearsal_blocks",
        sa.Column("height", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("hash", sa.String(64), nullable=False, unique=True),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("time", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "rehearsal_txs",
        sa.Column("txid", sa.String(64), primary_key=True),
        sa.Column("hex", sa.Text, nullable=False),
        sa.Column("block_height", sa.Integer, nullable=True, index=True),
        sa.Column("fee", sa.BigInteger, nullable=False),
        sa.Column("vsize", sa.Integer, nullable=False),
        sa.Column("source", sa.String(40), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("seq", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "rehearsal_outputs",
        sa.Column("txid", sa.String(64), primary_key=True),
        sa.Column("vout", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("address", sa.String(100), nullable=False, index=True),
        sa.Column("script_hex", sa.Text, nullable=False),
        sa.Column("scripthash", sa.String(64), nullable=False, index=True),
        sa.Column("value", sa.BigInteger, nullable=False),
        sa.Column("spent_by", sa.String(64), nullable=True, index=True),
    )
    op.create_table(
        "reserve_ledger",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("wallet_id", sa.Integer, sa.ForeignKey("reserve_wallets.id", ondelete="CASCADE"), nullable=False),
        sa.Column("txid", sa.String(64), nullable=False),
        sa.Column("vout", sa.Integer, nullable=False),
        sa.Column("address", sa.String(100), nullable=False),
        sa.Column("sats", sa.BigInteger, nullable=False),
        sa.Column("source", sa.String(40), nullable=False),
        sa.Column("zone", sa.String(80), nullable=False),
        sa.Column("cost_basis_usd", sa.Numeric(24, 2), nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("block_height", sa.Integer, nullable=True),
        sa.Column("first_seen", _NOW, nullable=False),
        sa.Column("updated_at", _NOW, nullable=False),
        sa.UniqueConstraint("wallet_id", "txid", "vout"),
    )
    op.create_table(
        "reserve_spend_proposals",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("wallet_id", sa.Integer, sa.ForeignKey("reserve_wallets.id", ondelete="CASCADE"), nullable=False),
        sa.Column("destination", sa.String(100), nullable=False),
        sa.Column("amount_sats", sa.BigInteger, nullable=False),
        sa.Column("fee_sats", sa.BigInteger, nullable=False),
        sa.Column("purpose", sa.Text, nullable=False),
        sa.Column("psbt", sa.Text, nullable=False),
        sa.Column("unsigned_txid", sa.String(64), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("threshold", sa.Integer, nullable=False),
        sa.Column("txid", sa.String(64), nullable=True),
        sa.Column("created_by", sa.String(120), nullable=False),
        sa.Column("created_at", _NOW, nullable=False),
    )
    op.create_table(
        "reserve_spend_signatures",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("proposal_id", sa.String(40),
                  sa.ForeignKey("reserve_spend_proposals.id", ondelete="CASCADE"), nullable=False),
        sa.Column("fingerprint", sa.String(8), nullable=False),
        sa.Column("psbt", sa.Text, nullable=False),
        sa.Column("submitted_by", sa.String(120), nullable=False),
        sa.Column("created_at", _NOW, nullable=False),
        sa.UniqueConstraint("proposal_id", "fingerprint"),
    )
    op.create_table(
        "reserve_prices",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("btc_price", sa.Numeric(24, 8), nullable=False),
        sa.Column("source", sa.String(300), nullable=False),
        sa.UniqueConstraint("day", "currency"),
    )


def downgrade() -> None:
    for name in ("reserve_prices", "reserve_spend_signatures", "reserve_spend_proposals", "reserve_ledger",
                 "rehearsal_outputs", "rehearsal_txs", "rehearsal_blocks", "reserve_addresses", "reserve_wallets"):
        op.drop_table(name)
