"""supervision (licensing part): licences, events, sandbox cohorts, warnings, returns, solvency reports

Revision ID: 0004_supervision
Revises: 0001_core
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_supervision"
down_revision = "0001_core"
branch_labels = ("supervision",)
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer, "sqlite")


def upgrade() -> None:
    op.create_table(
        "sup_sandbox_cohorts",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(120), nullable=False, unique=True),
        sa.Column("starts_on", sa.Date, nullable=False),
        sa.Column("expires_on", sa.Date, nullable=False),
        sa.Column("conditions", sa.Text, nullable=False),
    )
    op.create_table(
        "sup_licences",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("reference", sa.String(40), nullable=False, unique=True),
        sa.Column("legal_name", sa.String(300), nullable=False),
        sa.Column("commercial_name", sa.String(300), nullable=False),
        sa.Column("lei", sa.String(20), nullable=True),
        sa.Column("address", sa.String(500), nullable=False),
        sa.Column("country", sa.String(2), nullable=False),
        sa.Column("website", sa.String(300), nullable=False),
        sa.Column("application", sa.Text, nullable=False),
        sa.Column("activities", sa.Text, nullable=False),
        sa.Column("conditions", sa.Text, nullable=False),
        sa.Column("state", sa.String(40), nullable=False),
        sa.Column("state_since", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("authorised_on", sa.Date, nullable=True),
        sa.Column("ended_on", sa.Date, nullable=True),
        sa.Column("cohort_id", _ID, sa.ForeignKey("sup_sandbox_cohorts.id"), nullable=True),
        sa.Column("fictional", sa.Boolean, nullable=False, server_default=sa.false()),
    )
    op.create_table(
        "sup_licence_events",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("licence_id", _ID, sa.ForeignKey("sup_licences.id", ondelete="CASCADE"), nullable=False,
                  index=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(120), nullable=False),
        sa.Column("from_state", sa.String(40), nullable=False),
        sa.Column("to_state", sa.String(40), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("conditions", sa.Text, nullable=False),
    )
    op.create_table(
        "sup_warnings",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("website", sa.String(300), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("details", sa.Text, nullable=False),
        sa.Column("published_on", sa.Date, nullable=False),
        sa.Column("withdrawn_on", sa.Date, nullable=True),
        sa.Column("fictional", sa.Boolean, nullable=False, server_default=sa.false()),
    )
    op.create_table(
        "sup_returns",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("licence_id", _ID, sa.ForeignKey("sup_licences.id", ondelete="CASCADE"), nullable=False,
                  index=True),
        sa.Column("period", sa.String(10), nullable=False),
        sa.Column("filed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_on", sa.Date, nullable=False),
        sa.Column("late", sa.Boolean, nullable=False),
        sa.Column("filed_by", sa.String(120), nullable=False),
        sa.Column("document", sa.Text, nullable=False),
        sa.UniqueConstraint("licence_id", "period"),
    )
    op.create_table(
        "sup_solvency_reports",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("licence_id", _ID, sa.ForeignKey("sup_licences.id", ondelete="CASCADE"), nullable=False,
                  index=True),
        sa.Column("root", sa.String(64), nullable=False),
        sa.Column("snapshot_height", sa.BigInteger, nullable=True),
        sa.Column("snapshot_time", sa.String(40), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("coverage", sa.Text, nullable=False),
        sa.Column("solvent", sa.Boolean, nullable=False),
    )


def downgrade() -> None:
    for name in ("sup_solvency_reports", "sup_returns", "sup_warnings", "sup_licence_events", "sup_licences",
                 "sup_sandbox_cohorts"):
        op.drop_table(name)
