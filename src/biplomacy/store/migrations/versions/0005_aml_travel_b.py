"""aml: travel-rule personal data (IVMS101 payloads) moved to a table of its own, erasable; messages keep a hash

Revision ID: 0005_aml_travel_b
Revises: 0005_aml_travel
"""

import hashlib
import json

import sqlalchemy as sa
from alembic import op

revision = "0005_aml_travel_b"
down_revision = "0005_aml_travel"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer, "sqlite")


def _sha256(payload_json: str) -> str:
    canonical = json.dumps(json.loads(payload_json), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def upgrade() -> None:
    op.create_table(
        "aml_travel_rule_personal_data",
        sa.Column("message_id", _ID, sa.ForeignKey("aml_travel_rule_messages.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("payload_json", sa.Text, nullable=False),
        sa.Column("stored_at", sa.DateTime(timezone=True), nullable=False),
    )
    with op.batch_alter_table("aml_travel_rule_messages") as batch:
        batch.add_column(sa.Column("payload_sha256", sa.String(64), nullable=True))
        batch.add_column(sa.Column("personal_data_erased_at", sa.DateTime(timezone=True), nullable=True))
    conn = op.get_bind()
    rows = conn.execute(sa.text("SELECT id, payload_json, sent_at FROM aml_travel_rule_messages")).all()
    for message_id, payload_json, sent_at in rows:
        conn.execute(sa.text("INSERT INTO aml_travel_rule_personal_data (message_id, payload_json, stored_at) "
                             "VALUES (:i, :p, :t)"), {"i": message_id, "p": payload_json, "t": sent_at})
        conn.execute(sa.text("UPDATE aml_travel_rule_messages SET payload_sha256 = :h WHERE id = :i"),
                     {"h": _sha256(payload_json), "i": message_id})
    with op.batch_alter_table("aml_travel_rule_messages") as batch:
        batch.drop_column("payload_json")


def downgrade() -> None:
    with op.batch_alter_table("aml_travel_rule_messages") as batch:
        batch.add_column(sa.Column("payload_json", sa.Text, nullable=False, server_default="{}"))
    conn = op.get_bind()
    for message_id, payload_json in conn.execute(sa.text(
            "SELECT message_id, payload_json FROM aml_travel_rule_personal_data")).all():
        conn.execute(sa.text("UPDATE aml_travel_rule_messages SET payload_json = :p WHERE id = :i"),
                     {"p": payload_json, "i": message_id})
    with op.batch_alter_table("aml_travel_rule_messages") as batch:
        batch.drop_column("personal_data_erased_at")
        batch.drop_column("payload_sha256")
    op.drop_table("aml_travel_rule_personal_data")
