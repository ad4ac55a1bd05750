"""The rehearsal Electrum server speaks protocol 1.4 as ElectrumX does: version negotiation, server.features, the
fee histogram, checkpoint proofs, id_from_pos, get_mempool, unsubscribe; and it pushes headers and scripthash
notifications when a block is mined, a transaction enters the mempool, or a reorg happens (the chain changing
from outside the server, as `reserve chain mine` in another process does)."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from typing import Any

import pytest
from embit.script import address_to_scriptpubkey

from biplomacy.core.networks import embit_network
from biplomacy.core.permissions import Actor
from biplomacy.reserve.rehearsal import chain
from biplomacy.reserve.rehearsal.model import consensus as rc
from biplomacy.reserve.rehearsal.model import electrum_protocol as ep
from biplomacy.store.db import Store

ADMIN = Actor("admin", "admin")


class Client:
    """A line-based JSON-RPC client that keeps the notifications it reads while waiting for answers."""

    def __init__(self, conn: socket.socket) -> None:
        self.conn, self.reader, self.next_id = conn, conn.makefile("rb"), 0
        self.notes: list[dict[str, Any]] = []

    def call(self, method: str, *params: Any) -> Any:
        self.next_id += 1
        self.conn.sendall(json.dumps({"jsonrpc": "2.0", "id": self.next_id, "method": method,
                                      "params": list(params)}).encode() + b"\n")
        while True:
            doc = json.loads(self.reader.readline())
            if "method" in doc:
                self.notes.append(doc)
                continue
            assert doc["id"] == self.next_id
            return doc.get("result", doc.get("error"))

    def wait_note(self, method: str) -> list[Any]:
        """The params of the next notification of `method` (the server polls the chain twice a second)."""
        for note in self.notes:
            if note["method"] == method:
                self.notes.remove(note)
                return list(note["params"])
        while True:
            doc = json.loads(self.reader.readline())  # the socket's timeout fails the test if none comes
            if doc.get("method") == method:
                return list(doc["params"])
            self.notes.append(doc)


@pytest.fixture
def client(electrum_url: str) -> Iterator[Client]:
    host, port = electrum_url.removeprefix("tcp://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as conn:
        yield Client(conn)


def _scripthash(address: str) -> str:
    return ep.electrum_scripthash(address_to_scriptpubkey(address).data)


def test_headers_and_scripthash_notifications_on_block_mempool_and_reorg(store: Store, client: Client) -> None:
    address = rc.address_of(bytes.fromhex("0014" + "22" * 20), embit_network("regtest"))
    sh = _scripthash(address)
    assert client.call("server.version", "electrum/4.3.4", "1.4") == ["biplomacy-rehearsal 1.0", "1.4"]
    assert client.call("blockchain.headers.subscribe")["height"] == 0
    assert client.call("blockchain.scripthash.subscribe", sh) is None

    funded = chain.fund(store, ADMIN, "regtest", address, "0.25")  # enters the mempool
    assert client.wait_note("blockchain.scripthash.subscribe") == [
        sh, ep.script_status([(funded.txid, 0)])]
    assert client.call("blockchain.scripthash.get_mempool", sh) == [{"height": 0, "tx_hash": funded.txid,
                                                                     "fee": 0}]

    mined = chain.mine(store, ADMIN, 1)
    header = client.wait_note("blockchain.headers.subscribe")[0]
    assert header == {"height": 1, "hex": chain.header_at(store, 1).hex()} and mined.height == 1
    assert client.wait_note("blockchain.scripthash.subscribe") == [sh, ep.script_status([(funded.txid, 1)])]

    chain.reorg(store, ADMIN, 1)  # the block and its payment vanish
    assert client.wait_note("blockchain.headers.subscribe")[0]["height"] == 0
    assert client.wait_note("blockchain.scripthash.subscribe") == [sh, None]
    assert client.call("blockchain.scripthash.unsubscribe", sh) is True
    assert client.call("blockchain.scripthash.unsubscribe", sh) is False


def test_the_methods_electrum_sparrow_and_bdk_call_answer_as_electrumx_does(store: Store, client: Client) -> None:
    addresses = [rc.address_of(bytes.fromhex("0014" + f"{i:02x}" * 20), embit_network("regtest")) for i in range(3)]
    txids = [chain.fund(store, ADMIN, "regtest", a, "0.1").txid for a in addresses]
    chain.mine(store, ADMIN, 4)

    assert client.call("server.version", "Sparrow", ["1.2", "1.4"]) == ["biplomacy-rehearsal 1.0", "1.4"]
    assert client.call("server.version", "old", "1.2")["code"] == ep.BAD_REQUEST  # unsupported: refused
    features = client.call("server.features")
    assert features["genesis_hash"] == rc.genesis_hash() and features["protocol_max"] == "1.4.2"
    assert features["hash_function"] == "sha256"
    for method in ("server.banner", "server.donation_address"):
        assert isinstance(client.call(method), str)
    assert client.call("server.peers.subscribe") == [] and client.call("server.ping") is None
    assert client.call("mempool.get_fee_histogram") == []  # a quiet mempool, as ElectrumX answers it
    assert client.call("blockchain.relayfee") == 0.00001 and client.call("blockchain.estimatefee", 2) == 0.00002

    assert client.call("blockchain.transaction.id_from_pos", 1, 2) == txids[2]
    with_proof = client.call("blockchain.transaction.id_from_pos", 1, 1, True)
    header = bytes.fromhex(client.call("blockchain.block.header", 1))
    assert ep.merkle_root_from_branch(txids[1], with_proof["merkle"], 1) == header[36:68][::-1].hex()

    # checkpoint proofs: header 3's hash under the root of the header hashes 0..4 (ElectrumX's cp_height)
    proof = client.call("blockchain.block.header", 3, 4)
    assert proof["header"] == chain.header_at(store, 3).hex()
    assert ep.merkle_root_from_branch(rc.block_hash_of(bytes.fromhex(proof["header"])), proof["branch"], 3) == \
        proof["root"]
    chunk = client.call("blockchain.block.headers", 0, 5, 4)
    assert chunk["count"] == 5 and chunk["root"] == proof["root"]


def test_the_fee_histogram_is_electrumx_s_compact_one() -> None:
    rates = [(50.0, 60_000), (40.0, 60_000), (10.05, 250_000), (2.0, 30_000), (1.0, 90_000)]
    assert ep.fee_histogram(rates) == [[40.0, 120_000], [10.0, 250_000]]  # the rest is under a bin
    assert ep.fee_histogram([]) == []
    assert ep.negotiate(["1.3", "1.4.2"]) == "1.4.2" and ep.negotiate("1.4") == "1.4"
