"""aml: sanctions list versions (each load kept with its hash, addresses and rejected lines)

Revision ID: 0005_aml_sanctions
Revises: 0005_aml
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_aml_sanctions"
down_revision = "0005_aml"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer, "sqlite")


def upgrade() -> None:
    op.create_table(
        "aml_sanctions_lists",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("loaded_by", sa.String(120), nullable=False),
        sa.Column("addresses", sa.Integer, nullable=False),
        sa.Column("addresses_text", sa.Text, nullable=False),
        sa.Column("rejected_json", sa.Text, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("aml_sanctions_lists")
