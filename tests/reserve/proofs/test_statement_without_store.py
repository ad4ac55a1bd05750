"""A statement drafted from a descriptor and a UTXO file, signed by 3 of 5 and assembled, with no database."""

from __future__ import annotations

import json

import pytest
from embit.psbt import PSBT

from biplomacy.reserve.model.descriptors import parse_descriptor
from biplomacy.reserve.model.statement import verify_statement
from biplomacy.reserve.model.statement_offline import assemble, draft
from tests.reserve.custody.conftest import make_signer, multisig

SIGNERS = [make_signer(x) for x in ("mof", "sbp", "pcc", "pvara", "custodian")]
DESCRIPTOR = multisig(3, SIGNERS)
BLOCK = "cd" * 32


def _utxos() -> list[dict]:
    wallet = parse_descriptor(DESCRIPTOR, "regtest")
    return [{"txid": "11" * 32, "vout": 0, "sats": 90_000_000, "script_pubkey": wallet.script_pubkey(4).hex(),
             "height": 3},
            {"txid": "22" * 32, "vout": 1, "sats": 10_000_000, "script_pubkey": wallet.script_pubkey(2, True).hex(),
             "height": 4}]


def test_drafted_signed_and_assembled_statement_verifies_against_the_utxo_file():
    d = draft(DESCRIPTOR, "regtest", "cold", _utxos(), 9, BLOCK, "Cold wallet, 2026-11")
    assert [(u["index"], u["change"]) for u in d["utxos"]] == [(4, False), (2, True)]
    signed = [PSBT.from_base64(s.sign(d["psbt"])) for s in SIGNERS[2:]]
    statement = assemble(d, signed)
    check = verify_statement(statement, {"height": 9, "block_hash": BLOCK, "utxos": _utxos()})
    assert check.valid and check.total_sats == 100_000_000 and len(check.signers) == 3, check.reason
    assert "psbt" not in statement and json.loads(json.dumps(statement)) == statement


def test_a_coin_of_another_wallet_is_refused_in_the_draft():
    other = parse_descriptor(multisig(2, SIGNERS[:3]), "regtest")
    utxos = _utxos() + [{"txid": "33" * 32, "vout": 0, "sats": 5, "script_pubkey": other.script_pubkey(0).hex()}]
    with pytest.raises(ValueError, match="not the descriptor's"):
        draft(DESCRIPTOR, "regtest", "cold", utxos, 9, BLOCK, "x")


def test_two_signers_cannot_assemble_and_a_psbt_of_another_draft_is_refused():
    d = draft(DESCRIPTOR, "regtest", "cold", _utxos(), 9, BLOCK, "Cold wallet, 2026-11")
    with pytest.raises(ValueError, match="2 of 3"):
        assemble(d, [PSBT.from_base64(s.sign(d["psbt"])) for s in SIGNERS[:2]])
    other = draft(DESCRIPTOR, "regtest", "cold", _utxos(), 10, BLOCK, "Cold wallet, 2026-11")
    with pytest.raises(ValueError, match="another statement"):
        assemble(d, [PSBT.from_base64(s.sign(other["psbt"])) for s in SIGNERS[:3]])


def test_cli_draft_assemble_then_verify_statement(cli_nodb, tmp_path):
    (tmp_path / "utxos.json").write_text(json.dumps(_utxos()))
    r = cli_nodb("reserve", "statement", "draft", "--descriptor", DESCRIPTOR, "--network", "regtest", "--wallet",
                 "cold", "--utxos", str(tmp_path / "utxos.json"), "--height", "9", "--block-hash", BLOCK,
                 "--message", "Cold wallet, 2026-11", "--out", str(tmp_path / "draft.json"), "--json")
    assert r.exit_code == 0, r.stderr
    psbt = json.loads((tmp_path / "draft.json").read_text())["psbt"]
    files = []
    for k, s in enumerate(SIGNERS[1:4]):
        files += ["--psbt", str(tmp_path / f"s{k}.psbt")]
        (tmp_path / f"s{k}.psbt").write_text(s.sign(psbt))
    r = cli_nodb("reserve", "statement", "assemble", str(tmp_path / "draft.json"), *files,
                 "--out", str(tmp_path / "statement.json"), "--json")
    assert r.exit_code == 0, r.stderr
    r = cli_nodb("reserve", "verify-statement", str(tmp_path / "statement.json"), "--chain-data",
                 str(tmp_path / "utxos.json"), "--json")
    assert r.exit_code == 0 and r.json["valid"] is True and r.json["total_btc"] == "1" and r.json["height"] == 9


def test_cli_assemble_with_too_few_signatures_is_exit_2(cli_nodb, tmp_path):
    (tmp_path / "draft.json").write_text(json.dumps(draft(DESCRIPTOR, "regtest", "cold", _utxos(), 9, BLOCK, "m")))
    (tmp_path / "s.psbt").write_text(SIGNERS[0].sign(json.loads((tmp_path / "draft.json").read_text())["psbt"]))
    r = cli_nodb("reserve", "statement", "assemble", str(tmp_path / "draft.json"), "--psbt", str(tmp_path / "s.psbt"),
                 "--out", str(tmp_path / "out.json"))
    assert r.exit_code == 2 and "1 of 3" in r.stderr and not (tmp_path / "out.json").exists()
