"""Tables of the rehearsal chain: blocks, transactions and their outputs (with what spent each)."""

from __future__ import annotations

from sqlalchemy import BigInteger, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from biplomacy.store.db import Base


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
