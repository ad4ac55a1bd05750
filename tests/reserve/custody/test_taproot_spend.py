"""Spending from taproot multisig wallets: a 2-of-3 tr(H, sortedmulti_a) / tr(H, multi_a) spend end to end
through the CLI, the same refusals as P2WSH uploads, and the rehearsal chain checking P2TR script-path spends.

Signers sign with embit's PSBT signer (as their own software would); the broadcast witness is checked against
a computation made here from the PSBT fields and embit's own taproot sighash.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from embit import compact, ec, hashes
from embit.psbt import PSBT
from embit.script import Script, Witness
from embit.transaction import SIGHASH, Transaction, TransactionInput, TransactionOutput

from biplomacy.core.errors import InputError
from biplomacy.reserve.model import spend_psbt as sp
from biplomacy.reserve.model import taproot_spend as tap
from biplomacy.reserve.model.descriptors import NUMS_H, parse_descriptor
from biplomacy.reserve.rehearsal import chain
from biplomacy.reserve.rehearsal.model import consensus as rc
from biplomacy.store.db import Store
from tests.reserve.custody.conftest import make_signer, multisig
from tests.reserve.custody.test_bad_input import refused
from tests.reserve.custody.test_ceremony import ok, snapshot, write
from tests.reserve.custody.test_taproot import SIGNERS, taproot

COLD = multisig(2, [make_signer(f"cold-{i}") for i in range(3)])
SIGNERS_KEY = SIGNERS[0].root.derive("m/48h/1h/0h/2h/0/4").key.xonly().hex()


def funded(cli: Any, kind: str = "sortedmulti_a", name: str = "tap", btc: str = "0.8") -> str:
    """Import a 2-of-3 taproot wallet (keys given reversed, so multi_a's order is not the sorted one) and a cold
    wallet, fund the taproot one, mine, sync; return a cold address."""
    ok(cli("reserve", "wallet", "add", name, "--descriptor", taproot(2, SIGNERS[::-1], kind), "--json"))
    ok(cli("reserve", "wallet", "add", "cold", "--descriptor", COLD, "--json"))
    ok(cli("reserve", "chain", "fund", ok(cli("reserve", "address", name, "--json"))["address"], btc, "--json"))
    ok(cli("reserve", "chain", "mine", "1", "--json"))
    ok(cli("reserve", "sync", name, "--json"))
    return str(ok(cli("reserve", "address", "cold", "--json"))["address"])


def propose(cli: Any, to: str, amount: str = "0.5", name: str = "tap") -> dict[str, Any]:
    return dict(ok(cli("reserve", "spend", "propose", name, "--to", to, "--amount", amount, "--purpose", "cold",
                       "--json")))


def sign(signer_index: int, psbt_b64: str, sighash: int = SIGHASH.DEFAULT) -> str:
    psbt = PSBT.from_base64(psbt_b64)
    assert psbt.sign_with(SIGNERS[signer_index].root, sighash=sighash) > 0
    return str(psbt.to_base64())


def submit(cli: Any, tmp_path: Path, pid: str, psbt_b64: str, name: str) -> dict[str, Any]:
    return dict(ok(cli("reserve", "spend", "submit", pid, "--psbt", write(tmp_path, name, psbt_b64), "--json")))


def expected_witness(proposal: PSBT, signed: list[PSBT], i: int, m: int) -> list[bytes]:
    """multi_a's witness computed here: for each key in script order its signature (the first M) or an empty
    push, reversed (the first CHECKSIG reads the top of the stack), then the leaf and the control block."""
    (control, leaf_v), = proposal.inputs[i].taproot_scripts.items()
    leaf = leaf_v[:-1]
    keys = [leaf[k + 1:k + 33] for k in range(0, len(leaf) - 2, 34) if leaf[k] == 0x20]
    sigs = {pub.xonly(): sig for p in signed for (pub, _), sig in p.inputs[i].taproot_sigs.items()}
    chosen = [x for x in keys if x in sigs][:m]
    return [sigs[x] if x in chosen else b"" for x in keys][::-1] + [leaf, control]


@pytest.mark.parametrize("kind", ["sortedmulti_a", "multi_a"])
def test_a_two_of_three_taproot_spend_is_signed_elsewhere_finalised_broadcast_and_synced(
        cli: Any, db_url: str, store: Store, tmp_path: Path, kind: str) -> None:
    cold = funded(cli, kind)
    proposal = propose(cli, cold)
    assert proposal["threshold"] == 2
    unsigned = PSBT.from_base64(proposal["psbt"])
    wallet = parse_descriptor(taproot(2, SIGNERS[::-1], kind), "regtest")
    for scope in unsigned.inputs:  # what a BIP-371 signer needs for the script path
        assert scope.witness_utxo is not None and scope.witness_script is None and not scope.bip32_derivations
        (control, leaf_v), = scope.taproot_scripts.items()
        assert leaf_v[-1] == 0xC0 and control[0] & 0xFE == 0xC0 and control[1:33].hex() == NUMS_H
        leaf_hash = hashes.tagged_hash("TapLeaf", b"\xc0" + compact.to_bytes(len(leaf_v) - 1) + leaf_v[:-1])
        assert scope.taproot_internal_key.xonly().hex() == NUMS_H and scope.taproot_merkle_root == leaf_hash
        assert {d.fingerprint.hex() for _, d in scope.taproot_bip32_derivations.values()} == \
            {s.fingerprint for s in SIGNERS}
        assert all(leafs == [leaf_hash] for leafs, _ in scope.taproot_bip32_derivations.values())
        # the leaf's keys, in order, are the wallet's keys at the coin's path (sortedmulti_a: x-only sorted)
        path = next(iter(scope.taproot_bip32_derivations.values()))[1].derivation
        assert tap.parse_multi_a(leaf_v[:-1]) == (2, [k.pubkey[1:] for k in wallet.keys_at(path[-1],
                                                                                               path[-2] == 1)])
    change = [o for o in unsigned.outputs if o.taproot_bip32_derivations]
    assert len(change) == 1 and change[0].taproot_internal_key.xonly().hex() == NUMS_H
    tree = change[0].unknown[tap.PSBT_OUT_TAP_TREE]
    assert tree[:2] == b"\x00\xc0" and tap.parse_multi_a(tree[2 + len(compact.to_bytes(len(tree) - 3)):])

    first = submit(cli, tmp_path, proposal["id"], sign(0, proposal["psbt"]), "a.psbt")
    assert first["accepted"] and not first["ready"]
    refused(cli("reserve", "spend", "broadcast", proposal["id"], "--json"), "not ready")
    second_psbt = sign(2, proposal["psbt"], SIGHASH.ALL)  # 65-byte SIGHASH_ALL signatures are as good
    assert all(len(s) == 65 for s in PSBT.from_base64(second_psbt).inputs[0].taproot_sigs.values())
    second = submit(cli, tmp_path, proposal["id"], second_psbt, "b.psbt")
    assert second["accepted"] and second["ready"]
    assert sorted(second["valid_signers"]) == sorted(SIGNERS[k].fingerprint for k in (0, 2))

    txid = ok(cli("reserve", "spend", "broadcast", proposal["id"], "--json"))["txid"]
    tx = Transaction.from_string(chain.tx_hex(store, txid))
    signed = [PSBT.from_base64(sign(0, proposal["psbt"])), PSBT.from_base64(second_psbt)]
    spks = [s.witness_utxo.script_pubkey for s in unsigned.inputs]
    values = [s.witness_utxo.value for s in unsigned.inputs]
    for i, txin in enumerate(tx.vin):
        assert txin.witness.items == expected_witness(unsigned, signed, i, 2)
        leaf = Script(txin.witness.items[-2])
        for sig in (x for x in txin.witness.items[:-2] if x):  # embit's sighash, not ours, says they sign this tx
            msg = tx.sighash_taproot(i, spks, values, sighash=0 if len(sig) == 64 else sig[-1], ext_flag=1,
                                     script=leaf)
            assert any(ec.PublicKey.from_xonly(k).schnorr_verify(ec.SchnorrSig.parse(sig[:64]), msg)
                       for k in tap.parse_multi_a(leaf.data)[1])  # type: ignore[index]
    assert proposal["fee_sats"] >= 2 * rc.vsize_of(tx)  # the estimate covers the real size at 2 sat/vB

    ok(cli("reserve", "chain", "mine", "1", "--json"))
    assert ok(cli("reserve", "sync", "cold", "--json"))["balance_sats"] == 50_000_000
    assert ok(cli("reserve", "sync", "tap", "--json"))["balance_sats"] == 30_000_000 - proposal["fee_sats"]
    before = snapshot(db_url)
    refused(cli("reserve", "spend", "broadcast", proposal["id"], "--json"), "already broadcast")
    assert snapshot(db_url) == before


def _tamper(psbt_b64: str, change: Any) -> str:
    psbt = PSBT.from_base64(psbt_b64)
    change(psbt)
    return str(psbt.to_base64())


def _flip_sig(psbt: PSBT) -> None:
    sigs = psbt.inputs[0].taproot_sigs
    key = next(iter(sigs))
    sigs[key] = sigs[key][:10] + bytes([sigs[key][10] ^ 1]) + sigs[key][11:]


def _outsider_sig(proposal_b64: str) -> str:
    """A device with a key outside the quorum signs the leaf (embit would not: its key is not in the script)."""
    psbt = PSBT.from_base64(proposal_b64)
    outsider = make_signer("tap-outsider").root.derive("m/48h/1h/0h/2h/0/0").key
    (control, leaf_v), = psbt.inputs[0].taproot_scripts.items()
    msg = psbt.sighash(0, sighash=SIGHASH.DEFAULT, ext_flag=1, script=Script(leaf_v[:-1]), leaf_version=0xC0)
    leaf_hash = hashes.tagged_hash("TapLeaf", b"\xc0" + compact.to_bytes(len(leaf_v) - 1) + leaf_v[:-1])
    psbt.inputs[0].taproot_sigs[(ec.PublicKey.from_xonly(outsider.xonly()), leaf_hash)] = \
        outsider.schnorr_sign(msg).serialize()
    return str(psbt.to_base64())


def _ecdsa_sig(proposal_b64: str) -> str:
    psbt = PSBT.from_base64(proposal_b64)
    key = SIGNERS[0].root.derive("m/48h/1h/0h/2h/0/0").key
    psbt.inputs[0].partial_sigs[key.get_public_key()] = key.sign(b"\x01" * 32).serialize() + b"\x01"
    return str(psbt.to_base64())


def test_taproot_uploads_are_refused_like_p2wsh_ones_and_change_nothing(cli: Any, db_url: str,
                                                                         tmp_path: Path) -> None:
    cold = funded(cli)
    proposal = propose(cli, cold)
    ok(cli("reserve", "wallet", "add", "tap3", "--descriptor", taproot(3, SIGNERS), "--json"))
    ok(cli("reserve", "chain", "fund", ok(cli("reserve", "address", "tap3", "--json"))["address"], "0.4", "--json"))
    ok(cli("reserve", "chain", "mine", "1", "--json"))
    ok(cli("reserve", "sync", "tap3", "--json"))
    other = propose(cli, cold, "0.1", "tap3")
    assert submit(cli, tmp_path, proposal["id"], sign(1, proposal["psbt"]), "ok.psbt")["accepted"]

    cases = {
        "duplicate signer": sign(1, proposal["psbt"], SIGHASH.ALL),
        "does not verify": _tamper(sign(0, proposal["psbt"]), _flip_sig),
        "another wallet or proposal": sign(0, other["psbt"]),
        "outputs or fee differ": _tamper(sign(0, proposal["psbt"]),
                                         lambda p: setattr(p.outputs[0], "value", p.outputs[0].value - 1000)),
        "outside this wallet's quorum": _outsider_sig(proposal["psbt"]),
        "Schnorr signatures": _ecdsa_sig(proposal["psbt"]),
        "no signer signed every input": proposal["psbt"],
    }
    before = snapshot(db_url)
    for words, psbt_b64 in cases.items():
        result = submit(cli, tmp_path, proposal["id"], psbt_b64, "x.psbt")
        assert result["accepted"] is False and words in result["reason"], (words, result["reason"])
        assert result["valid_signers"] == [SIGNERS[1].fingerprint] and result["state"] == "collecting"
    assert snapshot(db_url) == before


def test_a_taproot_wallet_without_coins_is_told_about_coins_not_taproot(cli: Any, db_url: str) -> None:
    ok(cli("reserve", "wallet", "add", "tap", "--descriptor", taproot(2, SIGNERS), "--json"))
    ok(cli("reserve", "wallet", "add", "cold", "--descriptor", COLD, "--json"))
    cold = ok(cli("reserve", "address", "cold", "--json"))["address"]
    before = snapshot(db_url)
    result = cli("reserve", "spend", "propose", "tap", "--to", cold, "--amount", "0.1", "--purpose", "x", "--json")
    refused(result, "do not cover")
    assert "taproot" not in result.stderr
    assert snapshot(db_url) == before


# The rehearsal chain's own check of P2TR inputs ---------------------------------------------------------------


def _spend(signers: tuple[int, ...], index: int = 4,
           change: bool = False) -> tuple[PSBT, list[PSBT], str, dict[tuple[str, int], rc.Prevout]]:
    """A 2-of-3 sortedmulti_a spend of one funded coin signed by `signers`, finalised as a broadcast is (BDK)."""
    wallet = parse_descriptor(taproot(2, SIGNERS), "regtest")
    funding = rc.faucet_tx(wallet.script_pubkey(index, change), 100_000, 7)
    coins = [sp.SpendInput(funding.txid().hex(), 0, 100_000, change, index)]
    selection = sp.select_coins(coins, 60_000, 2, 2, 3, taproot=True)
    psbt = sp.build_psbt(wallet, selection, wallet.script_pubkey(9), 60_000, 1)
    signed = [PSBT.from_base64(sign(k, psbt.to_base64())) for k in signers]
    prevs = {(funding.txid().hex(), 0): rc.Prevout(wallet.script_pubkey(index, change), 100_000, None)}
    return psbt, signed, sp.combine_and_finalize(psbt, signed), prevs


def _with_witness(tx_hex: str, change: Any) -> str:
    tx = Transaction.from_string(tx_hex)
    items = list(tx.vin[0].witness.items)
    change(items)
    tx.vin[0].witness = Witness(items)
    return str(tx.serialize().hex())


def _check(tx_hex: str, prevs: dict[tuple[str, int], rc.Prevout]) -> rc.CheckedTx:
    return rc.check_broadcast(tx_hex, lambda txid, vout: prevs.get((txid, vout)))


def test_the_rehearsal_chain_accepts_valid_taproot_multisig_spends_finalised_in_multi_a_order() -> None:
    # indexes on both branches whose output keys have even and odd Y (the control block carries the parity)
    cases = [((0, 2), 4, False), ((2, 1), 4, False), ((0, 1, 2), 4, False)]
    cases += [((1, 2), index, change) for index in range(4) for change in (False, True)]
    parities = set()
    for signers, index, change in cases:
        psbt, signed, tx_hex, prevs = _spend(signers, index, change)
        parities.add(Transaction.from_string(tx_hex).vin[0].witness.items[-1][0] & 1)
        checked = _check(tx_hex, prevs)
        tx = Transaction.from_string(tx_hex)
        assert checked.fee == 100_000 - sum(o.value for o in tx.vout) > 0
        items = tx.vin[0].witness.items
        assert sum(1 for x in items[:-2] if x) == 2 and len(items) == 3 + 2
        if len(signers) == 2:  # BDK's finaliser wrote what the multi_a order computed here says
            assert items == expected_witness(psbt, signed, 0, 2)
    assert parities == {0, 1}


def _set(k: int, value: bytes) -> Any:
    def change(items: list[bytes]) -> None:
        items[k] = value
    return change


def _flip(k: int, at: int) -> Any:
    def change(items: list[bytes]) -> None:
        items[k] = items[k][:at] + bytes([items[k][at] ^ 1]) + items[k][at + 1:]
    return change


def test_the_rehearsal_chain_refuses_bad_taproot_spends_with_a_reason() -> None:
    _, _, tx_hex, prevs = _spend((0, 2))
    signed_at = [k for k, item in enumerate(Transaction.from_string(tx_hex).vin[0].witness.items[:3]) if item]
    empty_at = next(k for k in range(3) if k not in signed_at)
    cases = {
        "invalid signature": _flip(signed_at[0], 5),
        "1 signatures for a 2-of-3": _set(signed_at[0], b""),
        "3 signatures for a 2-of-3": _set(empty_at, Transaction.from_string(tx_hex).vin[0].witness.items[
            signed_at[0]]),
        "not committed to in the address (control block)": _flip(-1, 0),  # the output key's parity
        "not committed": _set(-1, b"\xc0" + bytes.fromhex(SIGNERS_KEY)),  # another internal key
        "malformed taproot control block": _set(-1, b"\xc0" + bytes(31)),
    }
    for words, change in cases.items():
        with pytest.raises(InputError, match=words.replace("(", r"\(").replace(")", r"\)")):
            _check(_with_witness(tx_hex, change), prevs)
    with pytest.raises(InputError, match="invalid signature"):  # a key-path spend with a made-up signature
        _check(_with_witness(tx_hex, lambda items: items.__setitem__(slice(None), [bytes(64)])), prevs)


P2WPKH_OUT = Script(b"\x00\x14" + bytes(20))  # a standard output: a node relays nothing else


def test_a_taproot_leaf_the_rehearsal_chain_cannot_judge_is_refused_not_accepted() -> None:
    leaf = b"\x7e"  # OP_CAT: an OP_SUCCESS opcode in tapscript, which would make any witness valid
    leaf_hash = hashes.tagged_hash("TapLeaf", b"\xc0" + compact.to_bytes(len(leaf)) + leaf)
    q = ec.PublicKey.from_xonly(bytes.fromhex(NUMS_H)).taproot_tweak(leaf_hash).sec()
    funding = rc.faucet_tx(b"\x51\x20" + q[1:], 50_000, 3)
    spend = Transaction(vin=[TransactionInput(funding.txid(), 0)], vout=[TransactionOutput(40_000, P2WPKH_OUT)])
    spend.vin[0].witness = Witness([leaf, bytes([0xC0 | (q[0] & 1)]) + bytes.fromhex(NUMS_H)])
    prevs = {(funding.txid().hex(), 0): rc.Prevout(b"\x51\x20" + q[1:], 50_000, None)}
    with pytest.raises(InputError, match="cannot judge this p2tr spend"):
        _check(spend.serialize().hex(), prevs)


def test_a_taproot_spend_of_several_coins_signs_each_over_all_amounts_and_scripts() -> None:
    """BIP-341 commits every input's signature to all spent amounts and scripts: two coins on both branches
    are checked with the proposal's values, and an upload signed over a tampered amount does not verify."""
    wallet = parse_descriptor(taproot(2, SIGNERS, "multi_a"), "regtest")
    where = [(1, False, 70_000), (2, True, 50_000)]
    funding = [rc.faucet_tx(wallet.script_pubkey(i, c), sats, 20 + i) for i, c, sats in where]
    coins = [sp.SpendInput(f.txid().hex(), 0, sats, c, i) for f, (i, c, sats) in zip(funding, where, strict=True)]
    selection = sp.select_coins(coins, 100_000, 3, 2, 3, taproot=True)
    assert len(selection.inputs) == 2
    psbt = sp.build_psbt(wallet, selection, wallet.script_pubkey(7), 100_000, 3)
    signed = [PSBT.from_base64(sign(k, psbt.to_base64())) for k in (1, 0)]
    for upload, k in zip(signed, (1, 0), strict=True):
        assert sp.check_upload(wallet, psbt, selection.inputs, upload).fingerprints == (SIGNERS[k].fingerprint,)
    prevs = {(f.txid().hex(), 0): rc.Prevout(wallet.script_pubkey(i, c), sats, None)
             for f, (i, c, sats) in zip(funding, where, strict=True)}
    checked = _check(sp.combine_and_finalize(psbt, signed), prevs)
    assert checked.fee == selection.fee and len(checked.spends) == 2

    lied = PSBT.from_base64(psbt.to_base64())
    lied.inputs[1].witness_utxo.value -= 10_000  # the signer is told the second coin is smaller
    lied = PSBT.from_base64(sign(2, lied.to_base64()))
    check = sp.check_upload(wallet, psbt, selection.inputs, lied)
    assert not check.accepted and "does not verify" in check.reason


def test_the_rehearsal_chain_checks_a_key_path_spend_against_the_output_key() -> None:
    """Not a reserve wallet's (their internal key is NUMS), but a P2TR input it understands: one Schnorr signature
    by the tweaked output key, verified, and a signature by another key refused."""
    key = make_signer("tap-keypath").root.derive("m/86h/1h/0h/0/0").key
    spk = Script(b"\x51\x20" + key.taproot_tweak(b"").get_public_key().xonly())
    funding = rc.faucet_tx(spk.data, 30_000, 11)
    tx = Transaction(vin=[TransactionInput(funding.txid(), 0)], vout=[TransactionOutput(29_000, P2WPKH_OUT)])
    prevs = {(funding.txid().hex(), 0): rc.Prevout(spk.data, 30_000, None)}
    for signer, accepted in ((key, True), (make_signer("tap-other").root.derive("m/86h/1h/0h/0/0").key, False)):
        psbt = PSBT(tx)
        psbt.inputs[0].witness_utxo = TransactionOutput(30_000, spk)
        msg = psbt.sighash(0, sighash=SIGHASH.DEFAULT)
        tx.vin[0].witness = Witness([signer.taproot_tweak(b"").schnorr_sign(msg).serialize()])
        if accepted:
            assert _check(tx.serialize().hex(), prevs).fee == 1_000
        else:
            with pytest.raises(InputError, match="invalid signature"):
                _check(tx.serialize().hex(), prevs)


def test_a_broadcast_with_too_few_taproot_signatures_is_refused_by_the_chain_and_stores_nothing(
        cli: Any, db_url: str, store: Store) -> None:
    proposal = propose(cli, funded(cli))
    unsigned = PSBT.from_base64(proposal["psbt"])
    one = [PSBT.from_base64(sign(1, proposal["psbt"]))]
    tx = unsigned.tx
    for i, txin in enumerate(tx.vin):
        txin.witness = Witness(expected_witness(unsigned, one, i, 1))
    before = snapshot(db_url)
    with pytest.raises(InputError, match="1 signatures for a 2-of-3 taproot multisig"):
        chain.broadcast(store, "regtest", tx.serialize().hex())
    assert snapshot(db_url) == before
