"""Tables of the reserve pillar (custody): wallets, addresses, the rehearsal chain, ledger, spends, prices."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import BigInteger, Boolean, Date, DateTime, ForeignKey, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from biplomacy.store.db import Base


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


class ChainBlockRow(Base):
    __tablename__ = "rehearsal_blocks"

    height: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    hash: Mapped[str] = mapped_column(String(64), unique=True)
    prev_hash: Mapped[str] = mapped_column(String(64))
    time: Mapped[int] = mapped_column(BigInteger)


class ChainTxRow(Base):
    __tablename__ = "rehearsal_txs"

    txid: Mapped[str] = mapped_column(String(64), primary_key=True)
    hex: Mapped[str] = mapped_column(Text)
    block_height: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)  # None: in the mempool
    fee: Mapped[int] = mapped_column(BigInteger, default=0)
    vsize: Mapped[int] = mapped_column(Integer, default=0)
    source: Mapped[str] = mapped_column(String(40), default="")  # what a faucet payment stands for
    status: Mapped[str] = mapped_column(String(20))  # mempool | confirmed | vanished
    seq: Mapped[int] = mapped_column(BigInteger)


class ChainOutputRow(Base):
    __tablename__ = "rehearsal_outputs"

    txid: Mapped[str] = mapped_column(String(64), primary_key=True)
    vout: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    address: Mapped[str] = mapped_column(String(100), index=True)
    script_hex: Mapped[str] = mapped_column(Text)
    scripthash: Mapped[str] = mapped_column(String(64), index=True)  # sha256(script) hex, as Esplora keys it
    value: Mapped[int] = mapped_column(BigInteger)
    spent_by: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)


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
    state: Mapped[str] = mapped_column(String(20))  # collecting | ready | broadcast
    threshold: Mapped[int] = mapped_column(Integer)
    txid: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


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
