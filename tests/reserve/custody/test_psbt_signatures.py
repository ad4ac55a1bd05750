"""The signature collection spends and statements share (services/psbt_signatures.py): what only it decides."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.reserve.custody.conftest import Signer
from tests.reserve.custody.test_ceremony import funded_treasury, ok, snapshot, write


def test_a_proposal_cancelled_after_m_signatures_is_never_broadcast(
        cli: Any, db_url: str, tmp_path: Path, signers: list[Signer], treasury_descriptor: str,
        cold_descriptor: str) -> None:
    _, cold = funded_treasury(cli, treasury_descriptor, cold_descriptor)
    proposal = ok(cli("reserve", "spend", "propose", "treasury", "--to", cold, "--amount", "1", "--purpose", "x",
                      "--json"))
    for k, signer in enumerate(signers[:3]):
        ok(cli("reserve", "spend", "submit", proposal["id"], "--psbt",
               write(tmp_path, f"s{k}.psbt", signer.sign(proposal["psbt"])), "--json"))
    assert ok(cli("reserve", "spend", "cancel", proposal["id"], "--reason", "board said no", "--json"))["ready"]
    before = snapshot(db_url)
    refused = cli("reserve", "spend", "broadcast", proposal["id"], "--json")
    assert refused.exit_code == 2 and "cancelled" in refused.stderr
    assert snapshot(db_url) == before


def test_one_upload_signed_by_two_keys_counts_two_signers_and_neither_again(
        cli: Any, tmp_path: Path, signers: list[Signer], treasury_descriptor: str, cold_descriptor: str) -> None:
    _, cold = funded_treasury(cli, treasury_descriptor, cold_descriptor)
    proposal = ok(cli("reserve", "spend", "propose", "treasury", "--to", cold, "--amount", "1", "--purpose", "x",
                      "--json"))
    both = signers[1].sign(signers[0].sign(proposal["psbt"]))
    first = ok(cli("reserve", "spend", "submit", proposal["id"], "--psbt", write(tmp_path, "a.psbt", both), "--json"))
    assert first["accepted"] and sorted(first["new_signers"]) == sorted(s.fingerprint for s in signers[:2])
    again = ok(cli("reserve", "spend", "submit", proposal["id"], "--psbt",
                   write(tmp_path, "b.psbt", signers[0].sign(proposal["psbt"])), "--json"))
    assert again["accepted"] is False and again["reason"].startswith("duplicate signer")
    assert len(again["valid_signers"]) == 2 and again["state"] == "collecting"
