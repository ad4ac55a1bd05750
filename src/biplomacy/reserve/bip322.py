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
import hashlib
from dataclasses import dataclass
from io import BytesIO

from embit import ec
from embit.script import Script, Witness, address_to_scriptpubkey
from embit.transaction import Transaction, TransactionInput, TransactionOutput

TAG = b"BIP0322-signed-message"
PREFIXES = {"smp": "simple", "ful": "full", "pof": "proof_of_funds"}
SIGHASH_ALL = 1


@dataclass(frozen=True)
class Verification:
    valid: bool
    result: str  # valid | invalid | inconclusive
    reason: str | None
    format: str  # legacy | simple | full | proof_of_funds

    def as_dict(self) -> dict[str, object]:
        return {"valid": self.valid, "result": self.result, "reason": self.reason, "format": self.format}


def _invalid(fmt: str, reason: str) -> Verification:
    return Verification(False, "invalid", reason, fmt)


def message_hash(message: bytes) -> bytes:
    tag = hashlib.sha256(TAG).digest()
    return hashlib.sha256(tag + tag + message).digest()


def to_spend(message: bytes, script_pubkey: Script) -> Transaction:
    script_sig = Script(b"\x00\x20" + message_hash(message))
    vin = TransactionInput(b"\x00" * 32, 0xFFFFFFFF, script_sig=script_sig, sequence=0)
    return Transaction(version=0, vin=[vin], vout=[TransactionOutput(0, script_pubkey)], locktime=0)


def to_sign(spend: Transaction, witness: Witness | None = None) -> Transaction:
    vin = TransactionInput(spend.txid(), 0, sequence=0, witness=witness or Witness([]))
    return Transaction(version=0, vin=[vin], vout=[TransactionOutput(0, Script(b"\x6a"))], locktime=0)


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


def _checksig_ecdsa(tx: Transaction, script_code: Script, sig: bytes, pub: bytes) -> bool:
    return checksig_ecdsa(tx, 0, script_code, 0, sig, pub)


def checksig_ecdsa(tx: Transaction, index: int, script_code: Script, value: int, sig: bytes, pub: bytes) -> bool:
    """Whether `sig` (SIGHASH_ALL) by `pub` signs input `index` of `tx` spending `value` sats (BIP-143)."""
    if not sig or sig[-1] != SIGHASH_ALL:
        return False
    try:
        h = tx.sighash_segwit(index, script_code, value, sighash=SIGHASH_ALL)
        return bool(ec.PublicKey.parse(pub).verify(ec.Signature.parse(sig[:-1]), h))
    except Exception:  # embit raises several types for malformed keys and DER
        return False


def _verify_p2wpkh(tx: Transaction, spk: Script, w: Witness) -> tuple[bool, str]:
    items = w.items
    if len(items) != 2:
        return False, "invalid signature: a P2WPKH witness has 2 items"
    sig, pub = items
    if hashlib.new("ripemd160", hashlib.sha256(pub).digest()).digest() != spk.data[2:]:
        return False, "invalid signature: the public key does not match the address"
    code = Script(b"\x76\xa9\x14" + spk.data[2:] + b"\x88\xac")
    return (True, "") if _checksig_ecdsa(tx, code, sig, pub) else (False, "invalid signature")


def parse_multisig(script: bytes) -> tuple[int, list[bytes]] | None:
    """(M, pubkeys) of a bare `M <keys> N CHECKMULTISIG` script, else None."""
    if len(script) < 3 or script[-1] != 0xAE:
        return None
    m, n = script[0] - 0x50, script[-2] - 0x50
    keys, i = [], 1
    while i < len(script) - 2:
        size = script[i]
        if size not in (33, 65):
            return None
        keys.append(script[i + 1:i + 1 + size])
        i += 1 + size
    return (m, keys) if 1 <= m <= n == len(keys) else None


def _verify_p2wsh(tx: Transaction, spk: Script, w: Witness) -> tuple[bool, str, bool]:
    """(valid, reason, conclusive)."""
    items = w.items
    if not items:
        return False, "invalid signature: empty witness", True
    ws = items[-1]
    if hashlib.sha256(ws).digest() != spk.data[2:]:
        return False, "invalid signature: the witness script does not match the address", True
    ms = parse_multisig(ws)
    if ms is None:
        return False, "only multisig witness scripts are validated here", False
    m, keys = ms
    sigs = items[1:-1]
    if len(items) < 2 or items[0] != b"" or len(sigs) != m:
        return False, f"invalid signature: expected a dummy item and {m} signatures", True
    code = Script(ws)
    k = 0
    for sig in sigs:  # CHECKMULTISIG: signatures in key order
        while k < len(keys) and not _checksig_ecdsa(tx, code, sig, keys[k]):
            k += 1
        if k == len(keys):
            return False, "invalid signature", True
        k += 1
    return True, "", True


def _verify_p2tr(tx: Transaction, spk: Script, w: Witness) -> tuple[bool, str, bool]:
    items = w.items
    if len(items) != 1:
        return False, "only P2TR key-path spends are validated here", False
    sig = items[0]
    if len(sig) == 65:
        if sig[-1] == 0:
            return False, "invalid signature: explicit SIGHASH_DEFAULT byte", True
        hashtype, sig = sig[-1], sig[:64]
    elif len(sig) == 64:
        hashtype = 0
    else:
        return False, "invalid signature: a Schnorr signature has 64 or 65 bytes", True
    try:
        h = tx.sighash_taproot(0, [spk], [0], sighash=hashtype)
        ok = ec.PublicKey.from_xonly(spk.data[2:]).schnorr_verify(ec.SchnorrSig.parse(sig), h)
    except Exception:  # malformed key or signature
        ok = False
    return (True, "", True) if ok else (False, "invalid signature", True)


def _check_to_sign(tx: Transaction, spend: Transaction) -> str | None:
    if tx.version != 0 and tx.version != 2:
        return "to_sign must have version 0 or 2"
    if not tx.vin or tx.vin[0].txid != spend.txid() or tx.vin[0].vout != 0:
        return "the first input must spend to_spend (the message commitment)"
    if len(tx.vout) != 1 or tx.vout[0].value != 0 or tx.vout[0].script_pubkey.data != b"\x6a":
        return "to_sign must have a single OP_RETURN output of 0"
    return None


def verify(address: str, message: str | bytes, signature: str) -> Verification:
    """Verify a BIP-322 (or legacy) signature of `message` by `address`."""
    msg = message.encode("utf-8") if isinstance(message, str) else message
    try:
        spk = address_to_scriptpubkey(address)
    except Exception:  # embit raises several types for a malformed address
        return _invalid("simple", f"{address!r} is not a valid Bitcoin address")
    variant, body = split_prefix(signature)
    if variant is None and spk.script_type() == "p2pkh":
        from biplomacy.reserve.legacy_message import verify_legacy

        ok, why = verify_legacy(spk, msg, body)
        return Verification(ok, "valid" if ok else "invalid", None if ok else why, "legacy")
    fmt = variant or "simple"
    try:
        raw = _b64(body)
    except ValueError as exc:
        return _invalid(fmt, str(exc))
    if len(raw) < 1 or (fmt == "simple" and len(raw) < 2 and raw != b"\x00"):
        return _invalid(fmt, "signature too short")
    spend = to_spend(msg, spk)
    try:
        if fmt == "simple":
            tx = to_sign(spend, _witness(raw))
        else:
            tx = Transaction.parse(raw)
            problem = _check_to_sign(tx, spend)
            if problem:
                return _invalid(fmt, problem)
            if fmt == "full" and len(tx.vin) != 1:
                return _invalid(fmt, "error parsing signature as full variant: more than one input")
    except Exception as exc:  # embit parse errors
        what = "full variant" if fmt != "simple" else "witness"
        return _invalid(fmt, f"error parsing signature as {what} ({type(exc).__name__})")
    if fmt == "proof_of_funds" and len(tx.vin) > 1:
        return Verification(False, "inconclusive", "proof-of-funds inputs beyond the message are checked by "
                            "`biplomacy reserve verify-statement` against chain data", fmt)
    kind = spk.script_type()
    w = tx.vin[0].witness
    if kind == "p2wpkh":
        ok, why = _verify_p2wpkh(tx, spk, w)
        return Verification(ok, "valid" if ok else "invalid", why or None, fmt)
    if kind in ("p2wsh", "p2tr"):
        ok, why, conclusive = (_verify_p2wsh if kind == "p2wsh" else _verify_p2tr)(tx, spk, w)
        result = "valid" if ok else ("invalid" if conclusive else "inconclusive")
        return Verification(ok, result, why or None, fmt)
    return Verification(False, "inconclusive", f"{kind} addresses are not validated here", fmt)


def sign_simple_p2wpkh(private_key: ec.PrivateKey, message: str | bytes, address: str) -> str:
    """A simple-variant signature with a single key (for tests and rehearsal, never for reserve keys)."""
    msg = message.encode("utf-8") if isinstance(message, str) else message
    spk = address_to_scriptpubkey(address)
    tx = to_sign(to_spend(msg, spk))
    pub = private_key.get_public_key().sec()
    code = Script(b"\x76\xa9\x14" + spk.data[2:] + b"\x88\xac")
    sig = private_key.sign(tx.sighash_segwit(0, code, 0, sighash=SIGHASH_ALL)).serialize() + bytes([SIGHASH_ALL])
    return "smp" + base64.b64encode(Witness([sig, pub]).serialize()).decode()


def check_to_sign(tx: Transaction, spend: Transaction) -> str | None:
    """Why `tx` is not a to_sign of `spend` (version, first input, single OP_RETURN output), or None."""
    return _check_to_sign(tx, spend)
