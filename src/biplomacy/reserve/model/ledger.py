"""The holdings ledger: reconcile a wallet's coins with what the chain shows, classify receipts, value holdings.

`reconcile` is BDK's apply_update idea as a change set: it takes what the ledger knows and what the chain
says and returns what to insert and what to change. A coin whose transaction left the chain (a reorg) is
marked "vanished", never deleted, so the public history shows it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from biplomacy.core.errors import InputError
from biplomacy.core.ports import ChainTx
from biplomacy.core.units import SATS_PER_BTC

SOURCES = ("purchase", "mining", "seizure", "forfeiture", "transfer", "donation")
INTERNAL = "change"
ROTATION = "rotation"  # a rotation's sweep into the successor: it carries the swept coins' sources (lineage.py)
REFRESH = "refresh"  # a refresh's output: the rolled coins' sources, carried the same way
CARRIED = (ROTATION, REFRESH)
UNCLASSIFIED = "unclassified"
LIVE = ("pending", "confirmed")


@dataclass(frozen=True, slots=True)
class Coin:
    """What the ledger holds about one output paid to the wallet."""

    txid: str
    vout: int
    address: str
    sats: int
    source: str
    status: str  # pending | confirmed | spent | vanished
    height: int | None
    time: int | None = None  # block time of the receipt, Unix seconds


@dataclass(frozen=True, slots=True)
class CoinChange:
    txid: str
    vout: int
    status: str
    height: int | None
    time: int | None = None


@dataclass(frozen=True, slots=True)
class LedgerUpdate:
    new: list[Coin]
    changed: list[CoinChange]

    @property
    def vanished(self) -> list[CoinChange]:
        return [c for c in self.changed if c.status == "vanished"]


def check_source(source: str) -> str:
    if source not in SOURCES:
        raise InputError(f"source {source!r} is not one of {', '.join(SOURCES)}", field="source")
    return source


def reconcile(known: Mapping[tuple[str, int], Coin], history: Iterable[ChainTx], mine: set[str]) -> LedgerUpdate:
    """The change set that brings the ledger to what the chain shows for the addresses in `mine`."""
    txs = {t.txid: t for t in history}
    spent_by = {outpoint: t for t in txs.values() for outpoint in t.spends}
    own = {(t.txid, o.vout) for t in txs.values() for o in t.outputs if o.address in mine} | set(known)
    new, changed = [], []
    for t in txs.values():
        ours_spent = any(sp in own for sp in t.spends)
        for o in t.outputs:
            if o.address not in mine:
                continue
            key = (t.txid, o.vout)
            status = "spent" if key in spent_by else ("confirmed" if t.height is not None else "pending")
            if key not in known:
                source = INTERNAL if ours_spent else (t.source_hint if t.source_hint in SOURCES else UNCLASSIFIED)
                new.append(Coin(t.txid, o.vout, o.address, o.value, source, status, t.height, t.time))
            elif (known[key].status, known[key].height) != (status, t.height):
                changed.append(CoinChange(t.txid, o.vout, status, t.height, t.time))
    for key, coin in known.items():
        if key[0] not in txs and coin.status != "vanished":
            changed.append(CoinChange(coin.txid, coin.vout, "vanished", None))
    return LedgerUpdate(new, changed)


def balances(sats_by_status: Mapping[str, int]) -> tuple[int, int]:
    """(confirmed, live) sats from the ledger's sum of sats per status; live adds the pending receipts."""
    confirmed = int(sats_by_status.get("confirmed") or 0)
    return confirmed, sum(int(sats_by_status.get(s) or 0) for s in LIVE)


def btc_text(sats: int) -> str:
    """Sats as a decimal BTC string with 8 places removed when zero ("0.5", "1", "0.00012345")."""
    d = (Decimal(sats) / SATS_PER_BTC).quantize(Decimal("0.00000001"))
    text = format(d.normalize(), "f")
    return text


def btc_amount(sats: int) -> Decimal:
    """Sats as exact BTC, with the digits btc_text writes (so its JSON, format(x, "f"), is btc_text's)."""
    return Decimal(btc_text(sats))


@dataclass(frozen=True, slots=True)
class Valuation:
    usd: Decimal
    pkr: Decimal


def valuation(sats: int, btc_usd: Decimal, pkr_per_usd: Decimal) -> Valuation:
    """The holdings' value in USD and PKR, each rounded once to the cent."""
    usd = (Decimal(sats) / SATS_PER_BTC * btc_usd).quantize(Decimal("0.01"))
    return Valuation(usd, (usd * pkr_per_usd).quantize(Decimal("0.01")))
