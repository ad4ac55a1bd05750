"""aml: adopted rule profiles (calibrated thresholds and their learned model), the newest in force; a scan's
thresholds_version widened to hold a profile's version (date and hash, 23 characters)

Revision ID: 0009_aml_profiles
Revises: 0005_aml_travel_b
"""

import sqlalchemy as sa
from alembic import op

revision = "0009_aml_profiles"
down_revision = "0005_aml_travel_b"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer, "sqlite")


def upgrade() -> None:
    op.create_table(
        "aml_profiles",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("version", sa.String(60), nullable=False),
        sa.Column("adopted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("adopted_by", sa.String(120), nullable=False),
        sa.Column("source", sa.String(500), nullable=False),
        sa.Column("profile_json", sa.Text, nullable=False),
        sa.Column("model_text", sa.Text, nullable=True),
    )
    with op.batch_alter_table("aml_scans") as t:
        t.alter_column("thresholds_version", existing_type=sa.String(20), type_=sa.String(60),
                       existing_nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("aml_scans") as t:
        t.alter_column("thresholds_version", existing_type=sa.String(60), type_=sa.String(20),
                       existing_nullable=False)
    op.drop_table("aml_profiles")
