"""When a recovery path opens for a coin, what a recovery spend may take, what needs a refresh, and how a
rotation's sweep carries the holdings' sources over: pure rules over coin heights, the tip and amounts.

A recovery path's older(N) is a relative timelock (BIP-68/112): a spend of a coin confirmed in block h with
nSequence N is valid in block h + N and later, so a node takes it into its mempool once the tip is at h + N - 1
(node_rules.check_sequence_locks says the same). "Blocks left" counts the blocks still to be mined before the
spend can be broadcast.
"""

from __future__ import annotations

from dataclasses import dataclass

from biplomacy.core.errors import InputError
from biplomacy.reserve.model.descriptors import SpendPath
from biplomacy.reserve.model.policy_shape import timelock_words


@dataclass(frozen=True, slots=True)
class AgedCoin:
    """A confirmed coin of the wallet: where, how much, and the height of the block that confirmed it."""

    txid: str
    vout: int
    sats: int
    height: int


def opens_at(coin_height: int, blocks: int) -> int:
    """The tip height from which a spend of the coin by a path locked `blocks` is accepted (mined in the next)."""
    return coin_height + blocks - 1


def blocks_left(coin_height: int, blocks: int, tip: int) -> int:
    """Blocks still to be mined before the path opens for the coin (0: open now)."""
    return max(0, opens_at(coin_height, blocks) - tip)


def open_coins(coins: list[AgedCoin], path: SpendPath, tip: int) -> list[AgedCoin]:
    """The coins `path` may spend at `tip`: every coin for the primary path, the old enough ones for a recovery."""
    if path.timelock_blocks is None:
        return list(coins)
    return [c for c in coins if blocks_left(c.height, path.timelock_blocks, tip) == 0]


def refuse_early(coins: list[AgedCoin], path: SpendPath, tip: int, need_sats: int | None = None) -> None:
    """InputError saying how many blocks remain when the recovery path is not open for the coins a spend needs:
    every coin (`need_sats` None: a sweep), or enough coins to pay `need_sats` (a spend: the earliest to open)."""
    if path.timelock_blocks is None or not coins:
        return
    blocks = path.timelock_blocks
    if need_sats is None:
        late = max(coins, key=lambda c: (blocks_left(c.height, blocks, tip), c.txid, c.vout))
        left = blocks_left(late.height, blocks, tip)
        if left:
            closed = sum(1 for c in coins if blocks_left(c.height, blocks, tip))
            raise InputError(f"the {path.name} path opens {timelock_words(blocks)} after a coin confirmed: "
                             f"{closed} of the {len(coins)} coins to move are not that old yet; the last opens in "
                             f"{left:,} blocks (at block {opens_at(late.height, blocks):,}; the tip is {tip:,})",
                             field="path")
        return
    total = 0
    for coin in sorted(coins, key=lambda c: (c.height, c.txid, c.vout)):
        total += coin.sats
        if total >= need_sats:
            left = blocks_left(coin.height, blocks, tip)
            if left:
                raise InputError(f"the {path.name} path opens {timelock_words(blocks)} after a coin confirmed; "
                                 f"the coins it could spend now do not cover this spend: enough coins open in "
                                 f"{left:,} blocks (at block {opens_at(coin.height, blocks):,}; the tip is "
                                 f"{tip:,})", field="path")
            return


@dataclass(frozen=True, slots=True)
class CoinTimelock:
    """A coin and the first recovery path to open for it: which, at what height, in how many blocks."""

    txid: str
    vout: int
    sats: int
    height: int
    path: str
    opens_at: int
    blocks_left: int
    warn: bool  # within the warning window (or open already): refresh it


def coin_timelocks(coins: list[AgedCoin], paths: tuple[SpendPath, ...], tip: int, within: int) -> list[CoinTimelock]:
    """For each coin, the earliest recovery path's opening, flagged when it is `within` blocks or open already
    (Liana's refresh warning); empty for a wallet without recovery paths."""
    recoveries = [p for p in paths if p.timelock_blocks is not None]
    if not recoveries:
        return []
    first = min(recoveries, key=lambda p: p.timelock_blocks or 0)
    blocks = first.timelock_blocks or 0
    out = [CoinTimelock(c.txid, c.vout, c.sats, c.height, first.name, opens_at(c.height, blocks),
                        blocks_left(c.height, blocks, tip), blocks_left(c.height, blocks, tip) <= within)
           for c in coins]
    return sorted(out, key=lambda t: (t.opens_at, t.txid, t.vout))


def carry_sources(by_source: dict[str, int], output_sats: int) -> dict[str, int]:
    """How a sweep's one output carries the swept coins' sources: each source's share of the inputs, the fee
    taken from each in proportion (largest remainder, ties by name), so that the parts add up to the output
    exactly and no source grows."""
    total = sum(by_source.values())
    if total <= 0 or not 0 <= output_sats <= total:
        raise ValueError("the output must be between 0 and the inputs' total")
    parts = {s: sats * output_sats // total for s, sats in by_source.items()}
    rest = output_sats - sum(parts.values())
    order = sorted(by_source, key=lambda s: (-(by_source[s] * output_sats % total), s))
    for s in order[:rest]:
        parts[s] += 1
    return {s: v for s, v in sorted(parts.items()) if v}


def warning_state(coins: list[AgedCoin], paths: tuple[SpendPath, ...], tip: int,
                  within: int) -> dict[str, tuple[str, ...]]:
    """Which coins ("txid:vout") are within the warning window and which are open already, at `tip`: a sync
    that changes this records it in the audit log (the public page's warnings follow the log's head)."""
    marks = coin_timelocks(coins, paths, tip, within)
    return {"open": tuple(f"{c.txid}:{c.vout}" for c in marks if c.blocks_left == 0),
            "near": tuple(f"{c.txid}:{c.vout}" for c in marks if c.warn and c.blocks_left)}
