"""energy: a stored plan is a draft until it is adopted; the public pages show the adopted one

Revision ID: 0010_energy_plan_adopted
Revises: 0008_energy_plan_inputs
"""

import sqlalchemy as sa
from alembic import op

revision = "0010_energy_plan_adopted"
down_revision = "0008_energy_plan_inputs"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("energy_plans") as t:
        # NULL: a draft (every plan stored before this revision is one, until someone adopts it)
        t.add_column(sa.Column("adopted_at", sa.DateTime(timezone=True), nullable=True))
        t.add_column(sa.Column("adopted_by", sa.String(120), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("energy_plans") as t:
        t.drop_column("adopted_by")
        t.drop_column("adopted_at")
