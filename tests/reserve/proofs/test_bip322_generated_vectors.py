"""BIP-322 generated vectors of the bips repository: simple, full and proof-of-funds signatures, and each error."""

import json
from pathlib import Path

import pytest

from biplomacy.reserve.bip322 import message as bip322

VECTORS = json.loads((Path(__file__).parent / "vectors" / "generated-test-vectors.json").read_text(encoding="utf-8"))
FORMATS = {"simple": "simple", "full": "full", "proof_of_funds": "proof_of_funds"}
SIGNED = [(variant, c, s) for variant in FORMATS for c in VECTORS[variant] for s in c["bip322_signatures"]]


@pytest.mark.parametrize(("variant", "case", "signature"), SIGNED, ids=[f"{v}-{c['type']}" for v, c, _ in SIGNED])
def test_generated_signatures_verify(variant, case, signature):
    r = bip322.verify(case["address"], case["message"], signature)
    assert r.format == FORMATS[variant]
    assert r.valid and r.result == "valid" and r.reason is None, r
    time, age = case.get("lock_time", 0), case.get("sequence", 0)
    if time or age:  # the time-lock vectors: BIP-322's "valid at time T and age S"
        assert r.valid_at is not None and (r.valid_at["time"], r.valid_at["age"]) == (time, age), r
    else:
        assert r.valid_at is None, r


def test_the_time_lock_vectors_read_as_a_block_height_and_an_age_in_blocks():
    locked = [c for c in VECTORS["full"] if c["type"] in ("p2wsh-time-lock", "p2tr-time-lock")]
    assert len(locked) == 2
    for case in locked:
        r = bip322.verify(case["address"], case["message"], case["bip322_signatures"][0])
        assert r.valid_at == {"time": 2016, "age": 2016, "height": 2016, "unix_time": None, "age_blocks": 2016,
                              "age_seconds": None, "text": "valid at time 2016 and age 2016: from block height "
                                                           "2016, once the coin is 2016 blocks old"}, r
        assert not bip322.verify(case["address"], case["message"] + "!", case["bip322_signatures"][0]).valid


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
