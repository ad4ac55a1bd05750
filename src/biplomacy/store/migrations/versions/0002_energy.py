"""energy: stored plans

Revision ID: 0002_energy
Revises: 0001_core
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_energy"
down_revision = "0001_core"
branch_labels = ("energy",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "energy_plans",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("scenario", sa.String(200), nullable=False),
        sa.Column("objective", sa.String(40), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(120), nullable=False),
        sa.Column("inputs_sha256", sa.String(64), nullable=False),
        sa.Column("inputs_toml", sa.Text, nullable=False),
        sa.Column("summary_json", sa.Text, nullable=False),
        sa.Column("out_dir", sa.String(500), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("energy_plans")
