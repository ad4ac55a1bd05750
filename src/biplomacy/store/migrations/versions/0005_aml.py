"""aml: stored scans, alerts with evidence, cases with history, suspicious transaction reports

Revision ID: 0005_aml
Revises: 0001_core
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_aml"
down_revision = "0001_core"
branch_labels = ("aml",)
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer, "sqlite")


def upgrade() -> None:
    op.create_table(
        "aml_scans",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("source", sa.String(500), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(120), nullable=False),
        sa.Column("transactions", sa.BigInteger, nullable=False),
        sa.Column("thresholds_version", sa.String(20), nullable=False),
        sa.Column("summary_json", sa.Text, nullable=False),
    )
    op.create_table(
        "aml_alerts",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("scan_id", _ID, sa.ForeignKey("aml_scans.id"), nullable=False, index=True),
        sa.Column("rule", sa.String(60), nullable=False),
        sa.Column("score", sa.Float, nullable=False),
        sa.Column("accounts_json", sa.Text, nullable=False),
        sa.Column("transactions_json", sa.Text, nullable=False),
        sa.Column("evidence_json", sa.Text, nullable=False),
    )
    op.create_table(
        "aml_cases",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("alert_id", _ID, sa.ForeignKey("aml_alerts.id"), nullable=False, unique=True),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("assignee", sa.String(120), nullable=True),
        sa.Column("state_since", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "aml_case_events",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("case_id", _ID, sa.ForeignKey("aml_cases.id"), nullable=False, index=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(120), nullable=False),
        sa.Column("from_state", sa.String(20), nullable=True),
        sa.Column("to_state", sa.String(20), nullable=False),
        sa.Column("detail", sa.Text, nullable=False),
    )
    op.create_table(
        "aml_strs",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("case_id", _ID, sa.ForeignKey("aml_cases.id"), nullable=False, unique=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(120), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("evidence_json", sa.Text, nullable=False),
    )


def downgrade() -> None:
    for name in ("aml_strs", "aml_case_events", "aml_cases", "aml_alerts", "aml_scans"):
        op.drop_table(name)
