"""peers: published bundles, adopted parts of peers' bundles, stored what-ifs

Revision ID: 0009_peers
Revises: 0001_core
"""

import sqlalchemy as sa
from alembic import op

revision = "0009_peers"
down_revision = "0001_core"
branch_labels = ("peers",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "peers_published_bundles",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("sha256", sa.String(64), nullable=False, unique=True),
        sa.Column("program", sa.String(200), nullable=False),
        sa.Column("country", sa.String(8), nullable=False),
        sa.Column("public_key", sa.String(120), nullable=False),
        sa.Column("bundle_version", sa.String(60), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("parts", sa.Text, nullable=False),
        sa.Column("content", sa.Text, nullable=False),
        sa.Column("created_by", sa.String(120), nullable=False),
    )
    op.create_table(
        "peers_adoptions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("bundle_sha256", sa.String(64), nullable=False),
        sa.Column("part", sa.String(80), nullable=False),
        sa.Column("kind", sa.String(80), nullable=False),
        sa.Column("part_sha256", sa.String(64), nullable=False),
        sa.Column("program", sa.String(200), nullable=False),
        sa.Column("country", sa.String(8), nullable=False),
        sa.Column("public_key", sa.String(120), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("content", sa.Text, nullable=False),
        sa.Column("adopted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("adopted_by", sa.String(120), nullable=False),
        sa.UniqueConstraint("bundle_sha256", "part", name="uq_peers_adoption_part"),
    )
    op.create_table(
        "peers_whatifs",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("kind", sa.String(80), nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(120), nullable=False),
        sa.Column("inputs_sha256", sa.String(64), nullable=False),
        sa.Column("inputs_json", sa.Text, nullable=False),
        sa.Column("result_json", sa.Text, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("peers_whatifs")
    op.drop_table("peers_adoptions")
    op.drop_table("peers_published_bundles")
