"""Legacy "Bitcoin Signed Message" signatures (P2PKH, 65-byte compact recoverable ECDSA), as wallets made before BIP-322."""

from __future__ import annotations

import base64
import binascii
import hashlib

from embit.script import Script
from embit.util import secp256k1

PREFIX = b"\x18Bitcoin Signed Message:\n"


def _compact_size(n: int) -> bytes:
    if n < 0xFD:
        return bytes([n])
    if n <= 0xFFFF:
        return b"\xfd" + n.to_bytes(2, "little")
    return b"\xfe" + n.to_bytes(4, "little")


def legacy_hash(message: bytes) -> bytes:
    return hashlib.sha256(hashlib.sha256(PREFIX + _compact_size(len(message)) + message).digest()).digest()


def verify_legacy(spk: Script, message: bytes, signature_b64: str) -> tuple[bool, str]:
    try:
        sig = base64.b64decode(signature_b64, validate=True)
    except (binascii.Error, ValueError):
        return False, "error decoding signature as base64"
    if len(sig) != 65 or not 27 <= sig[0] <= 34:
        return False, "a legacy signature is 65 bytes with a header of 27-34"
    recid, compressed = (sig[0] - 27) & 3, sig[0] >= 31
    try:
        rsig = secp256k1.ecdsa_recoverable_signature_parse_compact(sig[1:], recid)
        pub = secp256k1.ecdsa_recover(rsig, legacy_hash(message))
        sec = secp256k1.ec_pubkey_serialize(pub, secp256k1.EC_COMPRESSED if compressed else secp256k1.EC_UNCOMPRESSED)
    except Exception:  # no key recovers from this signature
        return False, "invalid signature"
    h160 = hashlib.new("ripemd160", hashlib.sha256(sec).digest()).digest()
    return (True, "") if h160 == spk.data[3:23] else (False, "invalid signature")
