"""Property tests of the recovery paths and rotations (issue #14): no path spends before its timelock, and a
rotation's sweep loses no coin, judged by the rehearsal chain's node rules (model/node_rules.py: BIP-68 as Bitcoin
Core's CalculateSequenceLocks, the script interpreter running older()'s CHECKSEQUENCEVERIFY), not by our own
reading of the timelock alone. Signatures are embit's, the signer library our wallets' devices stand for."""

from __future__ import annotations

import hashlib
import re

import pytest
from embit.psbt import PSBT
from embit.script import Script
from embit.transaction import Transaction, TransactionInput, TransactionOutput
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from biplomacy.core.errors import InputError
from biplomacy.reserve.model import spend_psbt as sp
from biplomacy.reserve.model import timelocks
from biplomacy.reserve.model.descriptors import SpendPath, WalletDescriptor
from biplomacy.reserve.model.recovery_policy import parse_wallet
from biplomacy.reserve.rehearsal.model import consensus
from biplomacy.reserve.rehearsal.model import node_rules as rules
from tests.reserve.custody.conftest import Signer, make_signer, multisig
from tests.reserve.custody.recovery_fixtures import TIMELOCK, recovery_descriptor, recovery_signers

SIGNERS = [make_signer(x) for x in ("mof", "sbp", "pcc", "pvara", "custodian")]
WALLETS = {script: parse_wallet(recovery_descriptor(SIGNERS, script=script), "regtest") for script in ("wsh", "tr")}
SUCCESSOR = parse_wallet(multisig(3, [*SIGNERS[:4], make_signer("new-custodian")]), "regtest")
SOURCES = ("seizure", "purchase", "donation", "mining", "rotation")


def _tip(height: int) -> rules.Tip:
    return rules.Tip(height, lambda h: consensus.GENESIS_TIME + 600 * h)


def _chain_takes_sequence(coin_height: int, sequence: int, tip: int) -> bool:
    """Whether the rehearsal chain's BIP-68 check takes a v2 spend with this nSequence of a coin at this height."""
    tx = Transaction(version=2, vin=[TransactionInput(b"\x01" * 32, 0, sequence=sequence)],
                     vout=[TransactionOutput(1000, Script(b"\x00\x14" + b"\x00" * 20))])
    try:
        rules.check_sequence_locks(tx, [rules.Coin(b"", 2000, coin_height)], _tip(tip))
    except rules.Refused:
        return False
    return True


@given(coin_height=st.integers(1, 900_000), blocks=st.integers(1, 0xFFFF), after=st.integers(-3, 3))
def test_a_recovery_path_opens_for_a_coin_exactly_when_the_chain_takes_its_spend(
        coin_height: int, blocks: int, after: int) -> None:
    """Around the edge (a few blocks either side of the opening), for any coin height and any BIP-68 lock."""
    path = SpendPath("recovery", 2, (), blocks)
    tip = max(0, timelocks.opens_at(coin_height, blocks) + after)
    coin = timelocks.AgedCoin("aa" * 32, 0, 1000, coin_height)
    ours = bool(timelocks.open_coins([coin], path, tip))
    assert ours == (timelocks.blocks_left(coin_height, blocks, tip) == 0)
    assert path.sequence == blocks  # the nSequence the path's PSBT carries is its timelock
    assert ours == _chain_takes_sequence(coin_height, path.sequence, tip)
    assert timelocks.open_coins([coin], SpendPath("primary", 3, (), None), tip) == [coin]  # primary: any time


COINS = st.lists(st.tuples(st.integers(1, 5_000), st.integers(1, 10_000_000)), min_size=1, max_size=8)


@given(coins=COINS, blocks=st.integers(1, 2_000), tip=st.integers(1, 7_000), share=st.floats(0.01, 1.0))
def test_an_early_recovery_spend_is_refused_with_exactly_the_blocks_left(
        coins: list[tuple[int, int]], blocks: int, tip: int, share: float) -> None:
    """If refused, mining the blocks it names opens enough coins, and one block fewer does not; if not refused,
    the coins open now cover the amount."""
    aged = [timelocks.AgedCoin(f"{k:064x}", k, sats, height) for k, (height, sats) in enumerate(coins)]
    path = SpendPath("recovery", 2, (), blocks)
    need = max(1, int(sum(c.sats for c in aged) * share))

    def covered(at: int) -> bool:
        return sum(c.sats for c in timelocks.open_coins(aged, path, at)) >= need

    try:
        timelocks.refuse_early(aged, path, tip, need)
    except InputError as refused:
        left = int(re.search(r"open in ([\d,]+) blocks", str(refused)).group(1).replace(",", ""))  # type: ignore[union-attr]
        assert left > 0 and not covered(tip) and covered(tip + left) and not covered(tip + left - 1)
    else:
        assert covered(tip)


def _coins(draw_coins: list[tuple[int, int, int]], wallet: WalletDescriptor) -> tuple[
        list[sp.SpendInput], dict[tuple[str, int], consensus.Prevout]]:
    """Coins of `wallet` (index, sats, height each) and the chain's view of them."""
    pool, prevouts = [], {}
    for k, (index, sats, height) in enumerate(draw_coins):
        txid = hashlib.sha256(f"coin {k}".encode()).hexdigest()
        pool.append(sp.SpendInput(txid, k % 3, sats, False, index))
        prevouts[(txid, k % 3)] = consensus.Prevout(wallet.script_pubkey(index), sats, None, height)
    return pool, prevouts


def _signed(wallet: WalletDescriptor, pool: list[sp.SpendInput], path: str, who: list[Signer],
            to: WalletDescriptor) -> tuple[str, sp.Selection, int]:
    spend_path = wallet.path(path)
    selection, amount = sp.sweep(pool, 2, spend_path.threshold, len(spend_path.keys), wallet.is_taproot,
                                 sp.path_witness(wallet, spend_path))
    psbt = sp.build_psbt(wallet, selection, to.script_pubkey(0), amount, 0, path)
    signed = [PSBT.from_base64(s.sign(psbt.to_base64())) for s in who]
    return sp.combine_and_finalize(psbt, signed), selection, amount


SWEPT = st.lists(st.tuples(st.integers(0, 3), st.integers(20_000, 50_000_000), st.integers(1, 60)),
                 min_size=1, max_size=4)


@pytest.mark.parametrize("script", ["wsh", "tr"])
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(coins=SWEPT, tip=st.integers(1, 90))
def test_no_recovery_spend_is_taken_by_the_chain_before_its_timelock(
        script: str, coins: list[tuple[int, int, int]], tip: int) -> None:
    """A recovery quorum's fully signed sweep of coins at random heights: the chain's node rules (BIP-68 and the
    script's older()) take it exactly when our timelock rules say every coin is open; the primary path at once."""
    wallet = WALLETS[script]
    coins = [(i, sats, min(height, tip)) for i, sats, height in coins]  # coins confirmed at or below the tip
    pool, prevouts = _coins(coins, wallet)
    raw, _, _ = _signed(wallet, pool, "recovery", recovery_signers(SIGNERS)[1:], SUCCESSOR)
    aged = [timelocks.AgedCoin(c.txid, c.vout, c.sats, prevouts[(c.txid, c.vout)].height or 0) for c in pool]
    ours = len(timelocks.open_coins(aged, wallet.path("recovery"), tip)) == len(aged)
    try:
        consensus.check_broadcast(raw, lambda txid, vout: prevouts.get((txid, vout)), _tip(tip))
        taken = True
    except InputError as refused:
        assert "non-BIP68-final" in str(refused), refused  # refused for its timelock, nothing else
        taken = False
    assert taken == ours == (tip >= max(h for _, _, h in coins) + TIMELOCK - 1)
    primary, _, _ = _signed(wallet, pool, "primary", SIGNERS[2:5], SUCCESSOR)
    consensus.check_broadcast(primary, lambda txid, vout: prevouts.get((txid, vout)), _tip(tip))


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(coins=SWEPT, sources=st.lists(st.sampled_from(SOURCES), min_size=4, max_size=4))
def test_a_rotation_sweep_loses_no_coin_and_keeps_every_source(
        coins: list[tuple[int, int, int]], sources: list[str]) -> None:
    """Every coin is an input, the one output (to the successor) plus the fee the chain counts is the total, and
    the output's sources add up to it, none growing, none invented."""
    wallet = WALLETS["wsh"]
    pool, prevouts = _coins(coins, wallet)
    raw, selection, amount = _signed(wallet, pool, "primary", SIGNERS[:3], SUCCESSOR)
    checked = consensus.check_broadcast(raw, lambda txid, vout: prevouts.get((txid, vout)), _tip(100))
    assert set(checked.spends) == {(c.txid, c.vout) for c in pool}
    assert [(o[1], o[2]) for o in checked.outputs] == [(SUCCESSOR.script_pubkey(0), amount)]
    total = sum(c.sats for c in pool)
    assert amount + checked.fee == total and checked.fee == selection.fee
    assert checked.fee >= checked.vsize  # at least the 1 sat/vB a node relays (the sweep asks for 2)
    by_source: dict[str, int] = {}
    for k, c in enumerate(pool):
        by_source[sources[k % 4]] = by_source.get(sources[k % 4], 0) + c.sats
    carried = timelocks.carry_sources(by_source, amount)
    assert sum(carried.values()) == amount and set(carried) <= set(by_source)
    assert all(0 < carried[s] <= by_source[s] for s in carried)
