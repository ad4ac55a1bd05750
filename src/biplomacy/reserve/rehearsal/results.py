"""The records the rehearsal chain's use cases (fund, mine, reorg, tip) return to the CLI.

What the chain's Esplora and Electrum servers answer is not here: those answers follow Esplora's and
Electrum's own formats and stay the dicts chain.py builds (the dict is the wire format).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from biplomacy.core.records import Record


@dataclass(frozen=True)
class Funded(Record):
    """A faucet payment, waiting in the mempool."""

    txid: str
    address: str
    amount_btc: Decimal  # as the user wrote it
    source: str  # what the payment stands for: seizure, purchase, ...


@dataclass(frozen=True)
class Mined(Record):
    height: int  # the new tip
    hash: str
    confirmed_txs: int


@dataclass(frozen=True)
class Reorged(Record):
    height: int  # the tip after the reorg
    vanished: tuple[str, ...]  # txids dropped from the chain
    to_mempool: tuple[str, ...]  # txids sent back to the mempool


@dataclass(frozen=True)
class ChainTip(Record):
    height: int
    hash: str
