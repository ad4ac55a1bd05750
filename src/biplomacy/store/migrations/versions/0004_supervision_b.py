"""supervision: stablecoin issuers' reserve attestations and their verdicts (register and dashboard)

Revision ID: 0004_supervision_b
Revises: 0004_supervision
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_supervision_b"
down_revision = "0004_supervision"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer, "sqlite")


def upgrade() -> None:
    op.create_table(
        "sup_stablecoin_attestations",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("licence_id", _ID, sa.ForeignKey("sup_licences.id", ondelete="CASCADE"), nullable=False,
                  index=True),
        sa.Column("token", sa.String(40), nullable=False),
        sa.Column("as_of", sa.String(40), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.String(120), nullable=False),
        sa.Column("document", sa.Text, nullable=False),
        sa.Column("result", sa.Text, nullable=False),
        sa.Column("compliant", sa.Boolean, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("sup_stablecoin_attestations")
