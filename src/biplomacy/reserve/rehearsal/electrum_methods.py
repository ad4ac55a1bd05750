"""What the rehearsal Electrum server answers: every method of the Electrum protocol 1.4, as ElectrumX serves it.

server.version (negotiated), server.features, server.banner, server.donation_address, server.peers.subscribe,
server.add_peer, server.ping; blockchain.headers.subscribe, blockchain.block.header and blockchain.block.headers
(with checkpoint proofs, cp_height); blockchain.scripthash.get_balance, get_history, get_mempool, listunspent,
subscribe, unsubscribe; blockchain.transaction.get (raw or verbose), get_merkle, id_from_pos, broadcast;
blockchain.estimatefee, blockchain.relayfee, mempool.get_fee_histogram. Method names, parameters and answers
follow https://electrum-protocol.readthedocs.io/en/latest/protocol-methods.html (read 2026-11-24) and what
Electrum 4.3's interface.py checks of each answer. One `Session` per connection keeps its subscriptions and
tells the server which notifications a change of the chain owes it (electrum_server.py pushes them).
The methods answer with dicts and lists on purpose: they are the protocol's JSON results, key for key.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from decimal import Decimal
from typing import Any

from biplomacy.core.errors import InputError, NotFound
from biplomacy.reserve.rehearsal import chain, explorer
from biplomacy.reserve.rehearsal.model import consensus as rc
from biplomacy.reserve.rehearsal.model import electrum_protocol as ep
from biplomacy.reserve.rehearsal.model.node_rules import MIN_RELAY_SAT_PER_KVB
from biplomacy.store.db import Store

SERVER_VERSION = "biplomacy-rehearsal 1.0"
MAX_HEADERS = 2016  # what ElectrumX answers at most per blockchain.block.headers call
TREE_CACHE = 64  # blocks whose merkle trees are kept (a wallet's scan asks one branch per confirmed transaction)


def btc_per_kvb(sat_per_vb: float) -> float:
    """sat/vB as the protocol's BTC per 1000 vbytes (a JSON number; the rehearsal rates are whole sats)."""
    return float(Decimal(str(sat_per_vb)) * 1000 / 100_000_000)


class RehearsalElectrum:
    """The protocol's methods over the rehearsal chain in `store`; `network` names addresses of broadcasts."""

    def __init__(self, store: Store, network: str) -> None:
        self.store = store
        self.network = network
        self._trees: OrderedDict[str, tuple[dict[str, int], list[list[bytes]]]] = OrderedDict()
        self._lock = threading.Lock()

    def methods(self, session: Session | None = None) -> dict[str, ep.Method]:
        """Every method, bound to a connection's `session` (a fresh one when none is given)."""
        session = session or Session(self)
        table: dict[str, ep.Method] = {
            "server.version": session.version, "server.features": self.features, "server.ping": lambda: None,
            "server.banner": lambda: "Biplomacy rehearsal chain (simulated, not Bitcoin)",
            "server.donation_address": lambda: "", "server.peers.subscribe": lambda: [],
            "server.add_peer": lambda features=None: False,
            "blockchain.headers.subscribe": session.headers_subscribe,
            "blockchain.block.header": self.block_header, "blockchain.block.headers": self.block_headers,
            "blockchain.scripthash.get_history": self.get_history,
            "blockchain.scripthash.get_mempool": self.get_mempool,
            "blockchain.scripthash.get_balance": self.get_balance,
            "blockchain.scripthash.listunspent": self.listunspent,
            "blockchain.scripthash.subscribe": session.subscribe,
            "blockchain.scripthash.unsubscribe": session.unsubscribe,
            "blockchain.transaction.get": self.transaction_get,
            "blockchain.transaction.get_merkle": self.get_merkle,
            "blockchain.transaction.id_from_pos": self.id_from_pos,
            "blockchain.transaction.broadcast": self.broadcast,
            "blockchain.estimatefee": self.estimatefee,
            "blockchain.relayfee": lambda: btc_per_kvb(MIN_RELAY_SAT_PER_KVB / 1000),
            "mempool.get_fee_histogram": lambda: ep.fee_histogram(chain.mempool_rates(self.store)),
        }
        return {name: _bad_request_on_refusal(method) for name, method in table.items()}

    def features(self) -> dict[str, Any]:
        return {"genesis_hash": rc.genesis_hash(), "hosts": {}, "protocol_max": ".".join(map(str, ep.PROTOCOL_MAX)),
                "protocol_min": ".".join(map(str, ep.PROTOCOL_MIN)), "pruning": None,
                "server_version": SERVER_VERSION, "hash_function": "sha256"}

    def tip(self) -> dict[str, Any]:
        height = chain.tip(self.store).height
        return {"height": height, "hex": self.header(height).hex()}

    def header(self, height: int) -> bytes:
        try:
            return chain.header_at(self.store, height)
        except NotFound:
            if height == 0:  # a chain nothing was mined on yet starts at the regtest genesis
                return rc.GENESIS_HEADER
            raise ep.RpcError(ep.BAD_REQUEST, f"height {height} out of range") from None

    def _checkpoint(self, height: int, cp_height: int) -> dict[str, Any]:
        """The merkle proof of header `height` in the tree of headers 0..cp_height (ElectrumX's cp_height)."""
        if not height <= cp_height <= chain.tip(self.store).height:
            raise ep.RpcError(ep.BAD_REQUEST, f"header height {height} must be <= cp_height {cp_height} <= tip")
        hashes = [rc.block_hash_of(self.header(h)) for h in range(cp_height + 1)]
        levels = ep.merkle_levels(hashes)
        branch = ep.branch_at(levels, height) if levels else []
        return {"branch": branch, "root": ep.merkle_root_hex(hashes)}

    def block_header(self, height: Any, cp_height: Any = 0) -> Any:
        h, cp = ep.height_param(height), ep.height_param(cp_height, "cp_height")
        header = self.header(h).hex()
        if not cp:
            return header
        return {**self._checkpoint(h, cp), "header": header}

    def block_headers(self, start_height: Any, count: Any, cp_height: Any = 0) -> dict[str, Any]:
        start, wanted = ep.height_param(start_height, "start_height"), ep.height_param(count, "count")
        cp = ep.height_param(cp_height, "cp_height")
        top = chain.tip(self.store).height
        heights = range(start, min(start + min(wanted, MAX_HEADERS), top + 1))
        out: dict[str, Any] = {"count": len(heights), "hex": b"".join(self.header(h) for h in heights).hex(),
                               "max": MAX_HEADERS}
        if cp and heights:
            out.update(self._checkpoint(heights[-1], cp))
        return out

    def history(self, scripthash: Any) -> list[tuple[str, int, int]]:
        """(txid, height, fee) as the protocol lists them: confirmed by height, then the mempool's at 0, or -1
        for those that spend an unconfirmed output."""
        rows = chain.script_history(self.store, ep.esplora_scripthash(ep.hex64(scripthash, "scripthash")))
        pending = chain.with_unconfirmed_parents(self.store, [t for t, h, _ in rows if h is None])
        return [(t, h if h is not None else (-1 if t in pending else 0), fee) for t, h, fee in rows]

    def get_history(self, scripthash: Any) -> list[dict[str, Any]]:
        return [{"height": h, "tx_hash": t} if h > 0 else {"height": h, "tx_hash": t, "fee": fee}
                for t, h, fee in self.history(scripthash)]

    def get_mempool(self, scripthash: Any) -> list[dict[str, Any]]:
        return [{"height": h, "tx_hash": t, "fee": fee} for t, h, fee in self.history(scripthash) if h <= 0]

    def status(self, scripthash: str) -> str | None:
        return ep.script_status([(t, h) for t, h, _ in self.history(scripthash)])

    def _utxos(self, scripthash: Any) -> list[dict[str, Any]]:
        key = ep.esplora_scripthash(ep.hex64(scripthash, "scripthash"))
        return explorer.address_utxo(self.store, key, "scripthash")

    def listunspent(self, scripthash: Any) -> list[dict[str, Any]]:
        return [{"tx_hash": u["txid"], "tx_pos": u["vout"], "value": u["value"],
                 "height": u["status"].get("block_height", 0)} for u in self._utxos(scripthash)]

    def get_balance(self, scripthash: Any) -> dict[str, int]:
        utxos = self._utxos(scripthash)
        confirmed = sum(u["value"] for u in utxos if u["status"]["confirmed"])
        return {"confirmed": confirmed, "unconfirmed": sum(u["value"] for u in utxos) - confirmed}

    def transaction_get(self, tx_hash: Any, verbose: Any = False) -> Any:
        txid = ep.hex64(tx_hash, "tx_hash")
        try:
            raw = chain.tx_hex(self.store, txid)
        except NotFound:
            raise ep.RpcError(ep.DAEMON_ERROR, "No such mempool or blockchain transaction") from None
        if not verbose:
            return raw
        return self._verbose(txid, raw)

    def _verbose(self, txid: str, raw: str) -> dict[str, Any]:
        """bitcoind's getrawtransaction verbose answer, which ElectrumX passes through for verbose=true."""
        doc = explorer.tx(self.store, self.network, txid)
        tx = rc.parse_tx(raw)
        out: dict[str, Any] = {
            "txid": txid, "hash": rc.double_sha256(bytes.fromhex(raw))[::-1].hex(), "version": tx.version,
            "size": len(raw) // 2, "vsize": (doc["weight"] + 3) // 4, "weight": doc["weight"],
            "locktime": tx.locktime,
            "vin": [{"txid": v["txid"], "vout": v["vout"], "scriptSig": {"asm": v["scriptsig_asm"],
                                                                        "hex": v["scriptsig"]},
                     **({"txinwitness": v["witness"]} if "witness" in v else {}), "sequence": v["sequence"]}
                    for v in doc["vin"]],
            "vout": [{"value": float(Decimal(o["value"]) / 100_000_000), "n": n,
                      "scriptPubKey": {"asm": o["scriptpubkey_asm"], "hex": o["scriptpubkey"],
                                       **({"address": o["scriptpubkey_address"]} if "scriptpubkey_address" in o
                                          else {})}}
                     for n, o in enumerate(doc["vout"])],
            "hex": raw}
        status = doc["status"]
        if status["confirmed"]:
            tip = chain.tip(self.store).height
            out.update({"blockhash": status["block_hash"], "confirmations": tip - status["block_height"] + 1,
                        "time": status["block_time"], "blocktime": status["block_time"]})
        return out

    def get_merkle(self, tx_hash: Any, height: Any) -> dict[str, Any]:
        txid = ep.hex64(tx_hash, "tx_hash")
        wanted = ep.height_param(height)
        try:
            actual = chain.tx_height(self.store, txid)
        except NotFound:
            raise ep.RpcError(ep.BAD_REQUEST, f"tx {txid} not in any block") from None
        if actual != wanted:
            raise ep.RpcError(ep.BAD_REQUEST, f"tx {txid} not in block at height {wanted}")
        positions, levels = self._tree(wanted)
        pos = positions[txid]
        return {"block_height": wanted, "merkle": ep.branch_at(levels, pos), "pos": pos}

    def id_from_pos(self, height: Any, tx_pos: Any, merkle: Any = False) -> Any:
        h, pos = ep.height_param(height), ep.height_param(tx_pos, "tx_pos")
        positions, levels = self._tree(h)
        txids = sorted(positions, key=positions.__getitem__)
        if pos >= len(txids):
            raise ep.RpcError(ep.BAD_REQUEST, f"no tx at position {pos} in block at height {h}")
        if not merkle:
            return txids[pos]
        return {"tx_hash": txids[pos], "merkle": ep.branch_at(levels, pos)}

    def _tree(self, height: int) -> tuple[dict[str, int], list[list[bytes]]]:
        """A block's txid positions and merkle tree, kept per block hash (the hash commits to the txids, so a
        reorg, which changes the hash, cannot serve a stale tree)."""
        block_hash = chain.block_at(self.store, height)
        tree = self._trees.get(block_hash)
        if tree is None:
            txids = chain.block_txids(self.store, height)
            tree = ({t: i for i, t in enumerate(txids)}, ep.merkle_levels(txids))
            with self._lock:
                self._trees[block_hash] = tree
                while len(self._trees) > TREE_CACHE:
                    self._trees.popitem(last=False)
        return tree

    def broadcast(self, raw_tx: Any) -> str:
        if not isinstance(raw_tx, str) or len(raw_tx) > ep.MAX_LINE:
            raise ep.RpcError(ep.INVALID_PARAMS, "raw_tx must be the transaction in hex")
        try:
            return chain.broadcast(self.store, self.network, raw_tx)
        except InputError as exc:
            raise ep.RpcError(ep.BAD_REQUEST, f"the transaction was rejected by network rules: {exc}") from None

    def estimatefee(self, number: Any, mode: Any = None) -> float:
        target = ep.height_param(number, "number")
        rates = explorer.fee_estimates()
        return btc_per_kvb(rates.get(str(target), rates["1"]))


class Session:
    """One client's connection: the negotiated version, whether it follows headers, the scripts it watches and
    the status each was last told. Methods run on the connection's thread; `changes` on the server's poller."""

    def __init__(self, backend: RehearsalElectrum) -> None:
        self.backend = backend
        self.protocol: str | None = None
        self._lock = threading.Lock()
        self._tip: dict[str, Any] | None = None  # the last header sent, None while not subscribed
        self._scripts: dict[str, str | None] = {}  # Electrum script hash -> status last sent

    def version(self, client_name: Any = "", protocol_version: Any = ep.PROTOCOL_VERSION) -> list[str]:
        self.protocol = ep.negotiate(protocol_version)
        return [SERVER_VERSION, self.protocol]

    def headers_subscribe(self) -> dict[str, Any]:
        tip = self.backend.tip()
        with self._lock:
            self._tip = tip
        return tip

    def subscribe(self, scripthash: Any) -> str | None:
        key = ep.hex64(scripthash, "scripthash")
        status = self.backend.status(key)
        with self._lock:
            self._scripts[key] = status
        return status

    def unsubscribe(self, scripthash: Any) -> bool:
        with self._lock:
            return self._scripts.pop(ep.hex64(scripthash, "scripthash"), "absent") != "absent"

    def changes(self) -> list[bytes]:
        """The notifications this client is owed after a change of the chain: the new tip, if it follows headers
        and the tip moved (a new block, or a reorg), and each watched script whose status changed."""
        out: list[bytes] = []
        with self._lock:
            following, watched = self._tip, dict(self._scripts)
        if following is not None:
            tip = self.backend.tip()
            if tip != following:
                out.append(ep.notification("blockchain.headers.subscribe", [tip]))
                with self._lock:
                    self._tip = tip
        for key, before in watched.items():
            status = self.backend.status(key)
            if status != before:
                out.append(ep.notification("blockchain.scripthash.subscribe", [key, status]))
                with self._lock:
                    if key in self._scripts:
                        self._scripts[key] = status
        return out


def _bad_request_on_refusal(method: ep.Method) -> ep.Method:
    """A refusal of the chain (unknown block, bad input; e.g. a reorg between two calls) as an error answer."""
    def call(*args: Any, **kwargs: Any) -> Any:
        try:
            return method(*args, **kwargs)
        except InputError as exc:  # NotFound is one
            raise ep.RpcError(ep.BAD_REQUEST, str(exc)) from None
    return call
