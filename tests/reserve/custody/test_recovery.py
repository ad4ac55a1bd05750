"""A recovery, rehearsed end to end through the CLI (JOURNEYS step 3, issue #14): a 3-of-5 treasury whose
recovery path, a 2-of-3 of the central bank, the auditor general and a court-appointed custodian, opens
TIMELOCK blocks after a coin confirmed. Three of the five primary keys are lost; the recovery quorum signs with
buidl (an independent signer library); too early, we refuse with the blocks left and so does the chain."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from buidl.hd import HDPrivateKey
from buidl.psbt import PSBT as BuidlPSBT
from embit.psbt import PSBT
from embit.script import Script, Witness
from embit.transaction import SIGHASH, Transaction, TransactionInput, TransactionOutput

from biplomacy.core.errors import InputError
from biplomacy.reserve.model.recovery_policy import parse_wallet
from biplomacy.reserve.rehearsal import chain
from biplomacy.store.db import Store
from tests.reserve.custody.conftest import Signer
from tests.reserve.custody.recovery_fixtures import TIMELOCK, design_file, fund, recovery_signers
from tests.reserve.custody.test_ceremony import ok, snapshot, write


def buidl_sign(psbt_b64: str, signer: Signer) -> str:
    psbt = BuidlPSBT.parse_base64(psbt_b64, network="testnet")
    assert psbt.validate()
    assert psbt.sign(HDPrivateKey.parse(signer.root.to_string())), "buidl found no key of this signer to sign"
    return str(psbt.serialize_base64())


def add_recovery_treasury(cli: Any, tmp_path: Path, signers: list[Signer], script: str = "wsh") -> dict[str, Any]:
    designed = ok(cli("reserve", "wallet", "design", "--file", str(design_file(tmp_path, signers, script=script)),
                      "--json"))
    return ok(cli("reserve", "wallet", "add", "treasury", "--descriptor", designed["descriptor"], "--json"))


def test_wallet_add_lists_the_primary_and_recovery_paths(cli: Any, tmp_path: Path, signers: list[Signer]) -> None:
    added = add_recovery_treasury(cli, tmp_path, signers)
    assert (added["threshold"], added["signers"]) == (3, [s.fingerprint for s in signers])
    primary, recovery = added["paths"]
    assert {k: primary[k] for k in ("name", "threshold", "keys", "timelock_blocks")} == {
        "name": "primary", "threshold": 3, "keys": [s.fingerprint for s in signers], "timelock_blocks": None}
    assert {k: recovery[k] for k in ("name", "threshold", "keys", "timelock_blocks")} == {
        "name": "recovery", "threshold": 2, "keys": [s.fingerprint for s in recovery_signers(signers)],
        "timelock_blocks": TIMELOCK}
    assert f"once a coin has been in the wallet for {TIMELOCK} blocks" in recovery["words"]


def test_lose_three_keys_mine_past_the_timelock_recover_with_the_recovery_quorum(
        cli: Any, db_url: str, tmp_path: Path, store: Store, signers: list[Signer], cold_descriptor: str) -> None:
    add_recovery_treasury(cli, tmp_path, signers)
    ok(cli("reserve", "wallet", "add", "cold", "--descriptor", cold_descriptor, "--json"))
    funded_at, _ = fund(cli, "treasury", [("1.5", "seizure"), ("0.25", "purchase")])
    cold = ok(cli("reserve", "address", "cold", "--json"))["address"]
    spend = ("reserve", "spend", "propose", "treasury", "--to", cold, "--amount", "1", "--purpose",
             "recover the reserve after three keys were lost", "--path", "recovery", "--json")

    # too early: refused with the blocks left (exit 2), and nothing stored
    before = snapshot(db_url)
    early = cli(*spend)
    assert early.exit_code == 2
    opens = funded_at + TIMELOCK - 1  # a node takes the spend once the tip is here (mined in the next block)
    assert f"enough coins open in {TIMELOCK - 1} blocks (at block {opens}" in early.stderr
    assert snapshot(db_url) == before
    ok(cli("reserve", "chain", "mine", str(TIMELOCK - 2), "--json"))
    assert "open in 1 blocks" in cli(*spend).stderr
    ok(cli("reserve", "chain", "mine", "1", "--json"))

    # the primary keys of three institutions are lost: the recovery quorum signs, with buidl
    proposal = ok(cli(*spend))
    assert (proposal["path"], proposal["kind"], proposal["threshold"]) == ("recovery", "spend", 2)
    unsigned = PSBT.from_base64(proposal["psbt"])
    assert all(i.sequence == TIMELOCK for i in unsigned.tx.vin)  # BIP-68: older(TIMELOCK) reads nSequence
    fps = {d.fingerprint.hex() for scope in unsigned.inputs for d in scope.bip32_derivations.values()}
    assert fps == {s.fingerprint for s in recovery_signers(signers)}  # the PSBT names the recovery path's keys only
    _, ag, court = recovery_signers(signers)
    first = ok(cli("reserve", "spend", "submit", proposal["id"], "--psbt",
                   write(tmp_path, "ag.psbt", buidl_sign(proposal["psbt"], ag)), "--json"))
    assert first["accepted"] and first["new_signers"] == [ag.fingerprint] and not first["ready"]
    second = ok(cli("reserve", "spend", "submit", proposal["id"], "--psbt",
                    write(tmp_path, "court.psbt", buidl_sign(proposal["psbt"], court)), "--json"))
    assert second["accepted"] and second["ready"] and second["path"] == "recovery"
    txid = ok(cli("reserve", "spend", "broadcast", proposal["id"], "--json"))["txid"]  # the chain judged it
    ok(cli("reserve", "chain", "mine", "1", "--json"))
    assert ok(cli("reserve", "sync", "cold", "--json"))["balance_btc"] == "1"
    left = ok(cli("reserve", "sync", "treasury", "--json"))["balance_sats"]
    assert left == 175_000_000 - 100_000_000 - proposal["fee_sats"]
    witness = Transaction.parse(bytes.fromhex(chain.tx_hex(store, txid))).vin[0].witness.items
    assert len([w for w in witness if len(w) > 60]) == 2 + 1  # two signatures and the witness script


def test_a_primary_signer_s_signature_on_a_recovery_spend_is_refused_by_name(
        cli: Any, tmp_path: Path, signers: list[Signer], cold_descriptor: str) -> None:
    add_recovery_treasury(cli, tmp_path, signers)
    ok(cli("reserve", "wallet", "add", "cold", "--descriptor", cold_descriptor, "--json"))
    fund(cli, "treasury", [("1", "seizure")])
    ok(cli("reserve", "chain", "mine", str(TIMELOCK), "--json"))
    cold = ok(cli("reserve", "address", "cold", "--json"))["address"]
    proposal = ok(cli("reserve", "spend", "propose", "treasury", "--to", cold, "--amount", "0.5", "--purpose", "r",
                      "--path", "recovery", "--json"))
    psbt = PSBT.from_base64(proposal["psbt"])
    assert psbt.tx.vin[0].sequence == TIMELOCK
    # the first primary signer's signature pasted into the recovery proposal: a key outside the recovery path
    wallet = parse_wallet(ok(cli("reserve", "wallet", "list", "--json"))[1]["descriptor"], "regtest")
    mine = wallet.path_keys_at(wallet.path("primary"), 0)[0]
    assert mine.fingerprint == signers[0].fingerprint
    msg = psbt.tx.sighash_segwit(0, psbt.inputs[0].witness_script, psbt.inputs[0].witness_utxo.value, SIGHASH.ALL)
    key = signers[0].root.derive(mine.path).key
    psbt.inputs[0].partial_sigs[key.get_public_key()] = key.sign(msg).serialize() + bytes([SIGHASH.ALL])
    refused = ok(cli("reserve", "spend", "submit", proposal["id"], "--psbt", write(tmp_path, "x.psbt", psbt.to_base64()),
                     "--json"))
    assert not refused["accepted"] and "outside the recovery path's keys" in refused["reason"]


def _early_spend(signers: list[Signer], descriptor: str, coin: tuple[str, int], sequence: int) -> str:
    """A recovery spend of the treasury's first coin (txid, sats), signed by the recovery quorum and finalised by
    hand with the given nSequence: what signers could broadcast on their own, past our checks."""
    wallet = parse_wallet(descriptor, "regtest")
    script = wallet.witness_script(0)
    tx = Transaction(version=2, vin=[TransactionInput(bytes.fromhex(coin[0]), 0, sequence=sequence)],
                     vout=[TransactionOutput(coin[1] - 2000, Script(wallet.script_pubkey(1)))])
    msg = tx.sighash_segwit(0, Script(script), coin[1], SIGHASH.ALL)
    by_fp = {s.fingerprint: s for s in recovery_signers(signers)}
    keys = wallet.path_keys_at(wallet.path("recovery"), 0)[1:]  # the auditor general and the custodian
    sigs = [by_fp[k.fingerprint].root.derive(k.path).key.sign(msg).serialize() + bytes([SIGHASH.ALL]) for k in keys]
    # the recovery multisig's satisfaction, the primary multisig's dissatisfaction (dummy, 3 empty) on top, the script
    tx.vin[0].witness = Witness([b"", *sigs, b"", b"", b"", b"", script])
    return str(tx.serialize().hex())


@pytest.mark.parametrize("sequence", [TIMELOCK, TIMELOCK - 1])
def test_the_chain_refuses_a_recovery_spend_before_its_timelock(
        cli: Any, tmp_path: Path, store: Store, signers: list[Signer], sequence: int) -> None:
    added = add_recovery_treasury(cli, tmp_path, signers)
    _, (txid,) = fund(cli, "treasury", [("1", "seizure")])
    ok(cli("reserve", "chain", "mine", str(TIMELOCK - 3), "--json"))
    raw = _early_spend(signers, added["descriptor"], (txid, 100_000_000), sequence)
    with pytest.raises(InputError) as refused:
        chain.broadcast(store, "regtest", raw)
    assert "non-BIP68-final" in str(refused.value)  # BIP-68: the coin is not that old yet
    ok(cli("reserve", "chain", "mine", "3", "--json"))
    if sequence == TIMELOCK:
        assert chain.broadcast(store, "regtest", raw)  # the same transaction, once the timelock has passed
    else:  # old enough for its nSequence, but below the script's older(): CHECKSEQUENCEVERIFY fails at any height
        with pytest.raises(InputError, match=f"needs age {TIMELOCK}"):
            chain.broadcast(store, "regtest", raw)


def test_a_taproot_recovery_spends_by_its_own_leaf_once_the_timelock_has_passed(
        cli: Any, tmp_path: Path, store: Store, signers: list[Signer], cold_descriptor: str) -> None:
    """The recovery path on its own leaf: too early refused, then its PSBT carries that leaf only (BIP-371) and the
    timelock as nSequence; two recovery signers sign it with embit (Schnorr) and the chain takes it."""
    add_recovery_treasury(cli, tmp_path, signers, script="tr")
    ok(cli("reserve", "wallet", "add", "cold", "--descriptor", cold_descriptor, "--json"))
    fund(cli, "treasury", [("0.8", "seizure")])
    cold = ok(cli("reserve", "address", "cold", "--json"))["address"]
    spend = ("reserve", "spend", "propose", "treasury", "--to", cold, "--amount", "0.5", "--purpose", "recovery",
             "--path", "recovery", "--json")
    early = cli(*spend)
    assert early.exit_code == 2 and f"open in {TIMELOCK - 1} blocks" in early.stderr
    ok(cli("reserve", "chain", "mine", str(TIMELOCK - 1), "--json"))
    proposal = ok(cli(*spend))
    psbt = PSBT.from_base64(proposal["psbt"])
    assert psbt.tx.vin[0].sequence == TIMELOCK
    (leaf,) = psbt.inputs[0].taproot_scripts.values()  # one leaf: the recovery path's, with its older()
    assert leaf[-1] == 0xC0 and bytes([TIMELOCK, 0xB2]) in leaf  # <20> OP_CHECKSEQUENCEVERIFY
    fps = {d[1].fingerprint.hex() for d in psbt.inputs[0].taproot_bip32_derivations.values()}
    assert fps == {s.fingerprint for s in recovery_signers(signers)}
    for k, who in enumerate(recovery_signers(signers)[1:]):
        receipt = ok(cli("reserve", "spend", "submit", proposal["id"], "--psbt",
                         write(tmp_path, f"tr{k}.psbt", who.sign(proposal["psbt"])), "--json"))
        assert receipt["accepted"], receipt["reason"]
    assert receipt["ready"]
    txid = ok(cli("reserve", "spend", "broadcast", proposal["id"], "--json"))["txid"]
    witness = Transaction.parse(bytes.fromhex(chain.tx_hex(store, txid))).vin[0].witness.items
    assert len([w for w in witness if len(w) == 64]) == 2  # two Schnorr signatures on the recovery leaf
