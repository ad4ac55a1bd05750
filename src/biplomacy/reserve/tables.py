"""Tables of the reserve pillar: wallets, addresses, the ledger, spends, rotations, prices, reserve statements."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, Boolean, Date, DateTime, ForeignKey, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from biplomacy.reserve.model.states import SpendState, StatementState
from biplomacy.store.db import Base


class StateColumn(TypeDecorator[Any]):
    """A state enum stored as its plain string in VARCHAR(20), as the migrations made it: no database enum type."""

    impl = String(20)
    cache_ok = True

    def __init__(self, states: type[StrEnum]) -> None:
        super().__init__()
        self.states = states

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        return None if value is None else self.states(value).value

    def process_result_value(self, value: Any, dialect: Dialect) -> StrEnum | None:
        return None if value is None else self.states(value)


class WalletRow(Base):
    __tablename__ = "reserve_wallets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    descriptor: Mapped[str] = mapped_column(Text)
    threshold: Mapped[int] = mapped_column(Integer)
    signers: Mapped[str] = mapped_column(Text)  # comma-separated master fingerprints, descriptor order
    network: Mapped[str] = mapped_column(String(20))
    policy: Mapped[str] = mapped_column(String(40))
    next_index: Mapped[int] = mapped_column(Integer, default=0)
    next_change_index: Mapped[int] = mapped_column(Integer, default=0)
    public_addresses: Mapped[bool] = mapped_column(Boolean, default=False)
    synced_height: Mapped[int] = mapped_column(Integer, default=-1)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class AddressRow(Base):
    __tablename__ = "reserve_addresses"
    __table_args__ = (UniqueConstraint("wallet_id", "change", "index"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    wallet_id: Mapped[int] = mapped_column(ForeignKey("reserve_wallets.id", ondelete="CASCADE"))
    change: Mapped[bool] = mapped_column(Boolean)
    index: Mapped[int] = mapped_column(Integer)
    address: Mapped[str] = mapped_column(String(100), index=True)


class LedgerEntryRow(Base):
    __tablename__ = "reserve_ledger"
    __table_args__ = (UniqueConstraint("wallet_id", "txid", "vout"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    wallet_id: Mapped[int] = mapped_column(ForeignKey("reserve_wallets.id", ondelete="CASCADE"))
    txid: Mapped[str] = mapped_column(String(64))
    vout: Mapped[int] = mapped_column(Integer)
    address: Mapped[str] = mapped_column(String(100))
    sats: Mapped[int] = mapped_column(BigInteger)
    source: Mapped[str] = mapped_column(String(40))  # purchase | mining | seizure | transfer | donation | change
    zone: Mapped[str] = mapped_column(String(80), default="")
    cost_basis_usd: Mapped[Decimal | None] = mapped_column(Numeric(24, 2), nullable=True)
    status: Mapped[str] = mapped_column(String(20))  # pending | confirmed | spent | vanished
    block_height: Mapped[int | None] = mapped_column(Integer, nullable=True)
    block_time: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)  # 0003_reserve_b
    first_seen: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class SpendProposalRow(Base):
    __tablename__ = "reserve_spend_proposals"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    wallet_id: Mapped[int] = mapped_column(ForeignKey("reserve_wallets.id", ondelete="CASCADE"))
    destination: Mapped[str] = mapped_column(String(100))
    amount_sats: Mapped[int] = mapped_column(BigInteger)
    fee_sats: Mapped[int] = mapped_column(BigInteger)
    purpose: Mapped[str] = mapped_column(Text)
    psbt: Mapped[str] = mapped_column(Text)
    unsigned_txid: Mapped[str] = mapped_column(String(64))
    state: Mapped[SpendState] = mapped_column(StateColumn(SpendState))
    threshold: Mapped[int] = mapped_column(Integer)
    txid: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    path: Mapped[str] = mapped_column(String(40), default="primary", server_default="primary")  # 0003_reserve_c
    kind: Mapped[str] = mapped_column(String(20), default="spend", server_default="spend")  # spend|refresh|sweep
    # a refresh or sweep, once broadcast: JSON {source: sats} of its one output, the moved coins' sources
    carried: Mapped[str | None] = mapped_column(Text, nullable=True)


class RotationRow(Base):
    """A signer rotation (0003_reserve_c): the wallet rotated away from, its successor, the sweep proposal that
    moves every coin, the profile it was approved under, and the path that signs it."""

    __tablename__ = "reserve_rotations"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    from_wallet_id: Mapped[int] = mapped_column(ForeignKey("reserve_wallets.id", ondelete="CASCADE"))
    to_wallet_id: Mapped[int] = mapped_column(ForeignKey("reserve_wallets.id", ondelete="CASCADE"))
    proposal_id: Mapped[str | None] = mapped_column(ForeignKey("reserve_spend_proposals.id", ondelete="SET NULL"),
                                                    nullable=True)
    profile: Mapped[str] = mapped_column(String(40))
    path: Mapped[str] = mapped_column(String(40))
    state: Mapped[str] = mapped_column(String(20))  # sweeping | complete | cancelled (its sweep was cancelled)
    txid: Mapped[str | None] = mapped_column(String(64), nullable=True)  # the sweep, once broadcast
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class SpendSignatureRow(Base):
    __tablename__ = "reserve_spend_signatures"
    __table_args__ = (UniqueConstraint("proposal_id", "fingerprint"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    proposal_id: Mapped[str] = mapped_column(ForeignKey("reserve_spend_proposals.id", ondelete="CASCADE"))
    fingerprint: Mapped[str] = mapped_column(String(8))
    psbt: Mapped[str] = mapped_column(Text)
    submitted_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class PriceRow(Base):
    __tablename__ = "reserve_prices"
    __table_args__ = (UniqueConstraint("day", "currency"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[date] = mapped_column(Date)
    currency: Mapped[str] = mapped_column(String(3))
    btc_price: Mapped[Decimal] = mapped_column(Numeric(24, 8))
    source: Mapped[str] = mapped_column(String(300))


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
    state: Mapped[StatementState] = mapped_column(StateColumn(StatementState))
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
