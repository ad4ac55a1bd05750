"""The Electrum wire format: merkle branches that prove the rehearsal merkle root, JSON-RPC lines and batches,
and the rehearsal server's answers to malformed requests (an error answer; the connection stays usable)."""

from __future__ import annotations

import hashlib
import json
import socket
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from biplomacy.core.config import Settings
from biplomacy.core.permissions import Actor
from biplomacy.reserve.rehearsal import chain
from biplomacy.reserve.rehearsal.electrum_server import ElectrumServer, RehearsalElectrum
from biplomacy.reserve.rehearsal.model import consensus as rc
from biplomacy.reserve.rehearsal.model import electrum_protocol as ep
from biplomacy.store.db import Store

ADMIN = Actor("admin", "admin")
TXIDS = st.lists(st.binary(min_size=32, max_size=32).map(bytes.hex), min_size=1, max_size=40, unique=True)


@given(TXIDS, st.data())
def test_every_branch_proves_the_block_merkle_root(txids: list[str], data: st.DataObject) -> None:
    pos = data.draw(st.integers(0, len(txids) - 1))
    branch = ep.merkle_branch(txids, pos)
    assert ep.merkle_root_from_branch(txids[pos], branch, pos) == rc.merkle_root(txids)[::-1].hex()
    wrong = (pos + 1) % len(txids)
    if wrong != pos:
        assert ep.merkle_root_from_branch(txids[wrong], branch, pos) != rc.merkle_root(txids)[::-1].hex()


def test_script_hash_is_sha256_reversed() -> None:
    script = bytes.fromhex("0014751e76e8199196d454941c45d1b3a323f1433bd6")
    assert ep.electrum_scripthash(script) == hashlib.sha256(script).digest()[::-1].hex()
    assert ep.esplora_scripthash(ep.electrum_scripthash(script)) == hashlib.sha256(script).hexdigest()


def call(line: bytes) -> Any:
    def broken() -> None:
        raise RuntimeError("a bug")
    methods: dict[str, ep.Method] = {"add": lambda a, b: a + b, "hex": lambda v: ep.hex64(v, "v"), "broken": broken}
    answer = ep.handle_line(line, methods)
    return None if answer is None else json.loads(answer)


def test_json_rpc_lines_batches_and_errors() -> None:
    assert call(b'{"jsonrpc":"2.0","id":7,"method":"add","params":[2,3]}') == {"jsonrpc": "2.0", "id": 7,
                                                                                "result": 5}
    batch = call(b'[{"id":1,"method":"add","params":[1,1]},{"id":2,"method":"nope","params":[]},'
                 b'{"method":"add","params":[0,0]}]')
    assert [a["id"] for a in batch] == [1, 2]  # the notification (no id) gets no answer
    assert batch[0]["result"] == 2 and batch[1]["error"]["code"] == ep.METHOD_NOT_FOUND
    assert call(b"{not json")["error"]["code"] == ep.PARSE_ERROR
    assert call(b"[]")["error"]["code"] == ep.INVALID_REQUEST
    assert call(b'"a string"')["error"]["code"] == ep.INVALID_REQUEST
    assert call(b'{"id":1,"method":"add","params":[1]}')["error"]["code"] == ep.INVALID_PARAMS
    assert call(b'{"id":1,"method":"add","params":"12"}')["error"]["code"] == ep.INVALID_PARAMS
    assert call(b'{"id":1,"method":"hex","params":["xyz"]}')["error"] == {"code": ep.INVALID_PARAMS,
                                                                          "message": "v must be 64 hex digits"}
    assert call(b'{"method":"add","params":[1,2]}') is None
    assert call(b'{"id":1,"method":"add","params":{"a":1,"b":2}}')["result"] == 3
    assert call(b" " * (ep.MAX_LINE + 1))["error"]["code"] == ep.INVALID_REQUEST
    assert call(b'{"id":1,"method":"broken","params":[]}')["error"] == {"code": ep.INTERNAL_ERROR,
                                                                        "message": "internal error (RuntimeError)"}


@pytest.fixture
def served(store: Store, settings: Settings) -> Iterator[socket.socket]:
    server = ElectrumServer(RehearsalElectrum(store, settings.network), "127.0.0.1", 0)
    server.start()
    with socket.create_connection(server.server_address[:2], timeout=30) as conn:
        yield conn
    server.shutdown()
    server.server_close()


def ask(conn: socket.socket, payload: bytes) -> Any:
    """Send one line and read its answer, passing over the notifications the server pushes meanwhile."""
    conn.sendall(payload + b"\n")
    reader = conn.makefile("rb")
    while True:
        answer = json.loads(reader.readline())
        if not (isinstance(answer, dict) and "method" in answer):
            return answer


def test_the_rehearsal_server_answers_bad_requests_and_keeps_the_connection(store: Store, settings: Settings,
                                                                             served: socket.socket) -> None:
    from embit.script import address_to_scriptpubkey

    from biplomacy.core.networks import embit_network

    address = rc.address_of(bytes.fromhex("0014" + "11" * 20), embit_network("regtest"))
    txid = chain.fund(store, ADMIN, "regtest", address, "0.5").txid
    chain.mine(store, ADMIN, 3)
    scripthash = ep.electrum_scripthash(address_to_scriptpubkey(address).data)
    assert ask(served, b"garbage")["error"]["code"] == ep.PARSE_ERROR
    assert ask(served, b'{"id":1,"method":"blockchain.block.header","params":[99]}')["error"]["code"] == ep.BAD_REQUEST
    assert "non-negative" in ask(served, b'{"id":2,"method":"blockchain.block.header","params":[-1]}')["error"][
        "message"]
    replies = ask(served, json.dumps([
        {"id": 3, "method": "server.version", "params": ["test", "1.4"]},
        {"id": 4, "method": "blockchain.scripthash.get_history", "params": [scripthash]},
        {"id": 5, "method": "blockchain.scripthash.get_balance", "params": [scripthash]},
        {"id": 6, "method": "blockchain.scripthash.listunspent", "params": [scripthash]},
        {"id": 7, "method": "blockchain.transaction.get_merkle", "params": [txid, 2]},
        {"id": 8, "method": "blockchain.transaction.get", "params": [txid, True]},
        {"id": 9, "method": "blockchain.block.headers", "params": [0, 10]},
        {"id": 10, "method": "blockchain.estimatefee", "params": [6]},
        {"id": 11, "method": "blockchain.scripthash.subscribe", "params": [scripthash]},
    ]).encode())
    by_id = {r["id"]: r for r in replies}
    assert by_id[3]["result"] == ["biplomacy-rehearsal 1.0", "1.4"]
    assert by_id[4]["result"] == [{"height": 1, "tx_hash": txid}]
    assert by_id[5]["result"] == {"confirmed": 50_000_000, "unconfirmed": 0}
    assert by_id[6]["result"] == [{"tx_hash": txid, "tx_pos": 0, "value": 50_000_000, "height": 1}]
    assert "not in block at height 2" in by_id[7]["error"]["message"]
    verbose = by_id[8]["result"]
    assert verbose["txid"] == txid and verbose["confirmations"] == 3 and verbose["vout"][0]["value"] == 0.5
    assert by_id[9]["result"]["count"] == 4 and len(by_id[9]["result"]["hex"]) == 4 * 160
    assert by_id[10]["result"] == 0.00002  # 2 sat/vB, the rehearsal chain's flat rate, in BTC per kvB
    assert by_id[11]["result"] == hashlib.sha256(f"{txid}:1:".encode()).hexdigest()
    proof = ask(served, json.dumps({"id": 12, "method": "blockchain.transaction.get_merkle",
                                    "params": [txid, 1]}).encode())["result"]
    header = bytes.fromhex(ask(served, b'{"id":13,"method":"blockchain.block.header","params":[1]}')["result"])
    assert ep.merkle_root_from_branch(txid, proof["merkle"], proof["pos"]) == header[36:68][::-1].hex()
    assert ask(served, b'{"id":14,"method":"server.ping","params":[]}')["result"] is None
    chain.reorg(store, ADMIN, 3)  # the block is gone: an error answer, and the connection still serves
    gone = ask(served, json.dumps({"id": 15, "method": "blockchain.transaction.get_merkle",
                                   "params": [txid, 1]}).encode())
    assert gone["error"] == {"code": ep.BAD_REQUEST, "message": f"tx {txid} not in any block"}
    assert ask(served, b'{"id":16,"method":"blockchain.headers.subscribe","params":[]}')["result"]["height"] == 0
