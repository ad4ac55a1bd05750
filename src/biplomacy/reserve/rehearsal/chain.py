"""The rehearsal chain kept in the store: fund, mine, reorg, broadcast, and the reads its servers share.

fund, mine, reorg and tip return records (rehearsal/results.py). What the Esplora API answers is built in
rehearsal/explorer.py, what the Electrum server answers in rehearsal/electrum_methods.py, from the reads here.
A broadcast is judged as a node judges it (model/consensus.py, model/node_rules.py): every input's script and
signature, amounts, lock times, and no second spend of an output the chain or its mempool already spends.
"""

from __future__ import annotations

import hashlib
import time as _time
from typing import Any

from sqlalchemy import Table, delete, func, insert, or_, select, update
from sqlalchemy.orm import Session

from biplomacy.core.errors import InputError, NotFound
from biplomacy.core.networks import embit_network
from biplomacy.core.permissions import Actor, authorize
from biplomacy.core.units import MAX_SATS, Btc
from biplomacy.house import audit
from biplomacy.reserve.rehearsal.model import consensus as rc
from biplomacy.reserve.rehearsal.results import ChainTip, Funded, Mined, Reorged
from biplomacy.reserve.rehearsal.tables import ChainBlockRow, ChainOutputRow, ChainTxRow
from biplomacy.store.db import Store

GENESIS_PREV = "00" * 32
SOURCES = ("seizure", "purchase", "mining", "transfer", "donation")
BLOCK_SECONDS = 600
MAX_MINE = 100_000  # more than BIP-68's longest relative lock (65,535 blocks): a recovery path can be rehearsed
BLOCKS: Table = ChainBlockRow.__table__  # type: ignore[assignment]  # a mapped class's Table


def _tip(session: Session) -> ChainBlockRow | None:
    return session.scalars(select(ChainBlockRow).order_by(ChainBlockRow.height.desc()).limit(1)).first()


def _ensure_genesis(session: Session) -> ChainBlockRow:
    tip = _tip(session)
    if tip is None:
        tip = ChainBlockRow(height=0, hash=rc.genesis_hash(), prev_hash=GENESIS_PREV, time=rc.GENESIS_TIME)
        session.add(tip)
        session.flush()
    return tip


def _next_seq(session: Session) -> int:
    return int(session.scalar(select(func.coalesce(func.max(ChainTxRow.seq), 0))) or 0) + 1


def _add_tx(session: Session, checked: rc.CheckedTx, network: str, source: str = "") -> None:
    session.add(ChainTxRow(txid=checked.txid, hex=checked.hex, block_height=None, fee=checked.fee,
                           vsize=checked.vsize, source=source, status="mempool", seq=_next_seq(session)))
    net = embit_network(network)
    for vout, script, value in checked.outputs:
        session.add(ChainOutputRow(txid=checked.txid, vout=vout, address=rc.address_of(script, net),
                                   script_hex=script.hex(), scripthash=hashlib.sha256(script).hexdigest(),
                                   value=value))
    for txid, vout in checked.spends:
        session.execute(update(ChainOutputRow).where(ChainOutputRow.txid == txid, ChainOutputRow.vout == vout)
                        .values(spent_by=checked.txid))


def fund(store: Store, actor: Actor, network: str, address: str, amount: str, source: str = "seizure") -> Funded:
    """Pay `amount` BTC to `address` from the faucet; the transaction waits in the mempool until mined."""
    authorize(actor, "reserve.chain.rehearse")
    if source not in SOURCES:
        raise InputError(f"source {source!r} is not one of {', '.join(SOURCES)}", field="source")
    sats = Btc.parse(amount).sats.value
    if not 0 < sats <= MAX_SATS:
        raise InputError(f"amount {amount!r} must be more than 0 and at most 21,000,000 BTC", field="amount")
    script = rc.script_for(address)
    if rc.address_of(script, embit_network(network)) != address.strip():
        raise InputError(f"address {address!r} is not an address of the {network} network", field="address")
    with store.transaction() as session:
        _ensure_genesis(session)
        tx = rc.faucet_tx(script, sats, _next_seq(session))
        checked = rc.CheckedTx(tx.txid().hex(), tx.serialize().hex(), 0, rc.vsize_of(tx), [], [(0, script, sats)])
        _add_tx(session, checked, network, source)
        audit.record(session, actor=actor.name, action="reserve.chain.fund", subject=checked.txid,
                     payload={"address": address, "sats": sats, "source": source})
    return Funded(checked.txid, address, Btc.parse(amount).amount, source)


def mine(store: Store, actor: Actor, blocks: int) -> Mined:
    """Mine `blocks` blocks; the first takes every mempool transaction."""
    authorize(actor, "reserve.chain.rehearse")
    if not 1 <= blocks <= MAX_MINE:
        raise InputError(f"mine between 1 and {MAX_MINE:,} blocks at a time", field="blocks")
    with store.transaction() as session:
        tip = _ensure_genesis(session)
        mempool = list(session.scalars(select(ChainTxRow).where(ChainTxRow.status == "mempool")
                                       .order_by(ChainTxRow.seq)))
        height, prev, prev_time = tip.height, tip.hash, tip.time
        rows: list[dict[str, Any]] = []
        for k in range(blocks):  # one multi-row INSERT: rehearsing a year's timelock mines 52,560 blocks
            txs = mempool if k == 0 else []
            t = max(prev_time + BLOCK_SECONDS, int(_time.time()) if k == blocks - 1 else 0)
            height, prev, prev_time = height + 1, rc.block_hash(prev, [x.txid for x in txs], t), t
            rows.append({"height": height, "prev_hash": rows[-1]["hash"] if rows else tip.hash, "time": t,
                         "hash": prev})
            for x in txs:
                x.block_height, x.status = height, "confirmed"
        for start in range(0, len(rows), 5000):
            session.execute(insert(BLOCKS), rows[start:start + 5000])
        session.flush()
        audit.record(session, actor=actor.name, action="reserve.chain.mine", subject=str(height),
                     payload={"blocks": blocks, "confirmed": len(mempool), "tip": prev})
    return Mined(height, prev, len(mempool))


def reorg(store: Store, actor: Actor, depth: int, drop: bool = True) -> Reorged:
    """Drop the last `depth` blocks. Their transactions vanish (drop) or go back to the mempool."""
    authorize(actor, "reserve.chain.rehearse")
    if not 1 <= depth <= rc.MAX_REORG_DEPTH:
        raise InputError(f"reorg depth must be 1 to {rc.MAX_REORG_DEPTH}", field="depth")
    with store.transaction() as session:
        tip = _ensure_genesis(session)
        if depth > tip.height:
            raise InputError(f"the chain has only {tip.height} blocks above genesis", field="depth")
        cut = tip.height - depth + 1
        txs = list(session.scalars(select(ChainTxRow).where(ChainTxRow.block_height >= cut)))
        vanished: list[str] = []
        for x in txs:
            x.block_height = None
            x.status = "vanished" if drop else "mempool"
            if drop:
                vanished.append(x.txid)
                # What the vanished transaction spent is spendable again.
                session.execute(update(ChainOutputRow).where(ChainOutputRow.spent_by == x.txid)
                                .values(spent_by=None))
        for b in session.scalars(select(ChainBlockRow).where(ChainBlockRow.height >= cut)):
            session.delete(b)
        session.flush()
        to_mempool = [] if drop else [x.txid for x in txs]
        audit.record(session, actor=actor.name, action="reserve.chain.reorg", subject=str(cut - 1),
                     payload={"depth": depth, "vanished": vanished, "to_mempool": to_mempool})
    return Reorged(cut - 1, tuple(vanished), tuple(to_mempool))


def median_time_past(session: Session, height: int) -> int:
    """BIP-113's median time past of the block at `height`: the median of it and the ten blocks before it."""
    times = list(session.scalars(select(ChainBlockRow.time).where(ChainBlockRow.height <= height)
                                 .order_by(ChainBlockRow.height.desc()).limit(11)))
    return sorted(times)[len(times) // 2] if times else rc.GENESIS_TIME


def broadcast(store: Store, network: str, tx_hex: str) -> str:
    """Accept a signed transaction into the mempool after a node's checks; return its txid (a transaction the
    chain already holds is answered with its txid, as bitcoind's sendrawtransaction does for its mempool)."""
    with store.transaction() as session:
        tip_row = _ensure_genesis(session)

        def prevout(txid: str, vout: int) -> rc.Prevout | None:
            row = session.get(ChainOutputRow, (txid, vout))
            parent = session.get(ChainTxRow, txid)
            if row is None or parent is None or parent.status == "vanished":
                return None
            spender = session.get(ChainTxRow, row.spent_by) if row.spent_by else None
            return rc.Prevout(bytes.fromhex(row.script_hex), row.value, row.spent_by, parent.block_height,
                              spender is not None and spender.status == "mempool")

        checked = rc.check_broadcast(tx_hex, prevout, rc.rules.Tip(tip_row.height,
                                                                   lambda h: median_time_past(session, h)))
        existing = session.get(ChainTxRow, checked.txid)
        if existing is not None and existing.status != "vanished":
            return checked.txid
        if existing is not None:  # vanished in a reorg and sent again: it comes back whole, outputs included
            session.execute(delete(ChainOutputRow).where(ChainOutputRow.txid == existing.txid))
            session.delete(existing)
            session.flush()
        _add_tx(session, checked, network)
    return checked.txid


def tip(store: Store) -> ChainTip:
    """Height and hash of the tip (genesis before the first block is mined)."""
    with store.read() as session:
        t = _tip(session)
        return ChainTip(t.height, t.hash) if t else ChainTip(0, rc.genesis_hash())


# Reads the servers share -------------------------------------------------------------------------------


def block_at(store: Store, height: int) -> str:
    with store.read() as session:
        row = session.get(ChainBlockRow, height)
        if row is None:
            raise NotFound(f"no block at height {height}", field="height")
        return row.hash


def live(session: Session, txid: str) -> ChainTxRow:
    """A transaction the chain or its mempool holds (NotFound for an unknown or vanished one)."""
    row = session.get(ChainTxRow, txid)
    if row is None or row.status == "vanished":
        raise NotFound("Transaction not found", field="txid")
    return row


def tx_hex(store: Store, txid: str) -> str:
    with store.read() as session:
        return live(session, txid).hex


def state_token(store: Store) -> tuple[Any, ...]:
    """What changes whenever a block is mined, a transaction enters the mempool, or a reorg drops blocks or
    transactions: the tip, the newest transaction and how many are live (the Electrum server polls it)."""
    with store.read() as session:
        t = _tip(session)
        counts = session.execute(select(func.coalesce(func.max(ChainTxRow.seq), 0),
                                        func.count(ChainTxRow.txid))
                                 .where(ChainTxRow.status != "vanished")).one()
        return (t.hash if t else "", int(counts[0]), int(counts[1]))


def mempool_rates(store: Store) -> list[tuple[float, int]]:
    """(fee rate in sat/vB, vsize) of every mempool transaction (the fee histogram's input)."""
    with store.read() as session:
        return [(fee / vsize if vsize else 0.0, vsize) for fee, vsize in session.execute(
            select(ChainTxRow.fee, ChainTxRow.vsize).where(ChainTxRow.status == "mempool"))]




def block_txids(store: Store, height: int) -> list[str]:
    """The txids of the block at `height`, in block order (the order its merkle root was computed in)."""
    with store.read() as session:
        return list(session.scalars(select(ChainTxRow.txid).where(ChainTxRow.block_height == height)
                                    .order_by(ChainTxRow.seq)))


def header_at(store: Store, height: int) -> bytes:
    """The 80-byte header of the block at `height` (NotFound above the tip)."""
    with store.read() as session:
        row = session.get(ChainBlockRow, height)
        if row is None:
            raise NotFound(f"no block at height {height}", field="height")
        if height == 0:
            return rc.GENESIS_HEADER
        txids = list(session.scalars(select(ChainTxRow.txid).where(ChainTxRow.block_height == height)
                                     .order_by(ChainTxRow.seq)))
        return rc.block_header(row.prev_hash, txids, row.time)


def script_history(store: Store, scripthash: str) -> list[tuple[str, int | None, int]]:
    """(txid, height or None, fee) of every live transaction paying or spending a script (hash as the store keeps
    it), confirmed ones by height and block order, then the mempool's in arrival order."""
    with store.read() as session:
        paid = select(ChainOutputRow.txid).where(ChainOutputRow.scripthash == scripthash)
        spent = select(ChainOutputRow.spent_by).where(ChainOutputRow.scripthash == scripthash,
                                                      ChainOutputRow.spent_by.is_not(None))
        rows = session.execute(select(ChainTxRow.txid, ChainTxRow.block_height, ChainTxRow.fee)
                               .where(or_(ChainTxRow.txid.in_(paid), ChainTxRow.txid.in_(spent)),
                                      ChainTxRow.status != "vanished")
                               .order_by(ChainTxRow.block_height.is_(None), ChainTxRow.block_height,
                                         ChainTxRow.seq)).all()
        return [(t, h, f) for t, h, f in rows]


def with_unconfirmed_parents(store: Store, txids: list[str]) -> set[str]:
    """Those of the mempool transactions `txids` that spend an output of another mempool transaction (Electrum
    lists them at height -1)."""
    if not txids:
        return set()
    with store.read() as session:
        parent = select(ChainTxRow.txid).where(ChainTxRow.status == "mempool")
        return set(session.scalars(select(ChainOutputRow.spent_by).where(ChainOutputRow.spent_by.in_(txids),
                                                                         ChainOutputRow.txid.in_(parent))))


def tx_height(store: Store, txid: str) -> int | None:
    """The height of a live transaction's block, None while in the mempool (NotFound when unknown)."""
    with store.read() as session:
        return live(session, txid).block_height


def utxo_set(store: Store, height: int) -> dict[str, Any]:
    """The chain's unspent outputs as of block `height` (what a reserve statement at that height is checked against).

    A dict: it is the chain-data file `reserve verify-statement --chain-data` reads, key for key.
    """
    with store.read() as session:
        block = session.get(ChainBlockRow, height)
        if block is None:
            raise NotFound(f"the rehearsal chain has no block at height {height}", field="height")
        spender = {t.txid: t for t in session.scalars(select(ChainTxRow).where(ChainTxRow.status == "confirmed"))}
        utxos = []
        for out, tx in session.execute(select(ChainOutputRow, ChainTxRow)
                                       .join(ChainTxRow, ChainTxRow.txid == ChainOutputRow.txid)
                                       .where(ChainTxRow.status == "confirmed", ChainTxRow.block_height <= height)
                                       .order_by(ChainTxRow.block_height, ChainTxRow.seq, ChainOutputRow.vout)):
            by = spender.get(out.spent_by or "")
            if by is not None and by.block_height is not None and by.block_height <= height:
                continue
            utxos.append({"txid": out.txid, "vout": out.vout, "sats": out.value, "script_pubkey": out.script_hex,
                          "height": tx.block_height})
        return {"height": height, "block_hash": block.hash, "utxos": utxos}
