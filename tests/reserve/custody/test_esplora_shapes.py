"""The rehearsal chain's Esplora API answers in the shapes of a public Esplora: each route's JSON compared, key by key
(order and value types), with answers recorded from mempool.space and blockstream.info
(fixtures/esplora-recorded.json says where each came from), and the script assembly text checked against the
recorded transaction's own scripts."""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import pytest

from biplomacy.core.config import Settings
from biplomacy.reserve.rehearsal.model import script_asm
from biplomacy.reserve.rehearsal.web import rehearsal_app
from biplomacy.store.db import Store
from tests.reserve.custody.conftest import Signer
from tests.reserve.custody.test_ceremony import funded_treasury, ok, write

RECORDED = json.loads((Path(__file__).parent / "fixtures" / "esplora-recorded.json").read_text())
# Keys mempool.space adds to Esplora's transaction (its own fields, not Blockstream's API.md)
MEMPOOL_SPACE_EXTRAS = {"sigops", "order", "vsize", "adjustedVsize", "feePerVsize", "adjustedFeePerVsize",
                        "effectiveFeePerVsize", "firstSeen", "inputs", "cpfpDirty", "ancestors", "descendants",
                        "bestDescendant", "position", "flags"}
# API.md's input keys that depend on the script spent (a legacy input has no witness; only P2SH has a redeem script)
OPTIONAL_INPUT_KEYS = {"witness", "inner_redeemscript_asm", "inner_witnessscript_asm"}
JSON_TYPES = {bool: "bool", int: "number", float: "number", str: "string", type(None): "null", list: "array",
              dict: "object"}


def same_shape(ours: dict[str, Any], recorded: dict[str, Any], where: str, optional: set[str] = frozenset(),
               extras: set[str] = frozenset()) -> None:
    """Every recorded key (but `extras`) is ours, in the same order, with a value of the same JSON type; ours has
    no key the recorded answer lacks but `optional` ones."""
    theirs = [k for k in recorded if k not in extras]
    missing = [k for k in theirs if k not in ours and k not in optional]
    assert not missing, f"{where}: keys missing: {missing}"
    unknown = [k for k in ours if k not in recorded and k not in optional and not k.startswith("x_rehearsal")]
    assert not unknown, f"{where}: keys the public Esplora does not answer: {unknown}"
    shared = [k for k in theirs if k in ours]
    assert shared == [k for k in ours if k in shared], f"{where}: key order differs"
    for k in shared:
        if recorded[k] is not None and ours[k] is not None:
            assert JSON_TYPES[type(ours[k])] == JSON_TYPES[type(recorded[k])], f"{where}.{k}: value type differs"


@pytest.fixture
def served(cli: Any, tmp_path: Path, settings: Settings, store: Store, signers: list[Signer], treasury_descriptor: str,
           cold_descriptor: str) -> tuple[Any, str, str]:
    """A rehearsal chain with a confirmed P2WSH spend; its Esplora API, the spend's txid and the cold address."""
    _, cold = funded_treasury(cli, treasury_descriptor, cold_descriptor)
    proposal = ok(cli("reserve", "spend", "propose", "treasury", "--to", cold, "--amount", "1", "--purpose", "x",
                      "--json"))
    for k, s in enumerate(signers[:3]):
        ok(cli("reserve", "spend", "submit", proposal["id"], "--psbt",
               write(tmp_path, f"{k}.psbt", s.sign(proposal["psbt"])), "--json"))
    txid = ok(cli("reserve", "spend", "broadcast", proposal["id"], "--json"))["txid"]
    ok(cli("reserve", "chain", "mine", "1", "--json"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from starlette.testclient import TestClient
    client = TestClient(rehearsal_app(store, settings), base_url="http://rehearsal/api/v1/rehearsal/esplora")
    return client, txid, cold


def test_transactions_and_their_scripts_read_as_a_public_esplora_writes_them(served: tuple[Any, str, str]) -> None:
    client, txid, _ = served
    tx = client.get(f"/tx/{txid}").json()
    recorded = RECORDED["GET /tx/:txid"]
    same_shape(tx, recorded, "tx", extras=MEMPOOL_SPACE_EXTRAS)
    same_shape(tx["vin"][0], recorded["vin"][0], "tx.vin[]", optional=OPTIONAL_INPUT_KEYS)
    same_shape(tx["vin"][0]["prevout"], recorded["vin"][0]["prevout"], "tx.vin[].prevout")
    same_shape(tx["vout"][0], recorded["vout"][0], "tx.vout[]")
    same_shape(tx["status"], recorded["status"], "tx.status")
    assert tx["vin"][0]["prevout"]["scriptpubkey_type"] == "v0_p2wsh"
    assert tx["vin"][0]["inner_witnessscript_asm"].endswith("OP_PUSHNUM_5 OP_CHECKMULTISIG")
    for item in recorded["vin"]:  # the assembly text of the recorded scripts, written by our code
        prev = bytes.fromhex(item["prevout"]["scriptpubkey"])
        assert script_asm.asm(prev) == item["prevout"]["scriptpubkey_asm"]
        assert script_asm.script_type(prev) == item["prevout"]["scriptpubkey_type"]
        assert script_asm.asm(bytes.fromhex(item["scriptsig"])) == item["scriptsig_asm"]
        redeem = item["scriptsig_asm"].split()[-1]
        assert script_asm.asm(bytes.fromhex(redeem)) == item["inner_redeemscript_asm"]
    for out in recorded["vout"]:
        assert script_asm.asm(bytes.fromhex(out["scriptpubkey"])) == out["scriptpubkey_asm"]
        assert script_asm.script_type(bytes.fromhex(out["scriptpubkey"])) == out["scriptpubkey_type"]


def test_addresses_outspends_proofs_mempool_blocks_and_fees_answer_in_esplora_s_shapes(
        served: tuple[Any, str, str]) -> None:
    client, txid, cold = served
    address = client.get(f"/address/{cold}").json()
    same_shape(address, RECORDED["GET /address/:address"], "address")
    for part in ("chain_stats", "mempool_stats"):
        same_shape(address[part], RECORDED["GET /address/:address"][part], f"address.{part}")
    assert address["chain_stats"]["funded_txo_sum"] == 100_000_000 and address["chain_stats"]["tx_count"] == 1
    utxo = client.get(f"/address/{cold}/utxo").json()
    same_shape(utxo[0], RECORDED["GET /address/:address/utxo"][0], "utxo[]")

    funding = client.get(f"/tx/{txid}").json()["vin"][0]["txid"]
    outspends = client.get(f"/tx/{funding}/outspends").json()
    same_shape(outspends[0], RECORDED["GET /tx/:txid/outspends"][0], "outspends[]")
    assert outspends[0]["txid"] == txid and outspends[0]["vin"] == 0
    assert client.get(f"/tx/{txid}/outspends").json()[0] == {"spent": False}

    proof = client.get(f"/tx/{txid}/merkle-proof").json()
    same_shape(proof, RECORDED["GET /tx/:txid/merkle-proof"], "merkle-proof")
    assert len(client.get(f"/tx/{txid}/merkleblock-proof").text) >= 2 * (80 + 4 + 1 + 32 + 2)

    for key in ("GET /mempool", "GET /mempool (blockstream.info)"):
        same_shape(client.get("/mempool").json(), RECORDED[key], "mempool")
    tip_hash = client.get("/blocks/tip/hash").text
    same_shape(client.get(f"/block/{tip_hash}").json(), RECORDED["GET /block/:hash"], "block")
    assert txid in client.get(f"/block/{tip_hash}/txids").json()

    fees = client.get("/fee-estimates").json()
    assert list(fees) == [str(k) for k in (*range(1, 26), 144, 504, 1008)]
    recorded_fees = RECORDED["GET /fee-estimates (blockstream.info)"]
    assert set(recorded_fees) <= set(fees) and all(isinstance(v, float) for v in fees.values())


def _extract_root(proof: bytes) -> tuple[bytes, list[bytes]]:
    """BIP-37's extraction of a partial merkle tree (as bitcoind's CPartialMerkleTree::ExtractMatches reads it)."""
    import hashlib

    n = int.from_bytes(proof[:4], "little")
    count, pos = proof[4], 5
    hashes = [proof[pos + 32 * i:pos + 32 * (i + 1)] for i in range(count)]
    pos += 32 * count
    flag_bytes = proof[pos + 1:pos + 1 + proof[pos]]
    bits = [bool(flag_bytes[i // 8] >> (i % 8) & 1) for i in range(8 * len(flag_bytes))]
    used = {"bits": 0, "hashes": 0}
    matched: list[bytes] = []

    def width(h: int) -> int:
        return (n + (1 << h) - 1) >> h

    def walk(h: int, p: int) -> bytes:
        flag = bits[used["bits"]]
        used["bits"] += 1
        if h == 0 or not flag:
            node = hashes[used["hashes"]]
            used["hashes"] += 1
            if h == 0 and flag:
                matched.append(node)
            return node
        left = walk(h - 1, 2 * p)
        right = walk(h - 1, 2 * p + 1) if 2 * p + 1 < width(h - 1) else left
        return hashlib.sha256(hashlib.sha256(left + right).digest()).digest()

    top = 0
    while width(top) > 1:
        top += 1
    return walk(top, 0), matched


@pytest.mark.parametrize("count, index", [(1, 0), (2, 1), (5, 3), (7, 6), (11, 4)])
def test_the_merkleblock_proof_proves_its_transaction_under_the_block_s_root(count: int, index: int) -> None:
    from biplomacy.reserve.rehearsal.model import consensus as rc

    txids = [bytes([i + 1]) .hex() * 32 for i in range(count)]
    root, matched = _extract_root(rc.partial_merkle_tree(txids, index))
    assert root == rc.merkle_root(txids) and matched == [bytes.fromhex(txids[index])[::-1]]
