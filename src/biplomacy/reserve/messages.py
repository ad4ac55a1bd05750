"""Signed messages: verify a BIP-322 (or legacy P2PKH) signature, or sign with one test key for rehearsals.

Other pillars verify signatures through this module (supervision's proof of reserves does), not through bip322/.
"""

from __future__ import annotations

from embit import ec

from biplomacy.core.errors import InputError
from biplomacy.reserve.bip322 import message as bip322
from biplomacy.reserve.bip322.message import Verification
from biplomacy.reserve.bip322.sign import sign_message

__all__ = ["Verification", "sign_test_message", "signature_problem", "verify_message"]


def verify_message(address: str, message: str | bytes, signature: str) -> Verification:
    """The verdict on `signature` of `message` by `address`; the network is the address's own."""
    return bip322.verify(address, message, signature)


def signature_problem(address: str, message: str, signature: str) -> str | None:
    """None when the signature proves control of `address`, else why not (a malformed one is a failed proof)."""
    try:
        result = verify_message(address, message, signature)
    except Exception as exc:  # noqa: BLE001 - whatever a malformed signature raises, the proof fails
        return f"{type(exc).__name__}: {exc}"
    return None if result.valid else (result.reason or "signature does not verify")


def sign_test_message(wif: str, message: str, address: str, variant: str = "simple") -> str:
    """A BIP-322 signature by one WIF key (P2WPKH or P2TR). For rehearsals and tests: reserve keys sign offline."""
    try:
        key = ec.PrivateKey.from_wif(wif.strip())
    except Exception:  # embit raises several types for a malformed WIF
        raise InputError("not a WIF private key", field="wif") from None
    try:
        return sign_message(key, message, address, variant)
    except ValueError as exc:
        raise InputError(f"cannot sign: {exc}", field="address") from None
    except Exception:  # embit raises several types for a malformed address
        raise InputError(f"{address!r} is not a valid Bitcoin address", field="address") from None
