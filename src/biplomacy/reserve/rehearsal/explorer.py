"""What the rehearsal chain's Esplora API answers: Blockstream's shapes (esplora API.md), key for key.

Transactions carry `scriptpubkey_type`, `scriptpubkey_asm`, `scriptsig_asm` and the inner redeem and witness
scripts' assembly as Blockstream's electrs writes them; addresses and script hashes have their chain and mempool
statistics; outputs their spending status; confirmed transactions their merkle proofs (Electrum's format and
bitcoind's merkleblock); the mempool its backlog and fee histogram. The dicts are the wire format.
"""

from __future__ import annotations

import statistics
from typing import Any

from embit import compact
from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session

from biplomacy.core.errors import InputError, NotFound
from biplomacy.core.networks import embit_network
from biplomacy.reserve.rehearsal.chain import live
from biplomacy.reserve.rehearsal.model import consensus as rc
from biplomacy.reserve.rehearsal.model import electrum_protocol as ep
from biplomacy.reserve.rehearsal.model import script_asm
from biplomacy.reserve.rehearsal.tables import ChainBlockRow, ChainOutputRow, ChainTxRow
from biplomacy.store.db import Store

PAGE = 25  # confirmed transactions per page, and transactions per block page (Esplora's)
MEMPOOL_PAGE = 50  # mempool transactions listed at most for an address (Esplora's)
# Esplora's fee-estimate targets: 1-25, 144, 504 and 1008 blocks (Blockstream/esplora API.md, GET /fee-estimates)
FEE_TARGETS = (*range(1, 26), 144, 504, 1008)
REHEARSAL_FEE_RATE = 2.0  # sat/vB: the rehearsal chain has no fee market, so every target gets the same rate


def _difficulty(bits: int) -> float:
    target = (bits & 0xFFFFFF) << (8 * ((bits >> 24) - 3))
    return float(0xFFFF << (8 * (0x1D - 3))) / target


def _block_row(session: Session, block_hash: str) -> ChainBlockRow:
    row = session.scalars(select(ChainBlockRow).where(ChainBlockRow.hash == block_hash)).first()
    if row is None:
        raise NotFound("Block not found", field="hash")
    return row


def _block_txs(session: Session, height: int) -> list[ChainTxRow]:
    return list(session.scalars(select(ChainTxRow).where(ChainTxRow.block_height == height)
                                .order_by(ChainTxRow.seq)))


def _header(row: ChainBlockRow, txids: list[str]) -> bytes:
    return rc.GENESIS_HEADER if row.height == 0 else rc.block_header(row.prev_hash, txids, row.time)


def _block_json(session: Session, row: ChainBlockRow) -> dict[str, Any]:
    txs = _block_txs(session, row.height)
    header = _header(row, [t.txid for t in txs])
    sizes = [len(t.hex) // 2 for t in txs]
    size = 80 + len(compact.to_bytes(len(txs))) + sum(sizes)
    stripped = 80 + len(compact.to_bytes(len(txs))) + sum(max(t.vsize * 4 - s, 0) // 3 for t, s in zip(txs, sizes,
                                                                                                      strict=True))
    times = list(session.scalars(select(ChainBlockRow.time).where(ChainBlockRow.height <= row.height)
                                 .order_by(ChainBlockRow.height.desc()).limit(11)))
    out: dict[str, Any] = {"id": row.hash, "height": row.height, "version": int.from_bytes(header[:4], "little"),
                           "timestamp": row.time, "tx_count": len(txs), "size": size,
                           "weight": stripped * 3 + size, "merkle_root": header[36:68][::-1].hex()}
    if row.height > 0:
        out["previousblockhash"] = row.prev_hash
    out.update({"mediantime": int(statistics.median_low(times)), "nonce": 0, "bits": rc.REGTEST_BITS,
                "difficulty": _difficulty(rc.REGTEST_BITS)})
    return out


def blocks(store: Store, start: int | None = None, count: int = 10) -> list[dict[str, Any]]:
    """Up to `count` blocks from `start` (default: the tip) downwards, as Esplora's GET /blocks[/:start]."""
    with store.read() as session:
        q = select(ChainBlockRow).order_by(ChainBlockRow.height.desc()).limit(count)
        if start is not None:
            q = q.where(ChainBlockRow.height <= start)
        return [_block_json(session, b) for b in session.scalars(q)]


def block(store: Store, block_hash: str) -> dict[str, Any]:
    with store.read() as session:
        return _block_json(session, _block_row(session, block_hash))


def block_header(store: Store, block_hash: str) -> str:
    """The 80-byte header of a block, hex (GET /block/:hash/header)."""
    with store.read() as session:
        row = _block_row(session, block_hash)
        return _header(row, [t.txid for t in _block_txs(session, row.height)]).hex()


def block_status(store: Store, block_hash: str) -> dict[str, Any]:
    with store.read() as session:
        row = _block_row(session, block_hash)
        after = session.get(ChainBlockRow, row.height + 1)
        out: dict[str, Any] = {"in_best_chain": True, "height": row.height}
        if after is not None:
            out["next_best"] = after.hash
        return out


def block_txids(store: Store, block_hash: str) -> list[str]:
    with store.read() as session:
        return [t.txid for t in _block_txs(session, _block_row(session, block_hash).height)]


def block_txid(store: Store, block_hash: str, index: int) -> str:
    txids = block_txids(store, block_hash)
    if not 0 <= index < len(txids):
        raise NotFound("Transaction not found", field="index")
    return txids[index]


def block_txs(store: Store, network: str, block_hash: str, start: int = 0) -> list[dict[str, Any]]:
    """Up to 25 of a block's transactions from `start`, which must be a multiple of 25 (as Esplora requires)."""
    if start % PAGE:
        raise InputError(f"start index must be a multiple of {PAGE}", field="start_index")
    with store.read() as session:
        txs = _block_txs(session, _block_row(session, block_hash).height)
        if start and start >= len(txs):
            raise NotFound("start index out of range", field="start_index")
        return [_tx_json(session, t, network) for t in txs[start:start + PAGE]]


def block_raw(store: Store, block_hash: str) -> bytes:
    """The block serialised as the network sends it: header, transaction count, transactions."""
    with store.read() as session:
        row = _block_row(session, block_hash)
        txs = _block_txs(session, row.height)
        return (_header(row, [t.txid for t in txs]) + compact.to_bytes(len(txs))
                + b"".join(bytes.fromhex(t.hex) for t in txs))


def _status(session: Session, row: ChainTxRow) -> dict[str, Any]:
    if row.block_height is None:
        return {"confirmed": False}
    b = session.get(ChainBlockRow, row.block_height)
    assert b is not None
    return {"confirmed": True, "block_height": b.height, "block_hash": b.hash, "block_time": b.time}


def _output_json(script: bytes, value: int, net: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"scriptpubkey": script.hex(), "scriptpubkey_asm": script_asm.asm(script),
                           "scriptpubkey_type": script_asm.script_type(script)}
    address = rc.address_of(script, net)
    if address:
        out["scriptpubkey_address"] = address
    out["value"] = value
    return out


def _inner_scripts(prev_script: bytes, script_sig: bytes, witness: list[bytes]) -> dict[str, str]:
    """Esplora's inner_redeemscript_asm (P2SH) and inner_witnessscript_asm (P2WSH, P2SH-P2WSH, P2TR leaf)."""
    kind = script_asm.script_type(prev_script)
    out: dict[str, str] = {}
    redeem = b""
    if kind == "p2sh":
        pushes = rc.push_items(script_sig) or []
        if pushes:
            redeem = pushes[-1]
            out["inner_redeemscript_asm"] = script_asm.asm(redeem)
    wrapped_wsh = kind == "p2sh" and len(redeem) == 34 and redeem[:2] == b"\x00\x20"
    if (kind == "v0_p2wsh" or wrapped_wsh) and witness:
        out["inner_witnessscript_asm"] = script_asm.asm(witness[-1])
    elif kind == "v1_p2tr":
        items = witness[:-1] if len(witness) >= 2 and witness[-1][:1] == b"\x50" else witness
        if len(items) >= 2:
            out["inner_witnessscript_asm"] = script_asm.asm(items[-2])
    return out


def _tx_json(session: Session, row: ChainTxRow, network: str) -> dict[str, Any]:
    tx = rc.parse_tx(row.hex)
    net = embit_network(network)
    vin = []
    for txin in tx.vin:
        prev = session.get(ChainOutputRow, (txin.txid.hex(), txin.vout))
        script_sig, witness = txin.script_sig.data, list(txin.witness.items)
        item: dict[str, Any] = {"txid": txin.txid.hex(), "vout": txin.vout,
                                "prevout": None if prev is None else _output_json(bytes.fromhex(prev.script_hex),
                                                                                   prev.value, net),
                                "scriptsig": script_sig.hex(), "scriptsig_asm": script_asm.asm(script_sig)}
        if witness:
            item["witness"] = [w.hex() for w in witness]
        item.update({"is_coinbase": prev is None, "sequence": txin.sequence})
        if prev is not None:
            item.update(_inner_scripts(bytes.fromhex(prev.script_hex), script_sig, witness))
        vin.append(item)
    vout = [_output_json(o.script_pubkey.data, o.value, net) for o in tx.vout]
    out = {"txid": row.txid, "version": tx.version, "locktime": tx.locktime, "vin": vin, "vout": vout,
           "size": len(row.hex) // 2, "weight": rc.weight_of(tx), "fee": row.fee, "status": _status(session, row)}
    if row.source:
        out["x_rehearsal_source"] = row.source  # not Esplora: what the faucet payment stands for
    return out


def tx(store: Store, network: str, txid: str) -> dict[str, Any]:
    with store.read() as session:
        return _tx_json(session, live(session, txid), network)


def tx_status(store: Store, txid: str) -> dict[str, Any]:
    with store.read() as session:
        return _status(session, live(session, txid))


def _outspend(session: Session, out: ChainOutputRow) -> dict[str, Any]:
    spender = session.get(ChainTxRow, out.spent_by) if out.spent_by else None
    if spender is None or spender.status == "vanished":
        return {"spent": False}
    vin = next(i for i, txin in enumerate(rc.parse_tx(spender.hex).vin)
               if (txin.txid.hex(), txin.vout) == (out.txid, out.vout))
    return {"spent": True, "txid": spender.txid, "vin": vin, "status": _status(session, spender)}


def outspends(store: Store, txid: str) -> list[dict[str, Any]]:
    """The spending status of every output of a transaction (GET /tx/:txid/outspends)."""
    with store.read() as session:
        live(session, txid)
        outs = session.scalars(select(ChainOutputRow).where(ChainOutputRow.txid == txid)
                               .order_by(ChainOutputRow.vout))
        return [_outspend(session, o) for o in outs]


def outspend(store: Store, txid: str, vout: int) -> dict[str, Any]:
    with store.read() as session:
        live(session, txid)
        out = session.get(ChainOutputRow, (txid, vout))
        if out is None:
            raise NotFound("Output not found", field="vout")
        return _outspend(session, out)


def _confirmed_block(session: Session, txid: str) -> tuple[ChainBlockRow, list[str]]:
    row = live(session, txid)
    if row.block_height is None:
        raise NotFound("Transaction not found or is unconfirmed", field="txid")
    block_row = session.get(ChainBlockRow, row.block_height)
    assert block_row is not None
    return block_row, [t.txid for t in _block_txs(session, row.block_height)]


def merkle_proof(store: Store, txid: str) -> dict[str, Any]:
    """Electrum's blockchain.transaction.get_merkle answer for a confirmed transaction (GET /tx/:id/merkle-proof)."""
    with store.read() as session:
        block_row, txids = _confirmed_block(session, txid)
        height = block_row.height
    pos = txids.index(txid)
    return {"block_height": height, "merkle": ep.merkle_branch(txids, pos), "pos": pos}


def merkleblock_proof(store: Store, txid: str) -> str:
    """bitcoind's merkleblock (header, then a partial merkle tree proving one transaction), hex."""
    with store.read() as session:
        block_row, txids = _confirmed_block(session, txid)
        header = _header(block_row, txids)
    return (header + rc.partial_merkle_tree(txids, txids.index(txid))).hex()


def _match(by: str, key: str) -> ColumnElement[bool]:
    return ChainOutputRow.address == key if by == "address" else ChainOutputRow.scripthash == key.lower()


def _touching(by: str, key: str) -> ColumnElement[bool]:
    paid = select(ChainOutputRow.txid).where(_match(by, key))
    spent = select(ChainOutputRow.spent_by).where(_match(by, key), ChainOutputRow.spent_by.is_not(None))
    return or_(ChainTxRow.txid.in_(paid), ChainTxRow.txid.in_(spent))


def address_txs(store: Store, network: str, key: str, by: str = "address", after: str | None = None,
                page: int = PAGE, mempool: bool = True, chain: bool = True) -> list[dict[str, Any]]:
    """Transactions paying or spending an address (or scripthash), newest first, paged as Esplora pages them.

    Without `after`: up to 50 mempool ones, then the newest `page` confirmed ones. With `after` (a txid of the
    previous page): the next `page` confirmed ones, older than it. `mempool`/`chain` pick one of the two lists
    (GET .../txs/mempool, .../txs/chain)."""
    with store.read() as session:
        touching = _touching(by, key)
        confirmed = (select(ChainTxRow).where(touching, ChainTxRow.status == "confirmed")
                     .order_by(ChainTxRow.block_height.desc(), ChainTxRow.seq.desc()))
        rows: list[ChainTxRow] = []
        if after is None and mempool:
            rows += session.scalars(select(ChainTxRow).where(touching, ChainTxRow.status == "mempool")
                                    .order_by(ChainTxRow.seq.desc()).limit(MEMPOOL_PAGE)).all()
        elif after is not None:
            last = session.get(ChainTxRow, after)
            if last is None or last.block_height is None:
                raise NotFound("Transaction not found", field="txid")
            confirmed = confirmed.where(or_(ChainTxRow.block_height < last.block_height,
                                            (ChainTxRow.block_height == last.block_height) &
                                            (ChainTxRow.seq < last.seq)))
        if chain:
            rows += session.scalars(confirmed.limit(page)).all()
        return [_tx_json(session, r, network) for r in rows]


def _stats(session: Session, by: str, key: str, status: str) -> dict[str, int]:
    funded = session.execute(select(func.count(), func.coalesce(func.sum(ChainOutputRow.value), 0))
                             .join(ChainTxRow, ChainTxRow.txid == ChainOutputRow.txid)
                             .where(_match(by, key), ChainTxRow.status == status)).one()
    spender = select(ChainTxRow.txid).where(ChainTxRow.status == status)
    spent = session.execute(select(func.count(), func.coalesce(func.sum(ChainOutputRow.value), 0))
                            .where(_match(by, key), ChainOutputRow.spent_by.in_(spender))).one()
    txs = session.scalar(select(func.count()).select_from(ChainTxRow)
                         .where(_touching(by, key), ChainTxRow.status == status))
    return {"funded_txo_count": int(funded[0]), "funded_txo_sum": int(funded[1]), "spent_txo_count": int(spent[0]),
            "spent_txo_sum": int(spent[1]), "tx_count": int(txs or 0)}


def address_stats(store: Store, key: str, by: str = "address") -> dict[str, Any]:
    """GET /address/:address (or /scripthash/:hash): funded and spent outputs, confirmed and in the mempool."""
    with store.read() as session:
        return {by: key, "chain_stats": _stats(session, by, key, "confirmed"),
                "mempool_stats": _stats(session, by, key, "mempool")}


def address_utxo(store: Store, key: str, by: str = "address") -> list[dict[str, Any]]:
    with store.read() as session:
        q = (select(ChainOutputRow, ChainTxRow).join(ChainTxRow, ChainTxRow.txid == ChainOutputRow.txid)
             .where(_match(by, key), ChainOutputRow.spent_by.is_(None),
                    ChainTxRow.status != "vanished").order_by(ChainTxRow.seq))
        return [{"txid": o.txid, "vout": o.vout, "status": _status(session, t), "value": o.value}
                for o, t in session.execute(q).all()]


def _mempool_rows(session: Session) -> list[ChainTxRow]:
    return list(session.scalars(select(ChainTxRow).where(ChainTxRow.status == "mempool").order_by(ChainTxRow.seq)))


def mempool(store: Store) -> dict[str, Any]:
    """GET /mempool: count, virtual size, total fee and the fee histogram Electrum's protocol uses."""
    with store.read() as session:
        rows = _mempool_rows(session)
    rates = [(r.fee / r.vsize if r.vsize else 0.0, r.vsize) for r in rows]
    return {"count": len(rows), "vsize": sum(r.vsize for r in rows), "total_fee": sum(r.fee for r in rows),
            "fee_histogram": ep.fee_histogram(rates)}


def mempool_txids(store: Store) -> list[str]:
    with store.read() as session:
        return [r.txid for r in _mempool_rows(session)]


def mempool_recent(store: Store) -> list[dict[str, Any]]:
    """The last 10 transactions to enter the mempool: txid, fee, vsize and the value of their outputs."""
    with store.read() as session:
        rows = _mempool_rows(session)[-10:][::-1]
        return [{"txid": r.txid, "fee": r.fee, "vsize": r.vsize,
                 "value": sum(o.value for o in rc.parse_tx(r.hex).vout)} for r in rows]


def fee_estimates() -> dict[str, float]:
    """Esplora's fee estimates, sat/vB by confirmation target; the rehearsal chain has one flat rate."""
    return {str(k): REHEARSAL_FEE_RATE for k in FEE_TARGETS}
