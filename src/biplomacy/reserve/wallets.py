"""Reserve wallets: import a watch-only descriptor, hand out addresses, sync the ledger from a chain source."""

from __future__ import annotations

import json
import tomllib
from collections.abc import Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

from sqlalchemy import Table, func, insert, select
from sqlalchemy.orm import Session

from biplomacy.core.errors import InputError, NotFound, PolicyViolation
from biplomacy.core.permissions import Actor, authorize
from biplomacy.core.ports import ChainSource, ChainTx, WalletScanner
from biplomacy.core.provenance import load_registry
from biplomacy.house import audit
from biplomacy.reserve import lineage, unauthorised_spends
from biplomacy.reserve.model import ledger, policy, recovery_policy, timelocks
from biplomacy.reserve.model.descriptors import SpendPath, WalletDescriptor
from biplomacy.reserve.model.policy_figures import min_path_keys, refresh_warning_blocks
from biplomacy.reserve.model.recovery_policy import parse_wallet
from biplomacy.reserve.price import policy_figures
from biplomacy.reserve.results import AddressIssued, Classification, PathView, SyncResult, UnspentCoin, WalletView
from biplomacy.reserve.tables import AddressRow, LedgerEntryRow, WalletRow
from biplomacy.store.db import Store

LEDGER: Table = LedgerEntryRow.__table__  # type: ignore[assignment]  # a mapped class's Table
NAME_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789-_")


def _when(unix: int | None) -> datetime | None:
    return None if unix is None else datetime.fromtimestamp(unix, UTC)


def check_name(name: str) -> str:
    if not name or len(name) > 80 or not set(name.lower()) <= NAME_CHARS:
        raise InputError(f"wallet name {name[:80]!r} must be 1-80 letters, digits, '-' or '_'", field="name")
    return name


def load(session: Session, name: str) -> WalletRow:
    row = session.scalars(select(WalletRow).where(WalletRow.name == name)).first()
    if row is None:
        raise NotFound(f"no reserve wallet named {name[:80]!r}; add it with `biplomacy reserve wallet add`",
                       field="name")
    return row


@lru_cache(maxsize=256)
def parsed(descriptor: str, network: str) -> WalletDescriptor:
    """A stored descriptor, parsed once per process (a WalletDescriptor is immutable)."""
    return parse_wallet(descriptor, network)


def descriptor_of(row: WalletRow) -> WalletDescriptor:
    return parsed(row.descriptor, row.network)


def path_view(path: SpendPath) -> PathView:
    return PathView(path.name, path.threshold, tuple(path.fingerprints), path.timelock_blocks, path.words())


def wallet_view(row: WalletRow) -> WalletView:
    paths = tuple(path_view(p) for p in descriptor_of(row).spend_paths)
    return WalletView(row.name, row.threshold, tuple(row.signers.split(",")), row.network, row.policy,
                      row.descriptor, row.public_addresses, paths)


def check_wallet(network: str, descriptor: str, profile: str) -> WalletDescriptor:
    """Parse a wallet's descriptor (plain M-of-N or a policy with recovery paths) and hold every path to the
    profile's floor of keys; InputError listing every problem."""
    policy.check_profile(profile)
    wallet = parse_wallet(descriptor, network)
    recovery_policy.check_profile(wallet, profile, min_path_keys(profile))
    return wallet


def insert_wallet(session: Session, actor: Actor, network: str, name: str, wallet: WalletDescriptor, profile: str,
                  public_addresses: bool, *, on_chain: bool = False) -> WalletRow:
    """Store a checked wallet and audit it, in the caller's transaction (wallet add, a rotation's successor)."""
    if session.scalars(select(WalletRow.id).where(WalletRow.name == name)).first() is not None:
        raise InputError(f"a wallet named {name!r} already exists", field="name")
    row = WalletRow(name=name, descriptor=wallet.text, threshold=wallet.threshold,
                    signers=",".join(wallet.fingerprints), network=network, policy=profile, next_index=0,
                    next_change_index=0, public_addresses=public_addresses, synced_height=-1,
                    created_at=datetime.now(UTC))
    session.add(row)
    session.flush()
    audit.record(session, actor=actor.name, action="reserve.wallet.add", subject=name,
                 payload={"descriptor": wallet.text, "threshold": wallet.threshold, "policy": profile,
                          "signers": wallet.fingerprints,
                          "paths": [path_view(p).to_json() for p in wallet.spend_paths],
                          **({"on_chain": True} if on_chain else {})})
    return row


def add_wallet(store: Store, actor: Actor, network: str, name: str, descriptor: str,
               profile: str = policy.DEFAULT_PROFILE, public_addresses: bool = False,
               on_chain: bool = False) -> WalletView:
    """Import a watch-only wallet: a multisig, or a policy with recovery paths; every problem of the descriptor
    is reported at once.

    `on_chain`: the profile's signature rules must hold on chain, so a rule a path of the wallet's script cannot
    enforce (an amount tier above that path's M) refuses the wallet instead of holding by procedure only
    (docs/security.md)."""
    authorize(actor, "reserve.wallet.manage")
    check_name(name)
    wallet = check_wallet(network, descriptor, profile)
    if on_chain:
        for path in wallet.spend_paths:
            if beyond := policy.beyond_the_script(profile, path.threshold, len(path.keys), policy_figures(store)):
                raise PolicyViolation(
                    f"policy {profile} cannot hold on chain with the {path.name} path's {path.threshold}-of-"
                    f"{len(path.keys)}: " + "; ".join(beyond) + " (without --on-chain these rules hold by procedure "
                    "and a spend past them is caught at the next sync)")
    with store.transaction() as session:
        return wallet_view(insert_wallet(session, actor, network, name, wallet, profile, public_addresses,
                                         on_chain=on_chain))


def design_document(text: str, where: str) -> Mapping[str, Any]:
    """A policy design as written: JSON (an object) or TOML; InputError naming the file."""
    try:
        doc = json.loads(text) if text.lstrip().startswith("{") else tomllib.loads(text)
    except (ValueError, tomllib.TOMLDecodeError) as exc:
        raise InputError(f"{where}: neither a JSON object nor TOML ({str(exc)[:120]})", field="file") from None
    if not isinstance(doc, dict):
        raise InputError(f"{where}: a policy design is an object (script, primary, recovery)", field="file")
    return doc


def design_wallet(network: str, design: Mapping[str, Any], profile: str = policy.DEFAULT_PROFILE) -> WalletView:
    """The policy designer: the descriptor of a primary path and recovery paths, validated as an import would be
    (and against the profile), with each path in words; nothing is stored."""
    wallet = recovery_policy.design(design, network)
    policy.check_profile(profile)
    recovery_policy.check_profile(wallet, profile, min_path_keys(profile))
    return WalletView("(design)", wallet.threshold, tuple(wallet.fingerprints), network, profile, wallet.text, False,
                      tuple(path_view(p) for p in wallet.spend_paths))


def list_wallets(store: Store) -> list[WalletView]:
    with store.read() as session:
        return [wallet_view(r) for r in session.scalars(select(WalletRow).order_by(WalletRow.name))]


def reveal(session: Session, row: WalletRow, wallet: WalletDescriptor, index: int, change: bool,
           address: str | None = None) -> str:
    address = address or wallet.address(index, change)
    exists = session.scalars(select(AddressRow.id).where(AddressRow.wallet_id == row.id,
                                                         AddressRow.change == change,
                                                         AddressRow.index == index)).first()
    if exists is None:
        session.add(AddressRow(wallet_id=row.id, change=change, index=index, address=address))
    return address


def next_address(store: Store, actor: Actor, name: str) -> AddressIssued:
    """The next unused receive address (each call reveals a new one, as a hardware wallet would show it)."""
    authorize(actor, "reserve.wallet.manage")
    with store.transaction() as session:
        row = load(session, name)
        rotation = lineage.open_rotation(session, row.id)
        if rotation is not None:
            successor = session.get(WalletRow, rotation.to_wallet_id)
            raise InputError(f"wallet {name} is being rotated to {successor.name if successor else '?'}: "
                             "receive into the successor's addresses", field="name")
        wallet = descriptor_of(row)
        index = row.next_index
        address = reveal(session, row, wallet, index, False)
        row.next_index = index + 1
        audit.record(session, actor=actor.name, action="reserve.address.reveal", subject=name,
                     payload={"index": index, "address": address})
    return AddressIssued(name, address, index, f"0/{index}")


def scan(chain: ChainSource, wallet: WalletDescriptor, start_gap: tuple[int, int], gap: int) -> tuple[
        dict[str, tuple[bool, int]], list[ChainTx], tuple[int, int]]:
    """Walk receive and change addresses until `gap` unused ones in a row; return addresses, history, next indexes.

    The addresses the walk is sure to ask for are derived ahead on a worker thread: BDK derives them in Rust
    outside the GIL, so a 3-of-5 wallet's ~2.5 ms per address overlaps the wait for the chain's answers.
    """
    scanner = chain if isinstance(chain, WalletScanner) else None
    if scanner is not None:
        scanner.watch(wallet.text, start_gap, gap)
    mine: dict[str, tuple[bool, int]] = {}
    txs: dict[str, ChainTx] = {}
    nexts = []
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="derive-ahead") as ahead:
        for change, revealed in ((False, start_gap[0]), (True, start_gap[1])):
            derived: dict[int, Future[str]] = {}
            index, unused, last_used = 0, 0, -1
            while unused < gap or index < revealed:
                for i in range(index + len(derived), max(index + gap - unused, revealed)):  # certain to be asked for
                    derived[i] = ahead.submit(_address, wallet, scanner, i, change)
                address = derived.pop(index).result()
                mine[address] = (change, index)
                history = chain.address_history(address)
                for t in history:
                    txs[t.txid] = t
                if history:
                    unused, last_used = 0, index
                else:
                    unused += 1
                index += 1
            nexts.append(max(revealed, last_used + 1))
    return mine, list(txs.values()), (nexts[0], nexts[1])


def _address(wallet: WalletDescriptor, scanner: WalletScanner | None, index: int, change: bool) -> str:
    """The address at (change, index): as a wallet scanner already derived it, else derived here."""
    known = scanner.scanned_address(index, change) if scanner is not None else None
    return known if known is not None else wallet.address(index, change)


def sync(store: Store, actor: Actor, chain: ChainSource, name: str) -> SyncResult:
    """Bring the wallet's ledger to what the chain shows; vanished receipts are flagged, never dropped."""
    authorize(actor, "reserve.read")
    gap = int(load_registry().value("reserve.custody.gap_limit"))
    with store.read() as session:
        row = load(session, name)
        wallet = descriptor_of(row)
        start = (row.next_index, row.next_change_index)
        start_tip = row.synced_height
    tip = chain.tip_height()
    mine, history, nexts = scan(chain, wallet, start, gap)
    figures = policy_figures(store)  # the cap at the portal's one BTC price, read before the write
    with store.transaction() as session:
        row = load(session, name)
        rows = {(e.txid, e.vout): e for e in session.scalars(select(LedgerEntryRow)
                                                             .where(LedgerEntryRow.wallet_id == row.id))}
        known = {k: ledger.Coin(e.txid, e.vout, e.address, e.sats, e.source, e.status, e.block_height)
                 for k, e in rows.items()}
        update = ledger.reconcile(known, history, set(mine))
        now = datetime.now(UTC)
        carried = lineage.carried_receipts(session, row.id) if update.new else {}  # a sweep's or refresh's output
        if update.new:  # one multi-row INSERT: a wallet's first sync can bring tens of thousands of receipts
            session.execute(insert(LEDGER), [  # Core executemany: no ORM bookkeeping
                {"wallet_id": row.id, "txid": coin.txid, "vout": coin.vout, "address": coin.address, "sats": coin.sats,
                 "source": carried.get(coin.txid, coin.source), "zone": "",
                 "cost_basis_usd": None, "status": coin.status,
                 "block_height": coin.height, "block_time": _when(coin.time), "first_seen": now, "updated_at": now}
                for coin in update.new])
        for ch in update.changed:
            entry = rows[(ch.txid, ch.vout)]
            entry.status, entry.block_height, entry.updated_at = ch.status, ch.height, now
            if ch.time is not None or ch.status == "vanished":
                entry.block_time = _when(ch.time)
        revealed = {(c, i) for c, i in session.execute(select(AddressRow.change, AddressRow.index)
                                                        .where(AddressRow.wallet_id == row.id))}
        for address, (change, index) in mine.items():
            if index < (nexts[1] if change else nexts[0]) and (change, index) not in revealed:
                session.add(AddressRow(wallet_id=row.id, change=change, index=index, address=address))
        row.next_index, row.next_change_index = nexts
        row.synced_height = tip
        session.flush()
        confirmed, live = ledger.balances({status: int(total or 0) for status, total in session.execute(
            select(LedgerEntryRow.status, func.sum(LedgerEntryRow.sats))
            .where(LedgerEntryRow.wallet_id == row.id).group_by(LedgerEntryRow.status))})
        findings = _receipt_findings(row.policy, update.new, live, figures)
        moved = _timelock_moves(session, row, wallet, start_tip, tip)
        if moved:  # coins came near (or reached) a recovery path: the public page's warnings change with the log
            audit.record(session, actor=actor.name, action="reserve.timelock.warning", subject=name,
                         payload={"height": tip, **moved})
        # the chain enforces M of N only: coins spent by no approved proposal raise an alert (audited once)
        coins = {k: c.sats for k, c in known.items()} | {(c.txid, c.vout): c.sats for c in update.new}
        unauthorised = unauthorised_spends.detect(session, row, history, coins, actor)
        if update.new or update.changed:
            audit.record(session, actor=actor.name, action="reserve.sync", subject=name,
                         payload={"height": tip, "new": [f"{c.txid}:{c.vout}" for c in update.new],
                                  "changed": {f"{c.txid}:{c.vout}": c.status for c in update.changed},
                                  "findings": [f.message for f in findings]})
    return SyncResult(name, tip, ledger.btc_amount(confirmed), confirmed, ledger.btc_amount(live - confirmed),
                      len(update.new), tuple(f"{c.txid}:{c.vout}" for c in update.vanished), row.policy,
                      tuple(f.message for f in findings), tuple(unauthorised))


def _timelock_moves(session: Session, row: WalletRow, wallet: WalletDescriptor, before: int,
                    tip: int) -> dict[str, Any]:
    """The coins whose refresh warning changed between the last sync's tip and this one's (empty if none, or the
    wallet has no recovery path)."""
    if not wallet.has_recovery:
        return {}
    coins = [timelocks.AgedCoin(e.txid, e.vout, e.sats, e.block_height) for e in session.scalars(
        select(LedgerEntryRow).where(LedgerEntryRow.wallet_id == row.id, LedgerEntryRow.status == "confirmed"))
        if e.block_height is not None]
    within = refresh_warning_blocks()
    now = timelocks.warning_state(coins, wallet.spend_paths, tip, within)
    was = timelocks.warning_state(coins, wallet.spend_paths, before, within)
    if now == was:
        return {}
    return {"open": list(now["open"]), "near": list(now["near"]), "within_blocks": within}


def _receipt_findings(profile: str, new: list[ledger.Coin], holdings: int,
                      figures: policy.PolicyFigures) -> list[policy.Finding]:
    out: list[policy.Finding] = []
    for coin in new:
        out += policy.check_receipt(policy.ReceiptContext(profile, coin.source, coin.sats, holdings, figures))
    return out


MAX_COST_BASIS_USD = Decimal(10) ** 15  # a thousand times the largest national reserve's value; fits NUMERIC(24, 2)


def classify(store: Store, actor: Actor, name: str, txid: str, vout: int, source: str, zone: str = "",
             cost_basis_usd: str | None = None) -> Classification:
    """Record where a receipt came from (and its cost basis), audited."""
    authorize(actor, "reserve.ledger.write")
    ledger.check_source(source)
    basis = None
    if cost_basis_usd is not None:
        try:
            basis = Decimal(cost_basis_usd)
        except InvalidOperation:
            raise InputError(f"cost basis {cost_basis_usd!r} is not a decimal number", field="cost_basis") from None
        # stored as NUMERIC(24, 2): 1e30 was a database overflow on PostgreSQL, NaN and -5 were stored (#20)
        if not basis.is_finite() or not 0 <= basis < MAX_COST_BASIS_USD or basis != round(basis, 2):
            raise InputError(f"cost basis {cost_basis_usd!r} must be a USD amount from 0 to under "
                             f"{MAX_COST_BASIS_USD:,}, in cents at most", field="cost_basis")
    with store.transaction() as session:
        row = load(session, name)
        entry = session.scalars(select(LedgerEntryRow).where(LedgerEntryRow.wallet_id == row.id,
                                                             LedgerEntryRow.txid == txid,
                                                             LedgerEntryRow.vout == vout)).first()
        if entry is None:
            raise NotFound(f"no receipt {txid[:64]}:{vout} in wallet {name}; run `biplomacy reserve sync` first",
                           field="txid")
        if entry.source in ledger.CARRIED:
            raise InputError(f"{txid[:64]}:{vout} is the output of a {entry.source}: it keeps the sources of the coins "
                             "it moved (see `biplomacy reserve ledger show`), so it is not classified again",
                             field="txid")
        before = entry.source
        entry.source, entry.zone, entry.cost_basis_usd, entry.updated_at = source, zone, basis, datetime.now(UTC)
        audit.record(session, actor=actor.name, action="reserve.ledger.classify", subject=f"{txid}:{vout}",
                     payload={"wallet": name, "from": before, "source": source, "zone": zone,
                              "cost_basis_usd": str(basis) if basis is not None else None})
    return Classification(txid, vout, source, zone, basis)


def unspent(store: Store, name: str) -> list[UnspentCoin]:
    """The wallet's confirmed unspent coins with their derivation (for proof-of-reserves statements)."""
    with store.read() as session:
        row = load(session, name)
        where = {a.address: (a.change, a.index) for a in session.scalars(
            select(AddressRow).where(AddressRow.wallet_id == row.id))}
        coins = session.scalars(select(LedgerEntryRow).where(LedgerEntryRow.wallet_id == row.id,
                                                             LedgerEntryRow.status == "confirmed")
                                .order_by(LedgerEntryRow.block_height, LedgerEntryRow.txid, LedgerEntryRow.vout))
        return [UnspentCoin(c.txid, c.vout, c.sats, c.address, c.block_height, *where.get(c.address, (None, None)))
                for c in coins]
