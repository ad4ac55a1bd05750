"""throttles: failed logins, trusted (name, address) pairs and compute-token buckets, shared by worker processes

Revision ID: 0011_throttles
Revises: 0001_core

The portal's login throttle and compute rate limit kept their counts in each process; with several worker
processes (`biplomacy serve --workers N`) each would count only what it saw. Its own branch (ADR 0001), as
0010_jobs, so that it lands beside other changes of the core tables without a merge revision.
"""

import sqlalchemy as sa
from alembic import op

revision = "0011_throttles"
down_revision = "0001_core"
branch_labels = ("throttles",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "house_login_failures",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=True),
        sa.Column("key", sa.String(32), nullable=False),
        sa.Column("at", sa.Float, nullable=False),
    )
    op.create_index("ix_house_login_failures_key_at", "house_login_failures", ["key", "at"])
    op.create_index("ix_house_login_failures_at", "house_login_failures", ["at"])
    op.create_table(
        "house_login_trusted",
        sa.Column("key", sa.String(32), primary_key=True),
        sa.Column("at", sa.Float, nullable=False),
    )
    op.create_index("ix_house_login_trusted_at", "house_login_trusted", ["at"])
    op.create_table(
        "house_rate_buckets",
        sa.Column("key", sa.String(32), primary_key=True),
        sa.Column("tokens", sa.Float, nullable=False),
        sa.Column("at", sa.Float, nullable=False),
    )
    op.create_index("ix_house_rate_buckets_at", "house_rate_buckets", ["at"])


def downgrade() -> None:
    op.drop_index("ix_house_rate_buckets_at", table_name="house_rate_buckets")
    op.drop_table("house_rate_buckets")
    op.drop_index("ix_house_login_trusted_at", table_name="house_login_trusted")
    op.drop_table("house_login_trusted")
    op.drop_index("ix_house_login_failures_at", table_name="house_login_failures")
    op.drop_index("ix_house_login_failures_key_at", table_name="house_login_failures")
    op.drop_table("house_login_failures")
