"""Core tables: the hash-chained audit log, users and their hashed API tokens, the portal's jobs, and the counts
its throttles share between worker processes (failed logins, compute tokens)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from biplomacy.store.db import Base


class AuditRow(Base):
    __tablename__ = "audit_log"

    seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True,
                                     autoincrement=False)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(120))
    action: Mapped[str] = mapped_column(String(120))
    subject: Mapped[str] = mapped_column(String(300))
    payload: Mapped[str] = mapped_column(Text)
    payload_hash: Mapped[str] = mapped_column(String(64))
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class UserRow(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    role: Mapped[str] = mapped_column(String(20))
    institution: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(200), default="")
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # migration 0001_core_b: the entity a `vasp` user acts for, and a counter bumped whenever the user's
    # role, binding, password or activity changes, so that portal sessions issued before are refused
    lei: Mapped[str | None] = mapped_column(String(20), nullable=True, default=None)
    session_version: Mapped[int] = mapped_column(Integer, default=0)
    # migration 0001_core_c: a signer's master key fingerprints (8 hex digits, comma-separated): the only keys
    # whose signatures that user may upload as their own
    key_fingerprints: Mapped[str] = mapped_column(String(200), default="")


class TokenRow(Base):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str] = mapped_column(String(120), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked: Mapped[bool] = mapped_column(default=False)


class AuditCheckpointRow(Base):
    """A signed statement "the log had `seq` entries ending in `head_hash`" (migration 0001_core_c)."""

    __tablename__ = "audit_checkpoints"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), index=True)
    head_hash: Mapped[str] = mapped_column(String(64))
    at: Mapped[str] = mapped_column(String(40))  # the statement's own ISO 8601 text, as signed
    public_key: Mapped[str] = mapped_column(String(64))  # Ed25519, raw 32 bytes as hex
    signature: Mapped[str] = mapped_column(String(128))  # Ed25519 over the statement's canonical JSON, hex


class JobRow(Base):
    """A computation the portal runs off the request path (migration 0010_jobs): its inputs' key, progress and
    result. A cache of derived figures, not a change of state: rows are not audited and are pruned."""

    __tablename__ = "house_jobs"
    __table_args__ = (UniqueConstraint("kind", "key", name="uq_house_jobs_kind_key"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    key: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(10))  # queued, running, done, failed
    done: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int] = mapped_column(Integer, default=0)
    client: Mapped[str] = mapped_column(String(32))  # a digest of the client's address, never the address
    result: Mapped[str | None] = mapped_column(Text, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


class LoginFailureRow(Base):
    """One failed (or in-flight) login counted against a key: a digest of (name, address) or of the address
    (migration 0011_throttles). Times are Unix seconds, so every worker process counts on one clock; rows older
    than the throttle's window are deleted as new ones come."""

    __tablename__ = "house_login_failures"
    __table_args__ = (Index("ix_house_login_failures_key_at", "key", "at"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True,
                                    autoincrement=True)
    key: Mapped[str] = mapped_column(String(32))
    at: Mapped[float] = mapped_column(Float, index=True)


class LoginTrustRow(Base):
    """A name that logged in from an address (a digest of both), and when: spared that address's count."""

    __tablename__ = "house_login_trusted"

    key: Mapped[str] = mapped_column(String(32), primary_key=True)
    at: Mapped[float] = mapped_column(Float, index=True)


class RateBucketRow(Base):
    """A token bucket of the portal's compute budget (a digest of the client's address, or "*" for the whole
    portal): tokens left at Unix time `at`, refilled continuously."""

    __tablename__ = "house_rate_buckets"

    key: Mapped[str] = mapped_column(String(32), primary_key=True)
    tokens: Mapped[float] = mapped_column(Float)
    at: Mapped[float] = mapped_column(Float, index=True)
