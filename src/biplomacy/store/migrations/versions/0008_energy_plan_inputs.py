"""energy: stored plans keep the inputs the risk model reads (fleet, zones' PUE, tariffs, network), and are
found by name or scenario through an index

Revision ID: 0008_energy_plan_inputs
Revises: 0002_energy
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_energy_plan_inputs"
down_revision = "0002_energy"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("energy_plans") as t:
        # NULL for plans stored before this revision: they are read against the scenario's files (checksum)
        t.add_column(sa.Column("inputs_json", sa.Text, nullable=True))
    op.create_index("ix_energy_plans_name", "energy_plans", ["name"])
    op.create_index("ix_energy_plans_scenario", "energy_plans", ["scenario"])


def downgrade() -> None:
    op.drop_index("ix_energy_plans_scenario", table_name="energy_plans")
    op.drop_index("ix_energy_plans_name", table_name="energy_plans")
    with op.batch_alter_table("energy_plans") as t:
        t.drop_column("inputs_json")
