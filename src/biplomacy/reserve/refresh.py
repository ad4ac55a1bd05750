"""Keeping recovery paths shut: where each coin stands against its timelocks (`reserve wallet show`), and the
refresh spend that rolls coins back into the wallet before a recovery path opens for them (Liana's refresh).

A recovery path opens for a coin N blocks after the coin confirmed; moving the coin restarts the count. A reserve
that means its recovery path for emergencies only refreshes its coins, by the primary path, before that: every
coin within the warning window (or already open) is moved, in one transaction, to the wallet's next change
address, and the output keeps the coins' sources (lineage.py).
"""

from __future__ import annotations

from sqlalchemy import func, select

from biplomacy.core.errors import InputError
from biplomacy.core.permissions import ANONYMOUS, Actor, authorize
from biplomacy.core.ports import ChainSource
from biplomacy.reserve import lineage
from biplomacy.reserve import spend as reserve_spend
from biplomacy.reserve.model import ledger, policy, timelocks
from biplomacy.reserve.model import spend_psbt as sp
from biplomacy.reserve.model.policy_figures import refresh_warning_blocks
from biplomacy.reserve.price import policy_figures
from biplomacy.reserve.results import CoinTimelockView, SpendProposal, WalletDetail
from biplomacy.reserve.tables import LedgerEntryRow, WalletRow
from biplomacy.reserve.wallets import descriptor_of, load, wallet_view
from biplomacy.store.db import Store

MAX_WITHIN = 1_000_000


def _within(within: int | None) -> int:
    if within is None:
        return refresh_warning_blocks()
    if not 0 <= within <= MAX_WITHIN:
        raise InputError(f"the warning window must be 0 to {MAX_WITHIN:,} blocks", field="within")
    return within


def _warnings(coins: list[timelocks.CoinTimelock], within: int, name: str) -> list[str]:
    out = []
    open_now = [c for c in coins if c.blocks_left == 0]
    soon = [c for c in coins if c.warn and c.blocks_left]
    if open_now:
        sats = sum(c.sats for c in open_now)
        out.append(f"{len(open_now)} coin(s) ({ledger.btc_text(sats)} BTC) can already be spent by the "
                   f"{open_now[0].path} path: refresh them now (`biplomacy reserve spend refresh {name}`)")
    if soon:
        sats, first = sum(c.sats for c in soon), min(soon, key=lambda c: c.blocks_left)
        out.append(f"{len(soon)} coin(s) ({ledger.btc_text(sats)} BTC) reach the {first.path} path within "
                   f"{within:,} blocks, the first in {first.blocks_left:,} blocks (at block {first.opens_at:,}): "
                   f"refresh them (`biplomacy reserve spend refresh {name}`)")
    return out


def wallet_detail(store: Store, actor: Actor, chain: ChainSource | None, name: str,
                  within: int | None = None) -> WalletDetail:
    """The wallet with its paths, each confirmed coin against its first recovery path (with refresh warnings),
    and its predecessors and successor."""
    authorize(actor, "reserve.read")
    window = _within(within)
    with store.read() as session:
        row = load(session, name)
        wallet = descriptor_of(row)
        tip = chain.tip_height() if chain is not None else row.synced_height
        entries = list(session.scalars(select(LedgerEntryRow).where(LedgerEntryRow.wallet_id == row.id,
                                                                    LedgerEntryRow.status == "confirmed")))
        aged = [timelocks.AgedCoin(e.txid, e.vout, e.sats, e.block_height) for e in entries
                if e.block_height is not None]
        balance = session.scalar(select(func.sum(LedgerEntryRow.sats)).where(
            LedgerEntryRow.wallet_id == row.id, LedgerEntryRow.status == "confirmed")) or 0
        life = lineage.lifecycles(session)[row.id]
        view = wallet_view(row)
    coins = timelocks.coin_timelocks(aged, wallet.spend_paths, tip, window)
    warnings = _warnings(coins, window, name)
    if life.state != "active" and life.successor is not None:
        warnings.insert(0, f"this wallet is {life.state}: its coins move to {life.successor.wallet}")
    return WalletDetail(view, life.state, ledger.btc_amount(int(balance)), tip, window, tuple(warnings),
                        tuple(CoinTimelockView(c.txid, c.vout, ledger.btc_amount(c.sats), c.sats, c.height, c.path,
                                               c.opens_at, c.blocks_left, c.warn) for c in coins),
                        life.successor, life.predecessors)


def wallet_details(store: Store) -> list[WalletDetail]:
    """Every wallet's detail at its last sync's tip (no chain is asked): the public page's lifecycle section."""
    with store.read() as session:
        names = list(session.scalars(select(WalletRow.name).order_by(WalletRow.name)))
    return [wallet_detail(store, ANONYMOUS, None, n) for n in names]


def refresh(store: Store, actor: Actor, chain: ChainSource | None, name: str, within: int | None = None,
            everything: bool = False, fee_rate: int = 2, purpose: str = "") -> SpendProposal:
    """Propose the refresh: the coins within `within` blocks of a recovery path (default the warning window; all
    coins with `everything`) back to the wallet by the primary path, in one output that keeps their sources."""
    authorize(actor, "reserve.spend.propose")
    reserve_spend.check_fee_rate(fee_rate)
    window = _within(within)
    with store.read() as session:
        row = load(session, name)
        wallet = descriptor_of(row)
        if not wallet.has_recovery:
            raise InputError(f"wallet {name} has no recovery path: its coins have no timelock to refresh",
                             field="name")
        coins = reserve_spend.free_coins(session, row, chain)
        due = {(t.txid, t.vout) for t in timelocks.coin_timelocks(coins.aged, wallet.spend_paths, coins.tip, window)
               if everything or t.warn}
        if not due:
            raise InputError(f"no coin of {name} is within {window:,} blocks of a recovery path (tip {coins.tip:,}); "
                             "nothing to refresh (use --all to roll every coin)", field="within")
        chosen = [c for c in coins.pool if (c.txid, c.vout) in due]
        primary = wallet.path("primary")
        selection, sats = sp.sweep(chosen, fee_rate, primary.threshold, len(primary.keys), wallet.is_taproot,
                                   reserve_spend.witness_of(wallet, "primary"))
        ctx = policy.SpendContext(row.policy, sats, True, primary.threshold, len(primary.keys), "", policy_figures(store))
        findings = policy.check_spend(ctx)
        need = policy.required_threshold(ctx)
    text = purpose.strip() or (f"refresh: roll {len(chosen)} coin(s) back into {name} before a recovery path opens "
                               "for them (their timelocks restart)")
    return reserve_spend.store_proposal(
        store, actor, chain, name, wallet, selection, b"", sats,
        reserve_spend.Draft("primary", "refresh", text, need, "", findings, "",
                            {"coins": [f"{c.txid}:{c.vout}" for c in chosen], "within_blocks": window}))
