"""BIP-322 generated vectors of the bips repository: simple, full and proof-of-funds signatures, and each error."""

import json
from pathlib import Path

import pytest

from biplomacy.reserve import bip322

VECTORS = json.loads((Path(__file__).parent / "vectors" / "generated-test-vectors.json").read_text(encoding="utf-8"))
FORMATS = {"simple": "simple", "full": "full", "proof_of_funds": "proof_of_funds"}
# Time-lock scripts (a P2WSH script and a P2TR script path) are not interpreted here; BIP-322 lets a verifier
# answer "inconclusive" for scripts it does not validate, and that is what these two must get, never "valid".
NOT_INTERPRETED = {"p2tr-time-lock", "p2wsh-time-lock"}
SIGNED = [(variant, c["type"], c["address"], c["message"], s)
          for variant in FORMATS for c in VECTORS[variant] for s in c["bip322_signatures"]]


@pytest.mark.parametrize(("variant", "kind", "address", "message", "signature"), SIGNED,
                         ids=[f"{v}-{k}" for v, k, *_ in SIGNED])
def test_generated_signatures_verify(variant, kind, address, message, signature):
    r = bip322.verify(address, message, signature)
    assert r.format == FORMATS[variant]
    if kind in NOT_INTERPRETED:
        assert r.result == "inconclusive" and not r.valid and "not" in (r.reason or ""), r
    else:
        assert r.valid and r.result == "valid" and r.reason is None, r


@pytest.mark.parametrize("case", VECTORS["error"], ids=lambda c: c["description"])
def test_generated_error_cases_are_invalid_signatures(case):
    r = bip322.verify(case["address"], case["message"], case["signature"])
    assert r.valid is False and r.result == "invalid" and case["error_substr"] in (r.reason or ""), r


def test_a_proof_of_funds_with_an_edited_coin_signature_is_invalid():
    case = VECTORS["proof_of_funds"][2]
    sig = case["bip322_signatures"][0]
    cut = len(sig) // 2  # inside a witness of a proven coin
    edited = sig[:cut] + ("A" if sig[cut] != "A" else "B") + sig[cut + 1:]
    assert bip322.verify(case["address"], case["message"], edited).valid is False


def test_an_unprefixed_full_signature_is_read_as_full_and_a_wrong_network_address_fails():
    case = VECTORS["full"][1]
    assert bip322.verify(case["address"], case["message"], case["bip322_signatures"][0]).format == "full"
    testnet = "tb1qkwzsslep5elkuat4608v7tpntpr3d9n7w5cwwq"  # same program, wrong checksum for tb
    r = bip322.verify(testnet, case["message"], case["bip322_signatures"][0])
    assert r.valid is False and "not a valid Bitcoin address" in (r.reason or "")
