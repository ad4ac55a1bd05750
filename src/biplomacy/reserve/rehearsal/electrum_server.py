"""The rehearsal chain served over the Electrum protocol (TCP, loopback), for BDK's ElectrumClient and wallets.

The subset a wallet sync and a broadcast use: server.version/features/ping/banner, blockchain.headers.subscribe,
blockchain.block.header(s), blockchain.scripthash.get_history/get_balance/listunspent/subscribe,
blockchain.transaction.get/get_merkle/broadcast, blockchain.estimatefee, blockchain.relayfee. Headers and
merkle branches are real (clients check each confirmed transaction's branch against its block's header). No
notifications are pushed: clients poll. docs/adr/0004-rehearsal-electrum-server.md says why it is hand-written.
The methods answer with dicts and lists on purpose: they are the protocol's JSON results, key for key.
"""

from __future__ import annotations

import hashlib
import socketserver
import threading
from collections import OrderedDict
from decimal import Decimal
from typing import Any

from biplomacy.core.errors import InputError, NotFound
from biplomacy.reserve.rehearsal import chain
from biplomacy.reserve.rehearsal.model import consensus as rc
from biplomacy.reserve.rehearsal.model import electrum_protocol as ep
from biplomacy.store.db import Store

SERVER_VERSION = "biplomacy-rehearsal 1.0"
MAX_HEADERS = 2016  # what ElectrumX answers at most per blockchain.block.headers call
LOOPBACK = ("127.0.0.1", "::1", "localhost")
TREE_CACHE = 64  # blocks whose merkle trees are kept (a wallet's scan asks one branch per confirmed transaction)


def _btc_per_kvb(sat_per_vb: float) -> float:
    """sat/vB as the protocol's BTC per 1000 vbytes (a JSON number; the rehearsal rates are whole sats)."""
    return float(Decimal(str(sat_per_vb)) * 1000 / 100_000_000)


class RehearsalElectrum:
    """The protocol's methods over the rehearsal chain in `store`; `network` names addresses of broadcasts."""

    def __init__(self, store: Store, network: str) -> None:
        self.store = store
        self.network = network
        self._trees: OrderedDict[str, tuple[dict[str, int], list[list[bytes]]]] = OrderedDict()
        self._lock = threading.Lock()

    def methods(self) -> dict[str, ep.Method]:
        return {name: _bad_request_on_refusal(method) for name, method in self._methods().items()}

    def _methods(self) -> dict[str, ep.Method]:
        return {
            "server.version": self.version, "server.features": self.features, "server.ping": lambda: None,
            "server.banner": lambda: "Biplomacy rehearsal chain (simulated, not Bitcoin)",
            "server.donation_address": lambda: "", "server.peers.subscribe": lambda: [],
            "blockchain.headers.subscribe": self.headers_subscribe,
            "blockchain.block.header": self.block_header, "blockchain.block.headers": self.block_headers,
            "blockchain.scripthash.get_history": self.get_history,
            "blockchain.scripthash.get_balance": self.get_balance,
            "blockchain.scripthash.listunspent": self.listunspent,
            "blockchain.scripthash.subscribe": self.subscribe,
            "blockchain.transaction.get": self.transaction_get,
            "blockchain.transaction.get_merkle": self.get_merkle,
            "blockchain.transaction.broadcast": self.broadcast,
            "blockchain.estimatefee": self.estimatefee, "blockchain.relayfee": lambda: _btc_per_kvb(1),
        }

    def version(self, client_name: str = "", protocol_version: Any = ep.PROTOCOL_VERSION) -> list[str]:
        return [SERVER_VERSION, ep.PROTOCOL_VERSION]

    def features(self) -> dict[str, Any]:
        return {"genesis_hash": rc.genesis_hash(), "hosts": {}, "protocol_max": ep.PROTOCOL_VERSION,
                "protocol_min": ep.PROTOCOL_VERSION, "pruning": None, "server_version": SERVER_VERSION,
                "hash_function": "sha256"}

    def headers_subscribe(self) -> dict[str, Any]:
        height = chain.tip(self.store).height
        return {"height": height, "hex": self._header(height).hex()}

    def _header(self, height: int) -> bytes:
        try:
            return chain.header_at(self.store, height)
        except NotFound:
            if height == 0:  # a chain nothing was mined on yet starts at the regtest genesis
                return rc.GENESIS_HEADER
            raise ep.RpcError(ep.BAD_REQUEST, f"height {height} out of range") from None

    def block_header(self, height: Any, cp_height: Any = 0) -> str:
        if ep.height_param(cp_height, "cp_height"):
            raise ep.RpcError(ep.BAD_REQUEST, "checkpoint proofs (cp_height) are not served")
        return self._header(ep.height_param(height)).hex()

    def block_headers(self, start_height: Any, count: Any, cp_height: Any = 0) -> dict[str, Any]:
        start, wanted = ep.height_param(start_height, "start_height"), ep.height_param(count, "count")
        if ep.height_param(cp_height, "cp_height"):
            raise ep.RpcError(ep.BAD_REQUEST, "checkpoint proofs (cp_height) are not served")
        top = chain.tip(self.store).height
        heights = range(start, min(start + min(wanted, MAX_HEADERS), top + 1))
        return {"count": len(heights), "hex": b"".join(self._header(h) for h in heights).hex(), "max": MAX_HEADERS}

    def _history(self, scripthash: Any) -> list[tuple[str, int | None, int]]:
        return chain.script_history(self.store, ep.esplora_scripthash(ep.hex64(scripthash, "scripthash")))

    def get_history(self, scripthash: Any) -> list[dict[str, Any]]:
        return [{"height": h, "tx_hash": t} if h is not None else {"height": 0, "tx_hash": t, "fee": fee}
                for t, h, fee in self._history(scripthash)]

    def _utxos(self, scripthash: Any) -> list[dict[str, Any]]:
        key = ep.esplora_scripthash(ep.hex64(scripthash, "scripthash"))
        return chain.address_utxo(self.store, key, "scripthash")

    def listunspent(self, scripthash: Any) -> list[dict[str, Any]]:
        return [{"tx_hash": u["txid"], "tx_pos": u["vout"], "value": u["value"],
                 "height": u["status"].get("block_height", 0)} for u in self._utxos(scripthash)]

    def get_balance(self, scripthash: Any) -> dict[str, int]:
        utxos = self._utxos(scripthash)
        confirmed = sum(u["value"] for u in utxos if u["status"]["confirmed"])
        return {"confirmed": confirmed, "unconfirmed": sum(u["value"] for u in utxos) - confirmed}

    def subscribe(self, scripthash: Any) -> str | None:
        """The script's status: SHA-256 of "txid:height:" over its history, None when it has none."""
        history = self._history(scripthash)
        if not history:
            return None
        text = "".join(f"{t}:{h if h is not None else 0}:" for t, h, _ in history)
        return hashlib.sha256(text.encode()).hexdigest()

    def transaction_get(self, tx_hash: Any, verbose: Any = False) -> str:
        if verbose:
            raise ep.RpcError(ep.BAD_REQUEST, "verbose transactions are not served; ask for the raw hex")
        try:
            return chain.tx_hex(self.store, ep.hex64(tx_hash, "tx_hash"))
        except NotFound:
            raise ep.RpcError(ep.DAEMON_ERROR, "No such mempool or blockchain transaction") from None

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
        rates = chain.fee_estimates()
        return _btc_per_kvb(rates.get(str(target), rates["1"]))


def _bad_request_on_refusal(method: ep.Method) -> ep.Method:
    """A refusal of the chain (unknown block, bad input; e.g. a reorg between two calls) as an error answer."""
    def call(*args: Any, **kwargs: Any) -> Any:
        try:
            return method(*args, **kwargs)
        except InputError as exc:  # NotFound is one
            raise ep.RpcError(ep.BAD_REQUEST, str(exc)) from None
    return call


class _Handler(socketserver.StreamRequestHandler):
    server: ElectrumServer

    def handle(self) -> None:
        methods = self.server.backend.methods()
        while True:
            line = self.rfile.readline(ep.MAX_LINE + 1)
            if not line:
                return
            if not line.strip():
                continue
            answer = ep.handle_line(line, methods)
            if answer is not None:
                self.wfile.write(answer)
                self.wfile.flush()


class ElectrumServer(socketserver.ThreadingTCPServer):
    """A threaded TCP server, one thread per client connection."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, backend: RehearsalElectrum, host: str = "127.0.0.1", port: int = 50001) -> None:
        if host not in LOOPBACK:
            raise InputError(f"the rehearsal Electrum server listens on loopback only, not {host!r}", field="host")
        self.backend = backend
        try:
            super().__init__((host, port), _Handler)
        except OSError as exc:
            raise InputError(f"cannot listen on {host}:{port}: {exc.strerror}", field="port") from None

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"tcp://{host.decode() if isinstance(host, bytes) else host}:{port}"

    def start(self) -> threading.Thread:
        """Serve on a background thread (tests, the bench); `shutdown()` stops it."""
        thread = threading.Thread(target=self.serve_forever, name="rehearsal-electrum", daemon=True)
        thread.start()
        return thread
