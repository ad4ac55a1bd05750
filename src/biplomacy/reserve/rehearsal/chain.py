"""The rehearsal chain kept in the store: fund, mine, reorg, broadcast, and the queries its Esplora API answers.

fund, mine, reorg and tip return records (rehearsal/results.py). The queries the Esplora and Electrum servers
answer return Esplora's JSON as dicts and lists: there the dict is the wire format, key for key.
"""

from __future__ import annotations

import hashlib
import time as _time
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select, update
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
    if not 1 <= blocks <= 1000:
        raise InputError("mine between 1 and 1000 blocks at a time", field="blocks")
    with store.transaction() as session:
        tip = _ensure_genesis(session)
        mempool = list(session.scalars(select(ChainTxRow).where(ChainTxRow.status == "mempool")
                                       .order_by(ChainTxRow.seq)))
        for k in range(blocks):
            txs = mempool if k == 0 else []
            t = max(tip.time + BLOCK_SECONDS, int(_time.time()) if k == blocks - 1 else 0)
            block = ChainBlockRow(height=tip.height + 1, prev_hash=tip.hash, time=t,
                                  hash=rc.block_hash(tip.hash, [x.txid for x in txs], t))
            session.add(block)
            for x in txs:
                x.block_height, x.status = block.height, "confirmed"
            tip = block
            session.flush()
        audit.record(session, actor=actor.name, action="reserve.chain.mine", subject=str(tip.height),
                     payload={"blocks": blocks, "confirmed": len(mempool), "tip": tip.hash})
    return Mined(tip.height, tip.hash, len(mempool))


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


def broadcast(store: Store, network: str, tx_hex: str) -> str:
    """Accept a signed transaction into the mempool after the chain's checks; return its txid."""
    with store.transaction() as session:
        _ensure_genesis(session)

        def prevout(txid: str, vout: int) -> rc.Prevout | None:
            row = session.get(ChainOutputRow, (txid, vout))
            if row is None or session.get(ChainTxRow, txid).status == "vanished":  # type: ignore[union-attr]
                return None
            return rc.Prevout(bytes.fromhex(row.script_hex), row.value, row.spent_by)

        checked = rc.check_broadcast(tx_hex, prevout)
        existing = session.get(ChainTxRow, checked.txid)
        if existing is not None and existing.status != "vanished":
            return checked.txid
        if existing is not None:
            session.delete(existing)
            session.flush()
        _add_tx(session, checked, network)
    return checked.txid


def tip(store: Store) -> ChainTip:
    """Height and hash of the tip (genesis before the first block is mined)."""
    with store.read() as session:
        t = _tip(session)
        return ChainTip(t.height, t.hash) if t else ChainTip(0, rc.genesis_hash())


# Queries answered by the Esplora-compatible API: Esplora's JSON, as dicts --------------------------------


def block_at(store: Store, height: int) -> str:
    with store.read() as session:
        row = session.get(ChainBlockRow, height)
        if row is None:
            raise NotFound(f"no block at height {height}", field="height")
        return row.hash


def blocks(store: Store, start: int | None = None, count: int = 10) -> list[dict[str, Any]]:
    """Up to `count` blocks from `start` (default: the tip) downwards, as Esplora's GET /blocks[/:start]."""
    with store.read() as session:
        q = select(ChainBlockRow).order_by(ChainBlockRow.height.desc()).limit(count)
        if start is not None:
            q = q.where(ChainBlockRow.height <= start)
        return [_block_json(session, b) for b in session.scalars(q)]


def _block_json(session: Session, row: ChainBlockRow) -> dict[str, Any]:
    n = session.scalar(select(func.count()).select_from(ChainTxRow).where(ChainTxRow.block_height == row.height))
    return {"id": row.hash, "height": row.height, "previousblockhash": row.prev_hash, "timestamp": row.time,
            "tx_count": int(n or 0), "version": 0x20000000, "merkle_root": "00" * 32, "bits": 0x207FFFFF,
            "nonce": 0, "mediantime": row.time, "size": 0, "weight": 0, "difficulty": 1}


def block_header(store: Store, block_hash: str) -> str:
    """The 80-byte header of a block, hex (Esplora's GET /block/:hash/header)."""
    with store.read() as session:
        row = session.scalars(select(ChainBlockRow).where(ChainBlockRow.hash == block_hash)).first()
        if row is None:
            raise NotFound("Block not found", field="hash")
        if row.height == 0:
            return rc.GENESIS_HEADER.hex()
        txids = list(session.scalars(select(ChainTxRow.txid).where(ChainTxRow.block_height == row.height)
                                     .order_by(ChainTxRow.seq)))
        return rc.block_header(row.prev_hash, txids, row.time).hex()


def block(store: Store, block_hash: str) -> dict[str, Any]:
    with store.read() as session:
        row = session.scalars(select(ChainBlockRow).where(ChainBlockRow.hash == block_hash)).first()
        if row is None:
            raise NotFound("block not found", field="hash")
        return _block_json(session, row)


def _status(session: Session, row: ChainTxRow) -> dict[str, Any]:
    if row.block_height is None:
        return {"confirmed": False}
    b = session.get(ChainBlockRow, row.block_height)
    assert b is not None
    return {"confirmed": True, "block_height": b.height, "block_hash": b.hash, "block_time": b.time}


def _tx_json(session: Session, row: ChainTxRow, network: str) -> dict[str, Any]:
    tx = rc.parse_tx(row.hex)
    net = embit_network(network)
    vin = []
    for txin in tx.vin:
        prev = session.get(ChainOutputRow, (txin.txid.hex(), txin.vout))
        vin.append({"txid": txin.txid.hex(), "vout": txin.vout,
                    "sequence": txin.sequence, "scriptsig": txin.script_sig.data.hex(),
                    "witness": [w.hex() for w in txin.witness.items], "is_coinbase": prev is None,
                    "prevout": None if prev is None else {"scriptpubkey": prev.script_hex, "value": prev.value,
                                                          "scriptpubkey_address": prev.address}})
    vout = [{"scriptpubkey": o.script_pubkey.data.hex(), "value": o.value,
             "scriptpubkey_address": rc.address_of(o.script_pubkey.data, net)} for o in tx.vout]
    size = len(bytes.fromhex(row.hex))
    out = {"txid": row.txid, "version": tx.version, "locktime": tx.locktime, "vin": vin, "vout": vout,
           "size": size, "weight": row.vsize * 4, "fee": row.fee, "status": _status(session, row)}
    if row.source:
        out["x_rehearsal_source"] = row.source  # not Esplora: what the faucet payment stands for
    return out


def _live(session: Session, txid: str) -> ChainTxRow:
    row = session.get(ChainTxRow, txid)
    if row is None or row.status == "vanished":
        raise NotFound("Transaction not found", field="txid")
    return row


def tx(store: Store, network: str, txid: str) -> dict[str, Any]:
    with store.read() as session:
        return _tx_json(session, _live(session, txid), network)


def tx_hex(store: Store, txid: str) -> str:
    with store.read() as session:
        return _live(session, txid).hex


def tx_status(store: Store, txid: str) -> dict[str, Any]:
    with store.read() as session:
        return _status(session, _live(session, txid))


def _match(by: str, key: str) -> ColumnElement[bool]:
    return ChainOutputRow.address == key if by == "address" else ChainOutputRow.scripthash == key.lower()


def address_txs(store: Store, network: str, key: str, by: str = "address", after: str | None = None,
                page: int = 25) -> list[dict[str, Any]]:
    """Transactions paying or spending an address (or scripthash), newest first, paged as Esplora pages them.

    Without `after`: the mempool ones, then the newest `page` confirmed ones. With `after` (a txid of the
    previous page): the next `page` confirmed ones, older than it.
    """
    with store.read() as session:
        paid = select(ChainOutputRow.txid).where(_match(by, key))
        spent = select(ChainOutputRow.spent_by).where(_match(by, key), ChainOutputRow.spent_by.is_not(None))
        touching = or_(ChainTxRow.txid.in_(paid), ChainTxRow.txid.in_(spent))
        confirmed = (select(ChainTxRow).where(touching, ChainTxRow.status == "confirmed")
                     .order_by(ChainTxRow.block_height.desc(), ChainTxRow.seq.desc()))
        rows: list[ChainTxRow] = []
        if after is None:
            rows += session.scalars(select(ChainTxRow).where(touching, ChainTxRow.status == "mempool")
                                    .order_by(ChainTxRow.seq.desc())).all()
        else:
            last = session.get(ChainTxRow, after)
            if last is None or last.block_height is None:
                raise NotFound("Transaction not found", field="txid")
            confirmed = confirmed.where(or_(ChainTxRow.block_height < last.block_height,
                                            (ChainTxRow.block_height == last.block_height) &
                                            (ChainTxRow.seq < last.seq)))
        rows += session.scalars(confirmed.limit(page)).all()
        return [_tx_json(session, r, network) for r in rows]


def address_utxo(store: Store, key: str, by: str = "address") -> list[dict[str, Any]]:
    with store.read() as session:
        q = (select(ChainOutputRow, ChainTxRow).join(ChainTxRow, ChainTxRow.txid == ChainOutputRow.txid)
             .where(_match(by, key), ChainOutputRow.spent_by.is_(None),
                    ChainTxRow.status != "vanished").order_by(ChainTxRow.seq))
        return [{"txid": o.txid, "vout": o.vout, "value": o.value, "status": _status(session, t)}
                for o, t in session.execute(q).all()]


def fee_estimates() -> dict[str, float]:
    """The rehearsal chain has no fee market: a flat 2 sat/vB for every target."""
    return {str(k): 2.0 for k in (1, 2, 3, 6, 12, 24, 144, 504, 1008)}


# Queries answered by the Electrum server (electrum_server.py) --------------------------------------------


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


def tx_height(store: Store, txid: str) -> int | None:
    """The height of a live transaction's block, None while in the mempool (NotFound when unknown)."""
    with store.read() as session:
        return _live(session, txid).block_height


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
