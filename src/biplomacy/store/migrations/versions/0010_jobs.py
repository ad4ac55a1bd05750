"""jobs: computations the portal runs off the request path (a risk run), with progress and result

Revision ID: 0010_jobs
Revises: 0001_core

Its own branch (ADR 0001) so that it lands beside other changes of the core tables without a merge revision.
"""

import sqlalchemy as sa
from alembic import op

revision = "0010_jobs"
down_revision = "0001_core"
branch_labels = ("jobs",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "house_jobs",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("done", sa.Integer, nullable=False, server_default="0"),
        sa.Column("total", sa.Integer, nullable=False, server_default="0"),
        sa.Column("client", sa.String(32), nullable=False),
        sa.Column("result", sa.Text, nullable=True),
        sa.Column("error", sa.Text, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("kind", "key", name="uq_house_jobs_kind_key"),
    )
    op.create_index("ix_house_jobs_updated_at", "house_jobs", ["updated_at"])


def downgrade() -> None:
    op.drop_index("ix_house_jobs_updated_at", table_name="house_jobs")
    op.drop_table("house_jobs")
