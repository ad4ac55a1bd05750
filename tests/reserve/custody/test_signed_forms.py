"""`spend submit` takes whatever a signer's wallet hands back: a PSBT in binary, base64 or hex, a finalised PSBT,
or the finished transaction whose txid is the proposal's. Signatures are taken out and checked one by one; a
finished transaction of another spend, or with a corrupted signature, is refused with its reason and changes
nothing; a file that is none of these exits 2 naming what it is not."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import bdkpython as bdk
import pytest
from embit.psbt import PSBT
from embit.transaction import Transaction

from biplomacy.reserve.model import spend_psbt as sp
from tests.reserve.custody.conftest import Signer
from tests.reserve.custody.test_ceremony import funded_treasury, ok, snapshot, write


def _propose(cli: Any, cold: str, amount: str = "1") -> dict[str, Any]:
    return ok(cli("reserve", "spend", "propose", "treasury", "--to", cold, "--amount", amount, "--purpose", "x",
                  "--json"))


def _finished(proposal: dict[str, Any], signers: list[Signer]) -> str:
    """The raw transaction a wallet holding the last needed signature hands back (M signatures, finalised)."""
    unsigned = PSBT.from_base64(proposal["psbt"])
    return sp.combine_and_finalize(unsigned, [PSBT.from_base64(s.sign(proposal["psbt"])) for s in signers])


@pytest.mark.parametrize("encoding", ["binary", "base64", "hex", "base64 wrapped"])
def test_a_psbt_in_any_encoding_is_accepted(cli: Any, tmp_path: Path, signers: list[Signer],
                                            treasury_descriptor: str, cold_descriptor: str, encoding: str) -> None:
    _, cold = funded_treasury(cli, treasury_descriptor, cold_descriptor)
    proposal = _propose(cli, cold)
    raw = base64.b64decode(signers[0].sign(proposal["psbt"]))
    body = {"binary": raw, "base64": base64.b64encode(raw), "hex": raw.hex().encode(),
            "base64 wrapped": b"\n".join(base64.encodebytes(raw).split(b"\n"))}[encoding]
    receipt = ok(cli("reserve", "spend", "submit", proposal["id"], "--psbt", write(tmp_path, "s.psbt", body), "--json"))
    assert receipt["accepted"] and receipt["new_signers"] == [signers[0].fingerprint]


@pytest.mark.parametrize("encoding", ["hex", "binary"])
def test_the_finished_transaction_counts_every_signature_in_it(
        cli: Any, tmp_path: Path, signers: list[Signer], treasury_descriptor: str, cold_descriptor: str,
        encoding: str) -> None:
    _, cold = funded_treasury(cli, treasury_descriptor, cold_descriptor)
    proposal = _propose(cli, cold)
    ok(cli("reserve", "spend", "submit", proposal["id"], "--psbt",
           write(tmp_path, "a.psbt", signers[0].sign(proposal["psbt"])), "--json"))
    tx_hex = _finished(proposal, signers[:3])
    assert Transaction.from_string(tx_hex).txid() == PSBT.from_base64(proposal["psbt"]).tx.txid()
    body = tx_hex if encoding == "hex" else bytes.fromhex(tx_hex)
    receipt = ok(cli("reserve", "spend", "submit", proposal["id"], "--psbt", write(tmp_path, "tx", body), "--json"))
    assert receipt["accepted"] and receipt["ready"]
    assert sorted(receipt["new_signers"]) == sorted(s.fingerprint for s in signers[1:3])
    assert ok(cli("reserve", "spend", "broadcast", proposal["id"], "--json"))["txid"]


def test_a_finalised_psbt_is_read_back_into_its_signatures(
        cli: Any, tmp_path: Path, signers: list[Signer], treasury_descriptor: str, cold_descriptor: str) -> None:
    _, cold = funded_treasury(cli, treasury_descriptor, cold_descriptor)
    proposal = _propose(cli, cold)
    merged = PSBT.from_base64(proposal["psbt"])
    for s in signers[2:5]:
        for mine, theirs in zip(merged.inputs, PSBT.from_base64(s.sign(proposal["psbt"])).inputs, strict=True):
            mine.partial_sigs.update(theirs.partial_sigs)
    finalised = bdk.Psbt(merged.to_base64()).finalize()
    assert finalised.could_finalize
    final_b64 = finalised.psbt.serialize()
    assert all(scope.final_scriptwitness for scope in PSBT.from_base64(final_b64).inputs)
    receipt = ok(cli("reserve", "spend", "submit", proposal["id"], "--psbt", write(tmp_path, "f.psbt", final_b64),
                     "--json"))
    assert receipt["accepted"] and sorted(receipt["new_signers"]) == sorted(s.fingerprint for s in signers[2:5])


def test_a_finished_transaction_of_another_spend_or_with_a_bad_signature_is_refused_and_changes_nothing(
        cli: Any, db_url: str, tmp_path: Path, signers: list[Signer], treasury_descriptor: str,
        cold_descriptor: str) -> None:
    _, cold = funded_treasury(cli, treasury_descriptor, cold_descriptor)
    proposal = _propose(cli, cold, "0.5")
    ok(cli("reserve", "spend", "cancel", proposal["id"], "--reason", "redo", "--json"))
    other = _propose(cli, cold, "0.4")
    before = snapshot(db_url)
    wrong = ok(cli("reserve", "spend", "submit", other["id"], "--psbt",
                   write(tmp_path, "w", _finished(proposal, signers[:3])), "--json"))
    assert wrong["accepted"] is False and "differ from the approved proposal" in wrong["reason"]

    tx = Transaction.from_string(_finished(other, signers[:3]))
    sig = tx.vin[0].witness.items[1]
    tx.vin[0].witness.items[1] = sig[:12] + bytes([sig[12] ^ 0x40]) + sig[13:]
    corrupted = ok(cli("reserve", "spend", "submit", other["id"], "--psbt",
                       write(tmp_path, "c", tx.serialize().hex()), "--json"))
    assert corrupted["accepted"] is False and "verifies under no key of this wallet" in corrupted["reason"]
    assert snapshot(db_url) == before


@pytest.mark.parametrize("body, words", [
    (b"hello, this is not a signature", "not a PSBT"),
    (b"0011223344", "neither a PSBT nor a complete transaction"),
    (base64.b64encode(b"just some bytes"), "base64, but not of a PSBT"),
    (b"psbt\xff\x01\x00", "truncated"),
    (bytes(range(256)), "not a PSBT"),
])
def test_a_file_that_is_no_signed_form_exits_2_naming_what_it_is_not(
        cli: Any, tmp_path: Path, treasury_descriptor: str, cold_descriptor: str, body: bytes, words: str) -> None:
    _, cold = funded_treasury(cli, treasury_descriptor, cold_descriptor)
    proposal = _propose(cli, cold)
    result = cli("reserve", "spend", "submit", proposal["id"], "--psbt", write(tmp_path, "x", body), "--json")
    assert result.exit_code == 2 and words in result.stderr and "--psbt" in result.stderr
