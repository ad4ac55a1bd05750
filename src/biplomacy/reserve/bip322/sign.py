"""BIP-322 signing with a single private key (P2WPKH, P2TR key path; simple or full): for tests, rehearsal and
demos only, never for the reserve's own keys, which sign statements through the multisig PSBT ceremony.
"""

from __future__ import annotations

import base64

from embit import ec
from embit.script import Script, Witness, address_to_scriptpubkey

from biplomacy.reserve.bip322.inputs import hash160
from biplomacy.reserve.bip322.message import SIGHASH_ALL, to_sign, to_spend

PREFIX = {"simple": "smp", "full": "ful"}


def sign_message(private_key: ec.PrivateKey, message: str | bytes, address: str, variant: str = "simple") -> str:
    """The prefixed BIP-322 signature of `message` by the key behind `address` (P2WPKH or P2TR).

    ValueError when the key does not control the address, the address type is not supported, or the variant
    is not simple or full.
    """
    if variant not in PREFIX:
        raise ValueError(f"variant must be simple or full, not {variant!r}")
    msg = message.encode("utf-8") if isinstance(message, str) else message
    spk = address_to_scriptpubkey(address)
    tx = to_sign(to_spend(msg, spk))
    kind = spk.script_type()
    pub = private_key.get_public_key()
    if kind == "p2wpkh":
        if hash160(pub.sec()) != spk.data[2:]:
            raise ValueError("the key does not control this address")
        code = Script(b"\x76\xa9\x14" + spk.data[2:] + b"\x88\xac")
        sig = private_key.sign(tx.sighash_segwit(0, code, 0, sighash=SIGHASH_ALL)).serialize()
        witness = Witness([sig + bytes([SIGHASH_ALL]), pub.sec()])
    elif kind == "p2tr":
        tweaked = private_key.taproot_tweak(b"")
        if tweaked.get_public_key().xonly() != spk.data[2:]:
            raise ValueError("the key does not control this address (taproot key path, no script tree)")
        h = tx.sighash_taproot(0, [spk], [0], sighash=0)
        witness = Witness([tweaked.schnorr_sign(h).serialize()])
    else:
        raise ValueError(f"signing is supported for P2WPKH and P2TR addresses, not {kind}")
    if variant == "simple":
        return "smp" + base64.b64encode(witness.serialize()).decode()
    tx.vin[0].witness = witness
    return "ful" + base64.b64encode(tx.serialize()).decode()
