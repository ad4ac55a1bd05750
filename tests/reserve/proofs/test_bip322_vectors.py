"""BIP-322: every vector of the bips repository passes (hashes, valid signatures, each error case)."""

import json
from pathlib import Path

import pytest
from embit import ec
from embit.script import address_to_scriptpubkey, p2wpkh

from biplomacy.reserve.bip322 import message as bip322

VECTORS = json.loads((Path(__file__).parent / "vectors" / "basic-test-vectors.json").read_text(encoding="utf-8"))
SIGNED = [(c["type"], c["address"], c["message"], s) for c in VECTORS["simple"] for s in c["bip322_signatures"]]


@pytest.mark.parametrize("case", VECTORS["tx_hashes"], ids=lambda c: repr(c["message"][:12]))
def test_message_hash_and_to_spend_to_sign_ids_match(case):
    msg = case["message"].encode("utf-8")
    spend = bip322.to_spend(msg, address_to_scriptpubkey(case["address"]))
    assert bip322.message_hash(msg).hex() == case["message_hash"]
    assert spend.txid().hex() == case["to_spend_tx_hash"]
    assert bip322.to_sign(spend).txid().hex() == case["to_sign_tx_hash"]


@pytest.mark.parametrize(("kind", "address", "message", "signature"), SIGNED)
def test_valid_signatures_verify(kind, address, message, signature):
    r = bip322.verify(address, message, signature)
    assert r.valid and r.result == "valid" and r.format == "simple", r


@pytest.mark.parametrize("case", VECTORS["error"], ids=lambda c: c["description"][:40])
def test_error_cases_are_invalid_with_the_expected_reason(case):
    r = bip322.verify(case["address"], case["message"], case["signature"])
    assert not r.valid and case["error_substr"] in (r.reason or "")


def test_a_signature_made_here_verifies_and_fails_for_another_message():
    key = ec.PrivateKey(bytes(range(1, 33)))
    address = p2wpkh(key.get_public_key()).address()
    sig = bip322.sign_simple_p2wpkh(key, "reserve statement 2026-11", address)
    assert bip322.verify(address, "reserve statement 2026-11", sig).valid
    assert not bip322.verify(address, "reserve statement 2026-12", sig).valid


@pytest.mark.parametrize("signature", ["smp", "smp!!!!", "ful" + "A" * 8, "pofAAAA", "smpAQ=="])
def test_malformed_signatures_are_invalid_never_a_crash(signature):
    r = bip322.verify(VECTORS["simple"][0]["address"], "", signature)
    assert r.valid is False and r.reason


def test_cli_contract_valid_vector_and_wrong_message(cli_nodb):
    args = ["reserve", "verify-message", "--address", "bc1q9vza2e8x573nczrlzms0wvx3gsqjx7vavgkx0l",
            "--signature", "AkcwRAIgZRfIY3p7/DoVTty6YZbWS71bc5Vct9p9Fia83eRmw2QCICK/ENGfwLtptFluMGs2KsqoNSk89pO7F29zJLUx9a/sASECx/EgAxlkQpQ9hYjgGu6EBCPMVPwVIVJqO4XCsMvViHI=", "--json"]
    ok = cli_nodb(*args[:4], "--message", "Hello World", *args[4:])
    assert ok.exit_code == 0 and ok.json == {"valid": True, "result": "valid", "reason": None, "format": "simple",
                                            "valid_at": None}
    bad = cli_nodb(*args[:4], "--message", "Hello Mars", *args[4:])
    assert bad.exit_code == 0 and bad.json["valid"] is False and bad.json["reason"]


def test_cli_bad_address_is_invalid_and_missing_message_is_exit_2(cli_nodb):
    r = cli_nodb("reserve", "verify-message", "--address", "tb1qnotreal", "--message", "x", "--signature", "smpAA==",
                 "--json")
    assert r.exit_code == 0 and r.json["valid"] is False and "not a valid Bitcoin address" in r.json["reason"]
    r = cli_nodb("reserve", "verify-message", "--address", "bc1q9vza2e8x573nczrlzms0wvx3gsqjx7vavgkx0l",
                 "--signature", "smpAA==", "--json")
    assert r.exit_code == 2 and "--message" in r.stderr
