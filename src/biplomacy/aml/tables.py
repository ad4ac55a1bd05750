"""Tables of the AML part of supervision: stored scans, their alerts (with evidence), cases and their
history, and suspicious transaction reports (STRs) filed when a case is escalated."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from biplomacy.store.db import Base

_ID = BigInteger().with_variant(Integer, "sqlite")


class AmlScanRow(Base):
    __tablename__ = "aml_scans"

    id: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=True)
    source: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(String(120))
    transactions: Mapped[int] = mapped_column(BigInteger)
    thresholds_version: Mapped[str] = mapped_column(String(20))
    summary_json: Mapped[str] = mapped_column(Text)


class AmlAlertRow(Base):
    __tablename__ = "aml_alerts"

    id: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=True)
    scan_id: Mapped[int] = mapped_column(ForeignKey("aml_scans.id"), index=True)
    rule: Mapped[str] = mapped_column(String(60))
    score: Mapped[float] = mapped_column(Float)
    accounts_json: Mapped[str] = mapped_column(Text)
    transactions_json: Mapped[str] = mapped_column(Text)
    evidence_json: Mapped[str] = mapped_column(Text)


class AmlCaseRow(Base):
    __tablename__ = "aml_cases"

    id: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("aml_alerts.id"), unique=True)
    state: Mapped[str] = mapped_column(String(20))
    assignee: Mapped[str | None] = mapped_column(String(120), nullable=True)
    state_since: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class AmlCaseEventRow(Base):
    __tablename__ = "aml_case_events"

    id: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("aml_cases.id"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(120))
    from_state: Mapped[str | None] = mapped_column(String(20), nullable=True)
    to_state: Mapped[str] = mapped_column(String(20))
    detail: Mapped[str] = mapped_column(Text, default="")


class AmlStrRow(Base):
    __tablename__ = "aml_strs"

    id: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("aml_cases.id"), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(String(120))
    reason: Mapped[str] = mapped_column(Text)
    evidence_json: Mapped[str] = mapped_column(Text)


class SanctionsListRow(Base):
    """One loaded version of a sanctions list (kept, never overwritten: the history of what was screened)."""

    __tablename__ = "aml_sanctions_lists"

    id: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(300))
    sha256: Mapped[str] = mapped_column(String(64))
    loaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    loaded_by: Mapped[str] = mapped_column(String(120))
    addresses: Mapped[int] = mapped_column(Integer)
    addresses_text: Mapped[str] = mapped_column(Text)
    rejected_json: Mapped[str] = mapped_column(Text)


class TravelRuleMessageRow(Base):
    """One VASP-to-VASP travel-rule transfer inquiry (TRP-like): its IVMS101 payload and the beneficiary's decision."""

    __tablename__ = "aml_travel_rule_messages"

    id: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=True)
    originator_vasp: Mapped[str] = mapped_column(String(40), index=True)
    beneficiary_vasp: Mapped[str] = mapped_column(String(40), index=True)
    state: Mapped[str] = mapped_column(String(20))
    # migration 0005_aml_travel_b: the IVMS101 payload (personal data) lives once, in TravelRulePersonalDataRow,
    # erasable under the retention rule; the message keeps its SHA-256 (as does the audit log)
    payload_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    personal_data_erased_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    amount: Mapped[str | None] = mapped_column(String(60), nullable=True)
    unit: Mapped[str | None] = mapped_column(String(20), nullable=True)
    amount_usd: Mapped[str | None] = mapped_column(String(60), nullable=True)
    above_threshold: Mapped[bool | None] = mapped_column(nullable=True)
    flags_json: Mapped[str] = mapped_column(Text, default="[]")
    sent_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    sent_by: Mapped[str] = mapped_column(String(120))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    decided_by: Mapped[str | None] = mapped_column(String(120), nullable=True)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)


class TravelRulePersonalDataRow(Base):
    """The IVMS101 payload of one travel-rule message: names, birth dates, addresses. Stored here only, and
    deleted when its retention ends (`supervise travel-rule erase-expired`); the message keeps its hash."""

    __tablename__ = "aml_travel_rule_personal_data"

    message_id: Mapped[int] = mapped_column(ForeignKey("aml_travel_rule_messages.id", ondelete="CASCADE"),
                                            primary_key=True)
    payload_json: Mapped[str] = mapped_column(Text)
    stored_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
