"""BIP-322 generic signed messages: build to_spend/to_sign, sign and verify (P2WPKH, P2WSH multisig, P2TR key
path), and legacy P2PKH "Bitcoin Signed Message" signatures.

A signature may carry the variant prefix `smp` (simple: the witness stack), `ful` (full: the whole to_sign
transaction) or `pof` (proof of funds: a full to_sign with more inputs, the UTXOs proven); with no prefix it is
read as simple, and a 65-byte compact signature for a P2PKH address as legacy. embit parses, serialises and
computes sighashes; only the BIP-322 glue is here (docs/adr/0002-bip322-glue-on-embit.md says why).
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from io import BytesIO

from embit import ec
from embit.script import Script, Witness, address_to_scriptpubkey
from embit.transaction import Transaction

from biplomacy.reserve.bip322.inputs import checksig_ecdsa, parse_multisig, verify_input
from biplomacy.reserve.bip322.legacy import verify_legacy
from biplomacy.reserve.bip322.pof import verify_pof_psbt
from biplomacy.reserve.bip322.script import LOCKTIME_THRESHOLD, SEQUENCE_DISABLE, SEQUENCE_MASK, SEQUENCE_TYPE
from biplomacy.reserve.bip322.transactions import check_to_sign, message_hash, to_sign, to_spend

__all__ = ["Verification", "checksig_ecdsa", "message_hash", "parse_multisig", "sign_simple_p2wpkh", "to_sign",
           "to_spend", "valid_at", "verify"]

PREFIXES = {"smp": "simple", "ful": "full", "pof": "proof_of_funds"}
SIGHASH_ALL = 1


@dataclass(frozen=True)
class Verification:
    valid: bool
    result: str  # valid | invalid | inconclusive
    reason: str | None
    format: str  # legacy | simple | full | proof_of_funds
    valid_at: dict[str, object] | None = None  # BIP-322's "valid at time T and age S", when to_sign sets either

    def as_dict(self) -> dict[str, object]:
        return {"valid": self.valid, "result": self.result, "reason": self.reason, "format": self.format,
                "valid_at": self.valid_at}


def valid_at(tx: Transaction) -> dict[str, object] | None:
    """BIP-322's final state "valid at time T and age S": T is to_sign's nLockTime, S its first input's nSequence.

    None when both are 0 (plainly valid). Otherwise T read as a block height (below 500,000,000) or a Unix
    time (BIP-65), and S as a relative lock in blocks or in units of 512 seconds, unless its disable bit is
    set or to_sign's version is below 2 (BIP-68).
    """
    time, age = tx.locktime, tx.vin[0].sequence
    if not time and not age:
        return None
    relative = tx.version >= 2 and not age & SEQUENCE_DISABLE
    height = time if 0 < time < LOCKTIME_THRESHOLD else None
    unix = time if time >= LOCKTIME_THRESHOLD else None
    blocks = (age & SEQUENCE_MASK) if relative and not age & SEQUENCE_TYPE else None
    seconds = (age & SEQUENCE_MASK) * 512 if relative and age & SEQUENCE_TYPE else None
    words = [f"from block height {height}" if height is not None else "",
             f"from Unix time {unix} (median time past)" if unix is not None else "",
             f"once the coin is {blocks} blocks old" if blocks is not None else "",
             f"once the coin is {seconds} seconds old" if seconds is not None else ""]
    return {"time": time, "age": age, "height": height, "unix_time": unix, "age_blocks": blocks,
            "age_seconds": seconds, "text": f"valid at time {time} and age {age}: " + (
                ", ".join(w for w in words if w) or "no lock in force")}


def _invalid(fmt: str, reason: str) -> Verification:
    return Verification(False, "invalid", reason, fmt)


def split_prefix(signature: str) -> tuple[str | None, str]:
    s = signature.strip()
    if s[:3] in PREFIXES:
        return PREFIXES[s[:3]], s[3:]
    return None, s


def _b64(text: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("error decoding signature as base64") from None


def _witness(raw: bytes) -> Witness:
    stream = BytesIO(raw)
    w = Witness.read_from(stream)
    if stream.read(1):
        raise ValueError("trailing bytes after the witness stack")
    return w


def verify(address: str, message: str | bytes, signature: str) -> Verification:
    """Verify a BIP-322 (or legacy) signature of `message` by `address`."""
    msg = message.encode("utf-8") if isinstance(message, str) else message
    try:
        spk = address_to_scriptpubkey(address)
    except Exception:  # embit raises several types for a malformed address
        return _invalid("simple", f"{address!r} is not a valid Bitcoin address")
    variant, body = split_prefix(signature)
    try:
        raw = _b64(body)
    except ValueError as exc:
        return _invalid(variant or ("legacy" if spk.script_type() == "p2pkh" else "simple"), str(exc))
    if variant is None and spk.script_type() == "p2pkh" and len(raw) == 65:
        ok, why = verify_legacy(spk, msg, body)
        return Verification(ok, "valid" if ok else "invalid", None if ok else why, "legacy")
    if variant is None:  # unprefixed: simple, or a full to_sign as signers did before the prefixes
        variant = "full" if _parses_as_full(raw) else "simple"
    fmt = variant
    if len(raw) < 1 or (fmt == "simple" and len(raw) < 2 and raw != b"\x00"):
        return _invalid(fmt, "signature too short")
    spend = to_spend(msg, spk)
    if fmt == "proof_of_funds" and raw[:5] == b"psbt\xff":
        outcome, signed = verify_pof_psbt(raw, spend, spk)
        return _conclude(outcome, fmt, signed)
    try:
        if fmt == "simple":
            tx = to_sign(spend, _witness(raw))
        else:
            tx = Transaction.parse(raw)
            problem = check_to_sign(tx, spend)
            if problem:
                return _invalid(fmt, problem)
            if fmt == "full" and len(tx.vin) != 1:
                return _invalid(fmt, "error parsing signature as full variant: more than one input")
    except Exception as exc:  # embit parse errors
        what = "full variant" if fmt != "simple" else "witness"
        return _invalid(fmt, f"error parsing signature as {what} ({type(exc).__name__})")
    if fmt == "proof_of_funds" and len(tx.vin) > 1:
        return Verification(False, "inconclusive", "a raw proof-of-funds transaction lacks the amounts of its "
                            "inputs: check it with `biplomacy reserve verify-statement` against chain data", fmt)
    return _conclude(verify_input(tx, 0, [spk], [0]), fmt, tx)


def _parses_as_full(raw: bytes) -> bool:
    try:
        _witness(raw)
        return False
    except Exception:  # not a witness stack: maybe a whole transaction
        pass
    try:
        Transaction.parse(raw)
        return True
    except Exception:  # neither; reported as a malformed simple signature
        return False


def _conclude(outcome: tuple[bool, str, bool], fmt: str, tx: Transaction | None = None) -> Verification:
    ok, why, conclusive = outcome
    return Verification(ok, "valid" if ok else ("invalid" if conclusive else "inconclusive"), why or None, fmt,
                        valid_at(tx) if ok and tx is not None else None)


def sign_simple_p2wpkh(private_key: ec.PrivateKey, message: str | bytes, address: str) -> str:
    """A simple-variant signature with a single key (for tests and rehearsal, never for reserve keys)."""
    msg = message.encode("utf-8") if isinstance(message, str) else message
    spk = address_to_scriptpubkey(address)
    tx = to_sign(to_spend(msg, spk))
    pub = private_key.get_public_key().sec()
    code = Script(b"\x76\xa9\x14" + spk.data[2:] + b"\x88\xac")
    sig = private_key.sign(tx.sighash_segwit(0, code, 0, sighash=SIGHASH_ALL)).serialize() + bytes([SIGHASH_ALL])
    return "smp" + base64.b64encode(Witness([sig, pub]).serialize()).decode()

