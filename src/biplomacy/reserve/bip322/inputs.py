"""Check one input of a BIP-322 to_sign transaction against the script it spends (P2PKH, P2SH-wrapped, P2WPKH,
P2WSH, P2TR key path and tapscript script path). P2WSH scripts other than multisig and tapscript leaves run in
bip322_script (IF branches, time locks, hashes, signatures); what it does not interpret is not validated.

Each check returns (valid, reason, conclusive): conclusive is False for a script this module does not
interpret, which BIP-322 reports as "inconclusive".
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from embit import compact, ec, hashes
from embit.script import Script, Witness
from embit.transaction import Transaction
from embit.util import secp256k1

from biplomacy.reserve.bip322.script import Inconclusive, Invalid, run_tapscript, run_witness_v0

SIGHASH_ALL = 1
Outcome = tuple[bool, str, bool]
OK: Outcome = (True, "", True)


def hash160(data: bytes) -> bytes:
    return hashlib.new("ripemd160", hashlib.sha256(data).digest()).digest()


def pushes(script: bytes) -> list[bytes] | None:
    """The data items of a push-only script (scriptSig), or None if it holds any other opcode."""
    items, i = [], 0
    while i < len(script):
        op = script[i]
        i += 1
        if op == 0:
            items.append(b"")
            continue
        if op <= 75:
            size = op
        elif op == 76 and i < len(script):
            size, i = script[i], i + 1
        elif op == 77 and i + 1 < len(script):
            size, i = int.from_bytes(script[i:i + 2], "little"), i + 2
        else:
            return None
        if i + size > len(script):
            return None
        items.append(script[i:i + size])
        i += size
    return items


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


def _ecdsa(tx: Transaction, index: int, code: Script, value: int | None, sig: bytes, pub: bytes) -> bool:
    """Whether `sig` (SIGHASH_ALL) by `pub` signs input `index`; value None means the legacy sighash."""
    if not sig or sig[-1] != SIGHASH_ALL:
        return False
    try:
        h = (tx.sighash_legacy(index, code, sighash=SIGHASH_ALL) if value is None
             else tx.sighash_segwit(index, code, value, sighash=SIGHASH_ALL))
        return bool(ec.PublicKey.parse(pub).verify(ec.Signature.parse(sig[:-1]), h))
    except Exception:  # embit raises several types for malformed keys and DER
        return False


def checksig_ecdsa(tx: Transaction, index: int, code: Script, value: int, sig: bytes, pub: bytes) -> bool:
    """Whether `sig` (SIGHASH_ALL) by `pub` signs input `index` of `tx` spending `value` sats (BIP-143)."""
    return _ecdsa(tx, index, code, value, sig, pub)


def _multisig(tx: Transaction, index: int, script: bytes, value: int | None, items: list[bytes]) -> Outcome:
    parsed = parse_multisig(script)
    if parsed is None:
        return False, "only multisig scripts are validated here (not time locks or other scripts)", False
    m, keys = parsed
    sigs = items[1:]
    if not items or items[0] != b"" or len(sigs) != m:
        return False, f"invalid signature: expected a dummy item and {m} signatures", True
    code, k = Script(script), 0
    for sig in sigs:  # CHECKMULTISIG: signatures in key order
        while k < len(keys) and not _ecdsa(tx, index, code, value, sig, keys[k]):
            k += 1
        if k == len(keys):
            return False, "invalid signature", True
        k += 1
    return OK


def _p2wpkh(tx: Transaction, index: int, program: bytes, value: int, w: Witness) -> Outcome:
    if len(w.items) != 2:
        return False, "invalid signature: a P2WPKH witness has 2 items", True
    sig, pub = w.items
    if hash160(pub) != program:
        return False, "invalid signature: the public key does not match the address", True
    code = Script(b"\x76\xa9\x14" + program + b"\x88\xac")
    return OK if _ecdsa(tx, index, code, value, sig, pub) else (False, "invalid signature", True)


def _interpreted(execute: Callable[[], None]) -> Outcome:
    try:
        execute()
    except Invalid as exc:
        return False, str(exc), True
    except Inconclusive as exc:
        return False, f"not validated: {exc}", False
    return OK


def _p2wsh(tx: Transaction, index: int, program: bytes, value: int, w: Witness) -> Outcome:
    if not w.items:
        return False, "invalid signature: empty witness", True
    script = w.items[-1]
    if hashlib.sha256(script).digest() != program:
        return False, "invalid signature: the witness script does not match the address", True
    if parse_multisig(script) is not None:
        return _multisig(tx, index, script, value, w.items[:-1])
    return _interpreted(lambda: run_witness_v0(tx, index, script, list(w.items[:-1]), value))


def _tap_commitment(output_key: bytes, control: bytes, leaf: bytes) -> bool:
    """Whether the control block proves `leaf` is committed to in the taproot output key (BIP-341)."""
    k = hashes.tagged_hash("TapLeaf", bytes([control[0] & 0xFE]) + compact.to_bytes(len(leaf)) + leaf)
    for i in range(33, len(control), 32):
        e = control[i:i + 32]
        k = hashes.tagged_hash("TapBranch", min(k, e) + max(k, e))
    tweak = hashes.tagged_hash("TapTweak", control[1:33] + k)
    try:
        if not secp256k1.ec_seckey_verify(tweak):
            return False
        point = secp256k1.ec_pubkey_add(secp256k1.ec_pubkey_parse(b"\x02" + control[1:33]), tweak)
    except Exception:  # an internal key that is not on the curve
        return False
    sec = secp256k1.ec_pubkey_serialize(point)
    return bool(sec[1:] == output_key and (sec[0] == 3) == bool(control[0] & 1))


def _p2tr_script_path(tx: Transaction, index: int, spks: list[Script], values: list[int],
                      items: list[bytes]) -> Outcome:
    annex = items[-1] if len(items) >= 2 and items[-1][:1] == b"\x50" else None
    if annex is not None:
        items = items[:-1]
    if len(items) < 2:
        return False, "invalid signature: a P2TR script path needs a script and a control block", True
    control, leaf = items[-1], items[-2]
    if len(control) < 33 or (len(control) - 33) % 32 or len(control) > 33 + 128 * 32:
        return False, "invalid signature: malformed taproot control block", True
    if not _tap_commitment(spks[index].data[2:], control, leaf):
        return False, "invalid signature: the script is not committed to in the address (control block)", True
    if control[0] & 0xFE != 0xC0:
        return False, "not validated: a taproot leaf version other than tapscript (upgradeable rule)", False
    size = len(tx.vin[index].witness.serialize())
    return _interpreted(lambda: run_tapscript(tx, index, spks, values, leaf, list(items[:-2]), annex, size))


def _p2tr(tx: Transaction, index: int, spks: list[Script], values: list[int], w: Witness) -> Outcome:
    items = w.items
    if len(items) == 2 and items[-1][:1] == b"\x50":
        return False, "not validated: a P2TR key-path spend with an annex", False
    if len(items) != 1:
        return _p2tr_script_path(tx, index, spks, values, list(items))
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
        h = tx.sighash_taproot(index, spks, values, sighash=hashtype)
        ok = ec.PublicKey.from_xonly(spks[index].data[2:]).schnorr_verify(ec.SchnorrSig.parse(sig), h)
    except Exception:  # malformed key or signature
        ok = False
    return OK if ok else (False, "invalid signature", True)


def _p2pkh(tx: Transaction, index: int, spk: Script, items: list[bytes]) -> Outcome:
    if len(items) != 2:
        return False, "invalid signature: a P2PKH scriptSig pushes a signature and a key", True
    sig, pub = items
    if hash160(pub) != spk.data[3:23]:
        return False, "invalid signature: the public key does not match the address", True
    return OK if _ecdsa(tx, index, spk, None, sig, pub) else (False, "invalid signature", True)


def _p2sh(tx: Transaction, index: int, spk: Script, value: int, items: list[bytes]) -> Outcome:
    if not items or hash160(items[-1]) != spk.data[2:22]:
        return False, "invalid signature: the redeem script does not match the address", True
    redeem, w = items[-1], tx.vin[index].witness
    if len(items) == 1 and len(redeem) == 22 and redeem[:2] == b"\x00\x14":
        return _p2wpkh(tx, index, redeem[2:], value, w)
    if len(items) == 1 and len(redeem) == 34 and redeem[:2] == b"\x00\x20":
        return _p2wsh(tx, index, redeem[2:], value, w)
    return _multisig(tx, index, redeem, None, items[:-1])


def verify_input(tx: Transaction, index: int, spks: list[Script], values: list[int]) -> Outcome:
    """Check input `index` of `tx`, which spends an output with script spks[index] of values[index] sats."""
    spk, value, vin = spks[index], values[index], tx.vin[index]
    kind = spk.script_type()
    items = pushes(vin.script_sig.data)
    if items is None:
        return False, "invalid signature: the scriptSig is not push-only", True
    if kind in ("p2wpkh", "p2wsh", "p2tr") and items:
        return False, "invalid signature: a native segwit input must have an empty scriptSig", True
    if kind == "p2wpkh":
        return _p2wpkh(tx, index, spk.data[2:], value, vin.witness)
    if kind == "p2wsh":
        return _p2wsh(tx, index, spk.data[2:], value, vin.witness)
    if kind == "p2tr":
        return _p2tr(tx, index, spks, values, vin.witness)
    if kind == "p2pkh":
        return _p2pkh(tx, index, spk, items)
    if kind == "p2sh":
        return _p2sh(tx, index, spk, value, items)
    return False, f"{kind} scripts are not validated here", False
