"""aml: travel-rule messages exchanged between licensed VASPs (TRP-like inquiry, approve or reject)

Revision ID: 0005_aml_travel
Revises: 0005_aml_sanctions
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_aml_travel"
down_revision = "0005_aml_sanctions"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer, "sqlite")


def upgrade() -> None:
    op.create_table(
        "aml_travel_rule_messages",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("originator_vasp", sa.String(40), nullable=False, index=True),
        sa.Column("beneficiary_vasp", sa.String(40), nullable=False, index=True),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("payload_json", sa.Text, nullable=False),
        sa.Column("amount", sa.String(60), nullable=True),
        sa.Column("unit", sa.String(20), nullable=True),
        sa.Column("amount_usd", sa.String(60), nullable=True),
        sa.Column("above_threshold", sa.Boolean, nullable=True),
        sa.Column("flags_json", sa.Text, nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_by", sa.String(120), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.String(120), nullable=True),
        sa.Column("reason", sa.Text, nullable=True),
    )


def downgrade() -> None:
    op.drop_table("aml_travel_rule_messages")
