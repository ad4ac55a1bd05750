"""Refusals of the statement ceremony: each with its reason, exit 2 only for what the user must fix, nothing stored."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from embit.psbt import PSBT

from tests.reserve.custody.conftest import Signer, make_signer
from tests.reserve.custody.test_ceremony import add_user, funded_treasury, ok, write
from tests.reserve.proofs.test_statement_ceremony import MESSAGE, snapshot


def test_a_statement_needs_a_known_synced_wallet_with_coins_and_a_message(
        cli: Any, db_url: str, treasury_descriptor: str, cold_descriptor: str) -> None:
    before = snapshot(db_url)
    unknown = cli("reserve", "statement", "build", "nowhere", "--message", MESSAGE, "--json")
    assert unknown.exit_code == 2 and "no reserve wallet" in unknown.stderr
    assert snapshot(db_url) == before
    funded_treasury(cli, treasury_descriptor, cold_descriptor)
    ok(cli("reserve", "sync", "cold", "--json"))
    empty = cli("reserve", "statement", "build", "cold", "--message", MESSAGE, "--json")
    assert empty.exit_code == 2 and "no confirmed coins" in empty.stderr
    blank = cli("reserve", "statement", "build", "treasury", "--message", "  ", "--json")
    assert blank.exit_code == 2 and "message" in blank.stderr
    ok(cli("reserve", "chain", "mine", "1", "--json"))
    stale = cli("reserve", "statement", "build", "treasury", "--message", MESSAGE, "--json")
    assert stale.exit_code == 2 and "reserve sync treasury" in stale.stderr


def test_outsider_duplicate_and_corrupted_signatures_are_refused_and_change_nothing(
        cli: Any, db_url: str, tmp_path: Path, signers: list[Signer], treasury_descriptor: str,
        cold_descriptor: str) -> None:
    funded_treasury(cli, treasury_descriptor, cold_descriptor)
    built = ok(cli("reserve", "statement", "build", "treasury", "--message", MESSAGE, "--json"))
    signed = write(tmp_path, "a.psbt", signers[0].sign(built["psbt"]))
    assert ok(cli("reserve", "statement", "submit", built["id"], "--psbt", signed, "--json"))["accepted"]
    before = snapshot(db_url)

    again = ok(cli("reserve", "statement", "submit", built["id"], "--psbt", signed, "--json"))
    assert again["accepted"] is False and "duplicate signer" in again["reason"]

    outsider = make_signer("outsider")
    psbt = PSBT.from_base64(built["psbt"])
    for scope in psbt.inputs:  # a device that pretends to be a signer: its own key at the same path
        der = next(iter(scope.bip32_derivations.values()))
        scope.bip32_derivations[outsider.root.derive(der.derivation).key.get_public_key()] = \
            type(der)(outsider.root.my_fingerprint, der.derivation)
    psbt.sign_with(outsider.root)
    foreign = ok(cli("reserve", "statement", "submit", built["id"], "--psbt",
                     write(tmp_path, "o.psbt", psbt.to_base64()), "--json"))
    assert foreign["accepted"] is False and "outside" in foreign["reason"]

    corrupted = PSBT.from_base64(signers[1].sign(built["psbt"]))
    for scope in corrupted.inputs:
        for pub, sig in scope.partial_sigs.items():
            scope.partial_sigs[pub] = sig[:10] + bytes([sig[10] ^ 1]) + sig[11:]
    bad = ok(cli("reserve", "statement", "submit", built["id"], "--psbt",
                 write(tmp_path, "c.psbt", corrupted.to_base64()), "--json"))
    assert bad["accepted"] is False and "does not verify" in bad["reason"]

    garbage = cli("reserve", "statement", "submit", built["id"], "--psbt", write(tmp_path, "g.psbt", "hello"),
                  "--json")
    assert garbage.exit_code == 2 and "not a PSBT" in garbage.stderr
    assert snapshot(db_url) == before

    not_final = cli("reserve", "statement", "show", built["id"], "--json")
    assert not_final.exit_code == 2 and "not final" in not_final.stderr
    assert ok(cli("reserve", "statement", "status", built["id"], "--json"))["valid_signers"] == [signers[0].fingerprint]


def test_finalize_publishes_once_and_then_takes_no_more_signatures(
        cli: Any, tmp_path: Path, signers: list[Signer], treasury_descriptor: str, cold_descriptor: str) -> None:
    funded_treasury(cli, treasury_descriptor, cold_descriptor)
    built = ok(cli("reserve", "statement", "build", "treasury", "--message", MESSAGE, "--json"))
    for k, signer in enumerate(signers[1:4]):
        ok(cli("reserve", "statement", "submit", built["id"], "--psbt",
               write(tmp_path, f"{k}.psbt", signer.sign(built["psbt"])), "--json"))
    ok(cli("reserve", "statement", "finalize", built["id"], "--json"))
    twice = cli("reserve", "statement", "finalize", built["id"], "--json")
    assert twice.exit_code == 2 and "already final" in twice.stderr
    late = ok(cli("reserve", "statement", "submit", built["id"], "--psbt",
                  write(tmp_path, "late.psbt", signers[0].sign(built["psbt"])), "--json"))
    assert late["accepted"] is False and "final" in late["reason"]


def test_a_signer_may_upload_but_only_the_publisher_builds_and_finalizes(
        cli: Any, db_url: str, tmp_path: Path, signers: list[Signer], treasury_descriptor: str,
        cold_descriptor: str) -> None:
    funded_treasury(cli, treasury_descriptor, cold_descriptor)
    add_user(db_url, "sbp-signer", "signer")
    add_user(db_url, "analyst", "analyst")
    denied = cli("--as", "analyst", "reserve", "statement", "build", "treasury", "--message", MESSAGE, "--json")
    assert denied.exit_code == 2 and "may not" in denied.stderr
    built = ok(cli("reserve", "statement", "build", "treasury", "--message", MESSAGE, "--json"))
    signed = write(tmp_path, "s.psbt", signers[1].sign(built["psbt"]))
    assert ok(cli("--as", "sbp-signer", "reserve", "statement", "submit", built["id"], "--psbt", signed,
                  "--json"))["accepted"]
    assert cli("--as", "sbp-signer", "reserve", "statement", "finalize", built["id"], "--json").exit_code == 2


def test_a_json_file_that_is_not_a_statement_is_invalid_with_exit_0(cli_nodb: Any, tmp_path: Path) -> None:
    result = cli_nodb("reserve", "verify-statement", write(tmp_path, "list.json", "[1, 2]"), "--json")
    assert result.exit_code == 0
    assert result.json["valid"] is False and "lacks" in result.json["reason"]
