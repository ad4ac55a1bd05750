"""Protocols for the outside world (the chain), with the plain records they return.

Each port is as small as the work allows; its adapters live in biplomacy.chain (Esplora, Electrum) and
biplomacy.reserve.rehearsal.source (the rehearsal chain in this process).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable


@dataclass(frozen=True, slots=True)
class ChainOutput:
    vout: int
    address: str
    value: int  # sats


@dataclass(frozen=True, slots=True)
class ChainTx:
    """A transaction as a wallet sync needs it: where it is, what it pays, what it spends."""

    txid: str
    height: int | None  # None while unconfirmed
    outputs: tuple[ChainOutput, ...]
    spends: tuple[tuple[str, int], ...]
    fee: int = 0
    source_hint: str = ""  # the rehearsal chain says what a faucet payment stands for; real chains do not
    time: int | None = None  # block time (Unix seconds) once confirmed
    extra: dict[str, str] = field(default_factory=dict)


class ChainSource(Protocol):
    """A view of the Bitcoin chain (Esplora REST, the rehearsal chain, Electrum through BDK)."""

    def tip_height(self) -> int: ...

    def address_history(self, address: str) -> list[ChainTx]: ...

    def tx_hex(self, txid: str) -> str | None: ...

    def broadcast(self, tx_hex: str) -> str: ...


@runtime_checkable
class WalletScanner(Protocol):
    """A chain source that must scan a whole wallet before it answers its address histories (BDK's Electrum
    client scans descriptors, not lone addresses). `revealed` is (next receive index, next change index)."""

    def watch(self, descriptor: str, revealed: tuple[int, int], gap: int) -> None: ...

    def scanned_address(self, index: int, change: bool) -> str | None:
        """The address the scan derived at (change, index), or None when it did not reach it."""
        ...
