"""Signing here (P2WPKH and P2TR, simple and full) yields signatures the verifier accepts, for that message only."""

import base64

import pytest
from embit import ec
from embit.networks import NETWORKS
from embit.script import p2tr, p2wpkh

from biplomacy.reserve.bip322 import message as bip322
from biplomacy.reserve.bip322.sign import sign_message

KEY = ec.PrivateKey(bytes(range(1, 33)))
OTHER = ec.PrivateKey(bytes(range(2, 34)))
ADDRESSES = {"p2wpkh": p2wpkh(KEY.get_public_key()).address(NETWORKS["regtest"]),
             "p2tr": p2tr(KEY.get_public_key()).address(NETWORKS["test"])}


@pytest.mark.parametrize("kind", ADDRESSES)
@pytest.mark.parametrize("variant", ["simple", "full"])
def test_signed_here_verifies_and_only_for_its_message(kind, variant):
    address = ADDRESSES[kind]
    sig = sign_message(KEY, "reserve attestation Q4", address, variant)
    r = bip322.verify(address, "reserve attestation Q4", sig)
    assert r.valid and r.format == variant, r
    assert bip322.verify(address, "reserve attestation Q1", sig).valid is False


@pytest.mark.parametrize("kind", ADDRESSES)
def test_another_key_cannot_sign_for_the_address(kind):
    with pytest.raises(ValueError, match="does not control"):
        sign_message(OTHER, "x", ADDRESSES[kind])


def test_a_truncated_witness_is_invalid_with_a_reason():
    sig = sign_message(KEY, "m", ADDRESSES["p2wpkh"])
    raw = base64.b64decode(sig[3:])
    r = bip322.verify(ADDRESSES["p2wpkh"], "m", "smp" + base64.b64encode(raw[:-5]).decode())
    assert r.valid is False and r.result == "invalid" and r.reason


def test_a_signature_binds_the_script_whatever_the_network_prefix_and_not_another_script():
    main = p2wpkh(KEY.get_public_key()).address(NETWORKS["main"])
    sig = sign_message(KEY, "m", main)
    assert bip322.verify(main, "m", sig).valid
    assert bip322.verify(ADDRESSES["p2wpkh"], "m", sig).valid  # same script: BIP-322 signs the script
    assert bip322.verify(p2tr(KEY.get_public_key()).address(NETWORKS["main"]), "m", sig).valid is False


def test_cli_sign_message_then_verify_message_round_trip(cli_nodb):
    wif = KEY.wif(NETWORKS["regtest"])
    signed = cli_nodb("reserve", "sign-message", "--address", ADDRESSES["p2wpkh"], "--message", "rehearsal",
                      "--wif", wif, "--json")
    assert signed.exit_code == 0 and "never" in signed.stderr
    r = cli_nodb("reserve", "verify-message", "--address", ADDRESSES["p2wpkh"], "--message", "rehearsal",
                 "--signature", signed.json["signature"], "--json")
    assert r.json == {"valid": True, "result": "valid", "reason": None, "format": "simple", "valid_at": None}


def test_cli_sign_message_with_a_malformed_wif_is_exit_2(cli_nodb):
    r = cli_nodb("reserve", "sign-message", "--address", ADDRESSES["p2wpkh"], "--message", "m", "--wif", "notakey")
    assert r.exit_code == 2 and "WIF" in r.stderr


def test_cli_malformed_base64_signature_is_invalid_exit_0(cli_nodb):
    r = cli_nodb("reserve", "verify-message", "--address", ADDRESSES["p2wpkh"], "--message", "m",
                 "--signature", "smp%%%not-base64", "--json")
    assert r.exit_code == 0 and r.json["valid"] is False and "base64" in r.json["reason"]
