"""The ceremony with an independent signer library: buidl (PyPI; its own secp256k1 arithmetic, PSBT parser,
BIP-143 sighash and finaliser, none of it embit's, BDK's or ours) signs the proposal's PSBT as three signers'
devices would, combines and finalises it; the coordinator takes each PSBT and the finished transaction, and the
rehearsal chain accepts buidl's transaction as a node would."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from buidl.hd import HDPrivateKey
from buidl.psbt import PSBT as BuidlPSBT

from biplomacy.reserve.rehearsal import chain
from biplomacy.store.db import Store
from tests.reserve.custody.conftest import Signer
from tests.reserve.custody.test_ceremony import funded_treasury, ok, write


def buidl_sign(psbt_b64: str, signer: Signer) -> BuidlPSBT:
    psbt = BuidlPSBT.parse_base64(psbt_b64, network="testnet")  # regtest keys are testnet's tpubs
    assert psbt.validate()
    assert psbt.sign(HDPrivateKey.parse(signer.root.to_string()))
    return psbt


def test_three_buidl_signers_and_buidl_s_finished_transaction_complete_the_ceremony(
        cli: Any, tmp_path: Path, store: Store, signers: list[Signer], treasury_descriptor: str, cold_descriptor: str) -> None:
    _, cold = funded_treasury(cli, treasury_descriptor, cold_descriptor)
    proposal = ok(cli("reserve", "spend", "propose", "treasury", "--to", cold, "--amount", "1", "--purpose",
                      "to cold storage", "--json"))
    signed = [buidl_sign(proposal["psbt"], s) for s in signers[2:5]]
    first = ok(cli("reserve", "spend", "submit", proposal["id"], "--psbt",
                   write(tmp_path, "b0.psbt", signed[0].serialize_base64()), "--json"))
    assert first["accepted"] and first["new_signers"] == [signers[2].fingerprint]

    combined = signed[0]
    for other in signed[1:]:
        combined.combine(other)
    combined.finalize()
    finished = combined.final_tx().serialize().hex()
    receipt = ok(cli("reserve", "spend", "submit", proposal["id"], "--psbt", write(tmp_path, "final.txn", finished),
                     "--json"))
    assert receipt["accepted"] and receipt["ready"]
    assert sorted(receipt["new_signers"]) == sorted(s.fingerprint for s in signers[3:5])

    accepted = chain.broadcast(store, "regtest", finished)  # buidl's own bytes, judged as a node judges them
    txid = ok(cli("reserve", "spend", "broadcast", proposal["id"], "--json"))["txid"]
    assert txid == accepted  # BDK's finalised spend is the same transaction (its witness may differ)
