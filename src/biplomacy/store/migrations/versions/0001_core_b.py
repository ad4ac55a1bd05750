"""core: users get an optional entity binding (LEI, for the `vasp` role) and a session version

Revision ID: 0001_core_b
Revises: 0001_core
"""

import sqlalchemy as sa
from alembic import op

revision = "0001_core_b"
down_revision = "0001_core"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("lei", sa.String(20), nullable=True))
        batch.add_column(sa.Column("session_version", sa.Integer, nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("session_version")
        batch.drop_column("lei")
