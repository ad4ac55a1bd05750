"""Tables of the supervision pillar (licensing part): licences and their history, sandbox cohorts, the
register's warnings, supervisory returns, published solvency snapshots and stablecoin attestations."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Boolean, Date, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from biplomacy.store.db import Base

_ID = BigInteger().with_variant(Integer, "sqlite")


class SandboxCohortRow(Base):
    __tablename__ = "sup_sandbox_cohorts"

    id: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    starts_on: Mapped[date] = mapped_column(Date)
    expires_on: Mapped[date] = mapped_column(Date)
    conditions: Mapped[str] = mapped_column(Text, default="[]")  # JSON list of strings


class LicenceRow(Base):
    __tablename__ = "sup_licences"

    id: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=True)
    reference: Mapped[str] = mapped_column(String(40), unique=True)
    legal_name: Mapped[str] = mapped_column(String(300))
    commercial_name: Mapped[str] = mapped_column(String(300))
    lei: Mapped[str | None] = mapped_column(String(20), nullable=True)
    address: Mapped[str] = mapped_column(String(500))
    country: Mapped[str] = mapped_column(String(2))
    website: Mapped[str] = mapped_column(String(300), default="")
    application: Mapped[str] = mapped_column(Text)  # the filed JSON document
    activities: Mapped[str] = mapped_column(Text)  # JSON list of activity codes
    conditions: Mapped[str] = mapped_column(Text, default="[]")  # JSON list of strings
    state: Mapped[str] = mapped_column(String(40))
    state_since: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    authorised_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    ended_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    cohort_id: Mapped[int | None] = mapped_column(ForeignKey("sup_sandbox_cohorts.id"), nullable=True)
    fictional: Mapped[bool] = mapped_column(Boolean, default=False)


class LicenceEventRow(Base):
    __tablename__ = "sup_licence_events"

    id: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=True)
    licence_id: Mapped[int] = mapped_column(ForeignKey("sup_licences.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(120))
    from_state: Mapped[str] = mapped_column(String(40))
    to_state: Mapped[str] = mapped_column(String(40))
    reason: Mapped[str] = mapped_column(Text)
    conditions: Mapped[str] = mapped_column(Text, default="[]")


class WarningRow(Base):
    __tablename__ = "sup_warnings"

    id: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(300))
    website: Mapped[str] = mapped_column(String(300), default="")
    kind: Mapped[str] = mapped_column(String(40))  # unlicensed | non_compliant
    details: Mapped[str] = mapped_column(Text, default="")
    published_on: Mapped[date] = mapped_column(Date)
    withdrawn_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    fictional: Mapped[bool] = mapped_column(Boolean, default=False)


class ReturnRow(Base):
    __tablename__ = "sup_returns"
    __table_args__ = (UniqueConstraint("licence_id", "period"),)

    id: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=True)
    licence_id: Mapped[int] = mapped_column(ForeignKey("sup_licences.id", ondelete="CASCADE"), index=True)
    period: Mapped[str] = mapped_column(String(10))  # 2025-Q3
    filed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    due_on: Mapped[date] = mapped_column(Date)
    late: Mapped[bool] = mapped_column(Boolean)
    filed_by: Mapped[str] = mapped_column(String(120))
    document: Mapped[str] = mapped_column(Text)  # the validated return, JSON


class SolvencyReportRow(Base):
    __tablename__ = "sup_solvency_reports"

    id: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=True)
    licence_id: Mapped[int] = mapped_column(ForeignKey("sup_licences.id", ondelete="CASCADE"), index=True)
    root: Mapped[str] = mapped_column(String(64))
    snapshot_height: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    snapshot_time: Mapped[str] = mapped_column(String(40))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    coverage: Mapped[str] = mapped_column(Text)  # JSON: asset -> liabilities, reserves, ratio (decimal string)
    solvent: Mapped[bool] = mapped_column(Boolean)


class StablecoinAttestationRow(Base):
    """A stablecoin issuer's reserve attestation as filed, with the verdict of the reserve rules at filing."""

    __tablename__ = "sup_stablecoin_attestations"

    id: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=True)
    licence_id: Mapped[int] = mapped_column(ForeignKey("sup_licences.id", ondelete="CASCADE"), index=True)
    token: Mapped[str] = mapped_column(String(40))
    as_of: Mapped[str] = mapped_column(String(40))  # the attestation's own date, as written by the issuer
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    recorded_by: Mapped[str] = mapped_column(String(120))
    document: Mapped[str] = mapped_column(Text)  # the attestation JSON as filed
    result: Mapped[str] = mapped_column(Text)  # JSON: the check (verdict, breaches with figures, ratios)
    compliant: Mapped[bool] = mapped_column(Boolean)
