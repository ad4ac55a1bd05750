"""core: signed checkpoints of the audit log (seq, head hash, Ed25519 signature); signers tied to their keys

Revision ID: 0001_core_c
Revises: 0001_core_b
"""

import sqlalchemy as sa
from alembic import op

revision = "0001_core_c"
down_revision = "0001_core_b"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_checkpoints",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer, "sqlite"), nullable=False),
        sa.Column("head_hash", sa.String(64), nullable=False),
        sa.Column("at", sa.String(40), nullable=False),
        sa.Column("public_key", sa.String(64), nullable=False),
        sa.Column("signature", sa.String(128), nullable=False),
    )
    op.create_index("ix_audit_checkpoints_seq", "audit_checkpoints", ["seq"])
    with op.batch_alter_table("users") as batch:  # a signer's key fingerprints (8 hex digits, comma-separated)
        batch.add_column(sa.Column("key_fingerprints", sa.String(200), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("key_fingerprints")
    op.drop_index("ix_audit_checkpoints_seq", table_name="audit_checkpoints")
    op.drop_table("audit_checkpoints")
