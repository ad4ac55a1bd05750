"""Tables of the reserve pillar (proofs): reserve statements and the signed PSBTs collected for them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from biplomacy.store.db import Base


class StatementRow(Base):
    __tablename__ = "reserve_statements"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    wallet_id: Mapped[int] = mapped_column(ForeignKey("reserve_wallets.id", ondelete="CASCADE"))
    message: Mapped[str] = mapped_column(Text)
    height: Mapped[int] = mapped_column(Integer)
    block_hash: Mapped[str] = mapped_column(String(64))
    utxos: Mapped[str] = mapped_column(Text)  # JSON list of the coins proven
    total_sats: Mapped[int] = mapped_column(BigInteger)
    psbt: Mapped[str] = mapped_column(Text)  # the unsigned to_sign PSBT, base64
    threshold: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(20))  # collecting | ready | final
    statement: Mapped[str | None] = mapped_column(Text, nullable=True)  # the final statement JSON
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finalized_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class StatementSignatureRow(Base):
    __tablename__ = "reserve_statement_signatures"
    __table_args__ = (UniqueConstraint("statement_id", "fingerprint"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    statement_id: Mapped[str] = mapped_column(ForeignKey("reserve_statements.id", ondelete="CASCADE"))
    fingerprint: Mapped[str] = mapped_column(String(8))
    psbt: Mapped[str] = mapped_column(Text)
    submitted_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
