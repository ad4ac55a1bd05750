"""BIP-322 proofs of time-locked scripts: valid at time T and age S only when the script's locks are met.

Signatures are made here with the private keys the bips repository publishes with its generated vectors, over
the same P2WSH time-lock script (`IF <A> ELSE 2016 CSV DROP <B> ENDIF CHECKSIG`), with chosen to_sign fields.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from embit import ec
from embit.networks import NETWORKS
from embit.script import Script, Witness, p2wsh
from embit.transaction import Transaction

from biplomacy.reserve.bip322 import message as bip322

VECTORS = json.loads((Path(__file__).parent / "vectors" / "generated-test-vectors.json").read_text(encoding="utf-8"))
CSV_CASE = next(c for c in VECTORS["full"] if c["type"] == "p2wsh-time-lock")
TAP_CASE = next(c for c in VECTORS["full"] if c["type"] == "p2tr-time-lock")
KEY = ec.PrivateKey.from_wif(CSV_CASE["private_keys"][0])  # key B, of the CSV branch
PUB = KEY.get_public_key().sec()
MESSAGE = "reserve cold storage, locked for two weeks"


def full(script: bytes, stack: list[bytes], *, version: int = 2, locktime: int = 0, sequence: int = 0,
         sign: bool = True) -> tuple[str, str]:
    """(address, full signature) of a P2WSH `script`; the witness is [signature?, *stack, script]."""
    spk = p2wsh(Script(script))
    tx = bip322.to_sign(bip322.to_spend(MESSAGE.encode(), spk))
    tx.version, tx.locktime, tx.vin[0].sequence = version, locktime, sequence
    sig = [KEY.sign(tx.sighash_segwit(0, Script(script), 0, sighash=1)).serialize() + b"\x01"] if sign else []
    tx.vin[0].witness = Witness([*sig, *stack, script])
    return spk.address(NETWORKS["main"]), "ful" + base64.b64encode(tx.serialize()).decode()


CSV_SCRIPT = bytes.fromhex(CSV_CASE["witness_script"])
CLTV_SCRIPT = b"\x02\xe0\x07\xb1\x75\x21" + PUB + b"\xac"  # 2016 CHECKLOCKTIMEVERIFY DROP <B> CHECKSIG


def test_the_csv_branch_signed_here_is_valid_at_age_2016():
    address, signature = full(CSV_SCRIPT, [b""], sequence=2016)
    r = bip322.verify(address, MESSAGE, signature)
    assert r.valid and r.valid_at is not None and (r.valid_at["age_blocks"], r.valid_at["height"]) == (2016, None)


@pytest.mark.parametrize(("fields", "why"), [
    ({"sequence": 2015}, "needs age 2016"),
    ({"sequence": 2016, "version": 0}, "needs version 2"),
    ({"sequence": 2016 | (1 << 22)}, "needs age"),  # 2016 x 512 seconds is not 2016 blocks
    ({"sequence": 0}, "needs age 2016"),
])
def test_the_csv_branch_is_invalid_when_to_sign_does_not_meet_the_age(fields, why):
    address, signature = full(CSV_SCRIPT, [b""], **fields)
    r = bip322.verify(address, MESSAGE, signature)
    assert r.valid is False and r.result == "invalid" and why in (r.reason or ""), r


def test_the_other_branch_with_the_wrong_key_and_a_non_minimal_if_are_invalid():
    address, signature = full(CSV_SCRIPT, [b"\x01"], sequence=2016)  # key B's signature on key A's branch
    assert bip322.verify(address, MESSAGE, signature).result == "invalid"
    address, signature = full(CSV_SCRIPT, [b"\x02"], sequence=2016)
    r = bip322.verify(address, MESSAGE, signature)
    assert r.result == "invalid" and "MINIMALIF" in (r.reason or "")


@pytest.mark.parametrize(("locktime", "valid"), [(2016, True), (2500, True), (2015, False), (600_000_000, False)])
def test_cltv_is_valid_from_its_height_only(locktime, valid):
    address, signature = full(CLTV_SCRIPT, [], locktime=locktime, sequence=0xFFFFFFFE)
    r = bip322.verify(address, MESSAGE, signature)
    assert r.valid is valid, r
    if valid:
        assert r.valid_at is not None and r.valid_at["height"] == locktime and r.valid_at["age_blocks"] is None


def test_a_simple_signature_cannot_satisfy_a_time_lock():
    spk = p2wsh(Script(CSV_SCRIPT))
    tx = bip322.to_sign(bip322.to_spend(MESSAGE.encode(), spk))
    sig = KEY.sign(tx.sighash_segwit(0, Script(CSV_SCRIPT), 0, sighash=1)).serialize() + b"\x01"
    simple = "smp" + base64.b64encode(Witness([sig, b"", CSV_SCRIPT]).serialize()).decode()
    r = bip322.verify(spk.address(NETWORKS["main"]), MESSAGE, simple)
    assert r.result == "invalid" and "CHECKSEQUENCEVERIFY" in (r.reason or "")


@pytest.mark.parametrize(("script", "why"), [
    (b"\x51\xb3", "reserved for upgrades"),  # 1 NOP4
    (b"\x51\x82\x75", "not interpreted"),  # 1 SIZE DROP: an opcode this verifier does not run
    (b"\x00\x63\x7e\x68\x51", "not interpreted"),  # 0 IF CAT ENDIF 1: Bitcoin fails OP_CAT even in a branch not taken
])
def test_scripts_not_interpreted_stay_inconclusive_never_valid(script, why):
    address, signature = full(script, [], sign=False)
    r = bip322.verify(address, MESSAGE, signature)
    assert r.valid is False and r.result == "inconclusive" and why in (r.reason or ""), r


def test_codeseparator_and_a_leftover_stack_item_are_invalid():
    for script, why in ((b"\xab\x51", "CODESEPARATOR"), (b"\x51\x51", "CLEANSTACK")):
        address, signature = full(script, [], sign=False)
        r = bip322.verify(address, MESSAGE, signature)
        assert r.result == "invalid" and why in (r.reason or ""), r


def _edit_tap_witness(edit) -> str:  # type: ignore[no-untyped-def]
    _, body = bip322.split_prefix(TAP_CASE["bip322_signatures"][0])
    tx = Transaction.parse(base64.b64decode(body))
    items = list(tx.vin[0].witness.items)
    edit(items)
    tx.vin[0].witness = Witness(items)
    return "ful" + base64.b64encode(tx.serialize()).decode()


def test_a_tapscript_leaf_not_committed_to_by_the_address_is_invalid():
    def other_internal_key(items: list[bytes]) -> None:
        control = items[-1]
        items[-1] = control[:1] + ec.PrivateKey(bytes(31) + b"\x07").get_public_key().xonly() + control[33:]

    def other_leaf(items: list[bytes]) -> None:
        items[-2] = items[-2].replace(b"\xe0\x07", b"\xdf\x07")  # CSV 2015 instead of 2016

    for edit in (other_internal_key, other_leaf):
        r = bip322.verify(TAP_CASE["address"], TAP_CASE["message"], _edit_tap_witness(edit))
        assert r.result == "invalid" and "control block" in (r.reason or ""), r


def test_a_tapscript_signature_edited_is_invalid():
    def flip(items: list[bytes]) -> None:
        items[0] = items[0][:10] + bytes([items[0][10] ^ 1]) + items[0][11:]

    r = bip322.verify(TAP_CASE["address"], TAP_CASE["message"], _edit_tap_witness(flip))
    assert r.result == "invalid", r


def test_cli_prints_valid_at_for_a_time_locked_proof(cli_nodb):
    r = cli_nodb("reserve", "verify-message", "--address", CSV_CASE["address"], "--message", CSV_CASE["message"],
                 "--signature", CSV_CASE["bip322_signatures"][0], "--json")
    assert r.exit_code == 0 and r.json["valid"] is True and r.json["valid_at"]["height"] == 2016
    assert "reason" in r.json and r.json["reason"] is None


def test_cli_says_valid_at_to_people_too(cli_nodb):
    r = cli_nodb("reserve", "verify-message", "--address", CSV_CASE["address"], "--message", CSV_CASE["message"],
                 "--signature", CSV_CASE["bip322_signatures"][0])
    assert r.exit_code == 0 and "valid at time 2016 and age 2016" in " ".join(r.stdout.split())
