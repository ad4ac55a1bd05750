"""A small Bitcoin Script interpreter for BIP-322: segwit v0 witness scripts and tapscript (BIP-342) leaves.

It runs the scripts BIP-322 proofs of time-locked coins satisfy (IF/ELSE branches, CHECKSIG, CHECKMULTISIG,
CHECKSIGADD and NUMEQUAL as multi_a leaves use them, CHECKLOCKTIMEVERIFY, CHECKSEQUENCEVERIFY, hashes and
equality) under BIP-322's required rules (SIGHASH_ALL, no CODESEPARATOR, strict low-S DER, NULLFAIL,
MINIMALDATA, CLEANSTACK, MINIMALIF) and its upgradeable rules (reserved NOPs, OP_SUCCESS, unknown key types:
"inconclusive"). Any opcode it does not interpret is also "inconclusive", as BIP-322 asks of a verifier
without a full interpreter, never "valid".
docs/adr/0006-bip322-script-subset.md says why this is written here rather than taken from a library.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field

from embit import ec
from embit.script import Script
from embit.transaction import Transaction

SIGHASH_ALL = 1
HALF_ORDER = 0x7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF5D576E7357A4501DDFE92F46681B20A0
LOCKTIME_THRESHOLD = 500_000_000  # below: a block height; from here: a Unix time (BIP-65)
SEQUENCE_DISABLE = 1 << 31  # BIP-68/112
SEQUENCE_TYPE = 1 << 22  # set: units of 512 seconds; unset: blocks
SEQUENCE_MASK = 0xFFFF
RESERVED_NOPS = {0xB0, *range(0xB3, 0xBA)}  # NOP1, NOP4..NOP10
# Opcodes run here (pushes aside). Any other anywhere in a script, run or not, makes the answer inconclusive:
# Bitcoin fails some opcodes even in a branch not taken (OP_CAT, OP_VERIF...), so skipping them could say "valid".
KNOWN = {0x4F, *range(0x51, 0x62), 0x63, 0x64, 0x67, 0x68, 0x69, 0x6A, 0x73, 0x75, 0x76, 0x87, 0x88, 0x9C, 0x9D, 0xA6,
         0xA8, 0xA9, 0xAA, 0xAB, 0xAC, 0xAD, 0xAE, 0xAF, 0xB1, 0xB2}
MAX_ELEMENT = 520  # bytes of a stack item (consensus)
MAX_STACK = 1000
MAX_V0_SCRIPT, MAX_V0_OPS = 10_000, 201
SIG_BUDGET_COST = 50  # BIP-342: each signature checked spends 50 of 50 + the witness's size
OP_SUCCESS = {80, 98, *range(126, 130), *range(131, 135), 137, 138, 141, 142, *range(149, 154), *range(187, 255)}
HASHES: dict[int, Callable[[bytes], bytes]] = {
    0xA6: lambda b: hashlib.new("ripemd160", b).digest(),
    0xA8: lambda b: hashlib.sha256(b).digest(),
    0xA9: lambda b: hashlib.new("ripemd160", hashlib.sha256(b).digest()).digest(),
    0xAA: lambda b: hashlib.sha256(hashlib.sha256(b).digest()).digest(),
}


class Invalid(Exception):
    """A required rule or the script itself failed: the proof is invalid."""


class Inconclusive(Exception):
    """An upgradeable rule, or something this interpreter does not interpret: BIP-322's "inconclusive"."""


@dataclass(frozen=True)
class Context:
    """The input being checked: the transaction, its index, and how to hash it for a signature."""

    tx: Transaction
    index: int
    tapscript: bool
    sighash: Callable[[int], bytes]  # hash type -> the message a signature of this input signs
    budget: list[int] = field(default_factory=lambda: [0])  # tapscript: signature-check budget left
    op_count: list[int] = field(default_factory=lambda: [0])  # segwit v0: operations counted (limit 201)


def num(data: bytes, max_size: int = 4) -> int:
    """A minimally encoded script number (CScriptNum)."""
    if len(data) > max_size:
        raise Invalid("invalid signature: script number too long")
    if data and data[-1] & 0x7F == 0 and (len(data) == 1 or not data[-2] & 0x80):
        raise Invalid("invalid signature: script number not minimally encoded (MINIMALDATA)")
    if not data:
        return 0
    value = int.from_bytes(data, "little")
    if data[-1] & 0x80:
        return -(value & ~(0x80 << (8 * (len(data) - 1))))
    return value


def encode_num(value: int) -> bytes:
    """The minimal script number encoding of `value`."""
    magnitude, out = abs(value), bytearray()
    while magnitude:
        out.append(magnitude & 0xFF)
        magnitude >>= 8
    if out and out[-1] & 0x80:
        out.append(0x80 if value < 0 else 0)
    elif value < 0:
        out[-1] |= 0x80
    return bytes(out)


def truthy(data: bytes) -> bool:
    return any(data[:-1]) or (bool(data) and data[-1] & 0x7F != 0)


def ops(script: bytes) -> list[tuple[int, bytes | None]]:
    """(opcode, pushed data or None) for each operation; Invalid for a truncated or non-minimal push."""
    out: list[tuple[int, bytes | None]] = []
    i = 0
    while i < len(script):
        op, i = script[i], i + 1
        if op > 0x4E:
            out.append((op, None))
            continue
        size, width = op, {0x4C: 1, 0x4D: 2, 0x4E: 4}.get(op, 0)
        if width:
            if i + width > len(script):
                raise Invalid("invalid signature: truncated push in the script")
            size, i = int.from_bytes(script[i:i + width], "little"), i + width
        if i + size > len(script):
            raise Invalid("invalid signature: truncated push in the script")
        data = script[i:i + size]
        i += size
        minimal = (op == 0 if not data else
                   False if len(data) == 1 and (1 <= data[0] <= 16 or data[0] == 0x81) else
                   op == len(data) if len(data) <= 75 else op == 0x4C if len(data) <= 255 else
                   op == 0x4D if len(data) <= 0xFFFF else True)
        if not minimal:
            raise Invalid("invalid signature: a push is not minimally encoded (MINIMALDATA)")
        out.append((op, data))
    return out


def strict_der_low_s(sig: bytes) -> bool:
    """BIP-66 strict DER (without the hash type byte) with a low S value (BIP-146)."""
    if not 8 <= len(sig) <= 72 or sig[0] != 0x30 or sig[1] != len(sig) - 2:
        return False
    len_r = sig[3]
    if sig[2] != 0x02 or len_r == 0 or 5 + len_r >= len(sig):
        return False
    len_s = sig[5 + len_r]
    if sig[4 + len_r] != 0x02 or len_s == 0 or len_r + len_s + 6 != len(sig):
        return False
    r, s = sig[4:4 + len_r], sig[6 + len_r:]
    for part in (r, s):
        if part[0] & 0x80 or (len(part) > 1 and part[0] == 0 and not part[1] & 0x80):
            return False
    return 0 < int.from_bytes(s, "big") <= HALF_ORDER


def _ecdsa(ctx: Context, sig: bytes, pub: bytes) -> bool:
    """Whether a non-empty ECDSA signature verifies; Invalid where BIP-322's required rules are broken."""
    if sig[-1] != SIGHASH_ALL:
        raise Invalid("invalid signature: signatures must use SIGHASH_ALL")
    if not strict_der_low_s(sig[:-1]):
        raise Invalid("invalid signature: not a strict DER low-S signature")
    if not ((len(pub) == 33 and pub[0] in (2, 3)) or (len(pub) == 65 and pub[0] == 4)):
        raise Invalid("invalid signature: public key not in a standard encoding")
    try:
        return bool(ec.PublicKey.parse(pub).verify(ec.Signature.parse(sig[:-1]), ctx.sighash(SIGHASH_ALL)))
    except Exception:  # embit raises several types for keys not on the curve
        return False


def _schnorr(ctx: Context, sig: bytes, pub: bytes) -> bool:
    """Tapscript signature check (BIP-342): True if valid, Invalid if it fails (a failed one must be empty)."""
    if len(pub) == 0:
        raise Invalid("invalid signature: empty public key in tapscript")
    if len(pub) != 32:
        raise Inconclusive("a tapscript public key of an unknown type (upgradeable rule)")
    if len(sig) == 65 and sig[-1] != SIGHASH_ALL or len(sig) not in (64, 65):
        raise Invalid("invalid signature: signatures must use SIGHASH_ALL (64 bytes, or 65 ending in 0x01)")
    ctx.budget[0] -= SIG_BUDGET_COST
    if ctx.budget[0] < 0:
        raise Invalid("invalid signature: the tapscript checks more signatures than its witness pays for (BIP-342)")
    try:
        ok = ec.PublicKey.from_xonly(pub).schnorr_verify(ec.SchnorrSig.parse(sig[:64]),
                                                           ctx.sighash(0 if len(sig) == 64 else SIGHASH_ALL))
    except Exception:  # malformed key or signature
        ok = False
    if not ok:
        raise Invalid("invalid signature")
    return True


def _checksig(ctx: Context, sig: bytes, pub: bytes) -> bool:
    if not sig:
        return False
    if ctx.tapscript:
        return _schnorr(ctx, sig, pub)
    if not _ecdsa(ctx, sig, pub):
        raise Invalid("invalid signature")  # NULLFAIL: a failing signature must be the empty push
    return True


def _checkmultisig(ctx: Context, stack: list[bytes]) -> bool:
    if ctx.tapscript:
        raise Invalid("invalid signature: CHECKMULTISIG is disabled in tapscript")
    n = num(_pop(stack))
    if not 0 <= n <= 20:
        raise Invalid("invalid signature: CHECKMULTISIG key count out of range")
    ctx.op_count[0] += n  # each key counts as an operation
    if ctx.op_count[0] > MAX_V0_OPS:
        raise Invalid("invalid signature: the witness script is over the operation limit")
    keys = [_pop(stack) for _ in range(n)]
    m = num(_pop(stack))
    if not 0 <= m <= n:
        raise Invalid("invalid signature: CHECKMULTISIG signature count out of range")
    sigs = [_pop(stack) for _ in range(m)]
    if _pop(stack):
        raise Invalid("invalid signature: the CHECKMULTISIG dummy must be empty (NULLDUMMY)")
    k, ok = 0, True
    for sig in sigs:  # in key order, as Bitcoin Core's loop
        while k < len(keys) and not (sig and _ecdsa(ctx, sig, keys[k])):
            k += 1
        if k == len(keys):
            ok = False
            break
        k += 1
    if not ok and any(sigs):
        raise Invalid("invalid signature")  # NULLFAIL
    return ok


def _check_locktime(ctx: Context, operand: int) -> None:
    """OP_CHECKLOCKTIMEVERIFY (BIP-65) against to_sign's nLockTime and the input's nSequence."""
    locktime = ctx.tx.locktime
    if operand < 0:
        raise Invalid("invalid signature: negative CHECKLOCKTIMEVERIFY lock time")
    if (operand < LOCKTIME_THRESHOLD) != (locktime < LOCKTIME_THRESHOLD):
        raise Invalid("invalid signature: CHECKLOCKTIMEVERIFY mixes a block height and a time")
    if operand > locktime:
        raise Invalid(f"invalid signature: the script needs lock time {operand}, to_sign sets {locktime}")
    if ctx.tx.vin[ctx.index].sequence == 0xFFFFFFFF:
        raise Invalid("invalid signature: CHECKLOCKTIMEVERIFY needs a non-final nSequence")


def _check_sequence(ctx: Context, operand: int) -> None:
    """OP_CHECKSEQUENCEVERIFY (BIP-112) against to_sign's version and the input's nSequence."""
    if operand < 0:
        raise Invalid("invalid signature: negative CHECKSEQUENCEVERIFY age")
    if operand & SEQUENCE_DISABLE:
        return  # behaves as a NOP
    sequence = ctx.tx.vin[ctx.index].sequence
    if ctx.tx.version < 2 or sequence & SEQUENCE_DISABLE:
        raise Invalid("invalid signature: CHECKSEQUENCEVERIFY needs version 2 and a relative lock in nSequence")
    mask = SEQUENCE_TYPE | SEQUENCE_MASK
    if (operand & SEQUENCE_TYPE) != (sequence & SEQUENCE_TYPE) or operand & mask > sequence & mask:
        raise Invalid(f"invalid signature: the script needs age {operand & mask}, to_sign's nSequence is {sequence}")


def _pop(stack: list[bytes]) -> bytes:
    if not stack:
        raise Invalid("invalid signature: the script reads past the bottom of the stack")
    return stack.pop()


def run(script: bytes, stack: list[bytes], ctx: Context) -> None:
    """Execute `script` on the witness `stack`; return if it succeeds with one true item left (CLEANSTACK)."""
    program = ops(script)
    codes = [op for op, data in program if data is None]
    if ctx.tapscript and any(op in OP_SUCCESS for op in codes):
        raise Inconclusive("the tapscript uses an OP_SUCCESS opcode (upgradeable rule)")
    unknown = sorted({op for op in codes if op not in KNOWN and op not in RESERVED_NOPS
                      and not (ctx.tapscript and op == 0xBA)})
    if unknown:
        raise Inconclusive(f"opcode {unknown[0]:#04x} is not interpreted by this verifier")
    ctx.op_count[0] = sum(op > 0x60 for op in codes)  # as Bitcoin Core: every non-push beyond OP_16, run or not
    if not ctx.tapscript and (len(script) > MAX_V0_SCRIPT or ctx.op_count[0] > MAX_V0_OPS):
        raise Invalid("invalid signature: the witness script is over the size or operation limit")
    if any(len(item) > MAX_ELEMENT for item in stack) or any(d is not None and len(d) > MAX_ELEMENT
                                                             for _, d in program):
        raise Invalid("invalid signature: a stack item is over 520 bytes")
    stack = list(stack)
    branches: list[bool] = []
    for op, data in program:
        live = all(branches)
        if op in (0x63, 0x64):  # IF, NOTIF
            taken = False
            if live:
                arg = _pop(stack)
                if arg not in (b"", b"\x01"):
                    raise Invalid("invalid signature: the argument of IF must be empty or 0x01 (MINIMALIF)")
                taken = (arg == b"\x01") == (op == 0x63)
            branches.append(taken)
        elif op == 0x67:  # ELSE
            if not branches:
                raise Invalid("invalid signature: ELSE without IF")
            branches[-1] = not branches[-1]
        elif op == 0x68:  # ENDIF
            if not branches:
                raise Invalid("invalid signature: ENDIF without IF")
            branches.pop()
        elif live:
            _step(op, data, stack, ctx)
            if len(stack) > MAX_STACK:
                raise Invalid("invalid signature: more than 1,000 stack items")
    if branches:
        raise Invalid("invalid signature: IF without ENDIF")
    if len(stack) != 1 or not truthy(stack[0]):
        raise Invalid("invalid signature: the script must end with exactly one true item (CLEANSTACK)")


def _step(op: int, data: bytes | None, stack: list[bytes], ctx: Context) -> None:  # noqa: C901 - one opcode each
    if data is not None:
        stack.append(data)
    elif op == 0x4F or 0x51 <= op <= 0x60:  # 1NEGATE, 1..16
        stack.append(encode_num(-1 if op == 0x4F else op - 0x50))
    elif op == 0x61:  # NOP
        pass
    elif op == 0x69:  # VERIFY
        if not truthy(_pop(stack)):
            raise Invalid("invalid signature: VERIFY failed")
    elif op == 0x73:  # IFDUP: miniscript's or_d(X, Z) keeps X's true result, else runs Z
        if not stack:
            raise Invalid("invalid signature: the script reads past the bottom of the stack")
        if truthy(stack[-1]):
            stack.append(stack[-1])
    elif op == 0x75:  # DROP
        _pop(stack)
    elif op == 0x76:  # DUP
        stack.append(stack[-1] if stack else _pop(stack))
    elif op in (0x87, 0x88):  # EQUAL, EQUALVERIFY
        same = _pop(stack) == _pop(stack)
        if op == 0x88 and not same:
            raise Invalid("invalid signature: EQUALVERIFY failed (wrong key or preimage)")
        if op == 0x87:
            stack.append(b"\x01" if same else b"")
    elif op in (0x9C, 0x9D):  # NUMEQUAL, NUMEQUALVERIFY (multi_a ends in <M> NUMEQUAL)
        same = num(_pop(stack)) == num(_pop(stack))
        if op == 0x9D and not same:
            raise Invalid("invalid signature: NUMEQUALVERIFY failed")
        if op == 0x9C:
            stack.append(b"\x01" if same else b"")
    elif op in HASHES:
        stack.append(HASHES[op](_pop(stack)))
    elif op == 0xAB:
        raise Invalid("invalid signature: CODESEPARATOR is forbidden in BIP-322")
    elif op in (0xAC, 0xAD):  # CHECKSIG, CHECKSIGVERIFY
        pub, sig = _pop(stack), _pop(stack)
        ok = _checksig(ctx, sig, pub)
        if op == 0xAD and not ok:
            raise Invalid("invalid signature: CHECKSIGVERIFY failed")
        if op == 0xAC:
            stack.append(b"\x01" if ok else b"")
    elif op in (0xAE, 0xAF):  # CHECKMULTISIG, CHECKMULTISIGVERIFY
        ok = _checkmultisig(ctx, stack)
        if op == 0xAF and not ok:
            raise Invalid("invalid signature: CHECKMULTISIGVERIFY failed")
        if op == 0xAE:
            stack.append(b"\x01" if ok else b"")
    elif op == 0xBA and ctx.tapscript:  # CHECKSIGADD
        pub, n, sig = _pop(stack), num(_pop(stack)), _pop(stack)
        stack.append(encode_num(n + 1 if _checksig(ctx, sig, pub) else n))
    elif op in (0xB1, 0xB2):  # CHECKLOCKTIMEVERIFY, CHECKSEQUENCEVERIFY: the operand stays on the stack
        if not stack:
            raise Invalid("invalid signature: the script reads past the bottom of the stack")
        (_check_locktime if op == 0xB1 else _check_sequence)(ctx, num(stack[-1], 5))
    elif op in RESERVED_NOPS:
        raise Inconclusive(f"the script uses NOP {op:#04x}, reserved for upgrades (upgradeable rule)")
    elif op == 0x6A:
        raise Invalid("invalid signature: OP_RETURN in the script")
    else:
        raise Inconclusive(f"opcode {op:#04x} is not interpreted by this verifier")


def run_witness_v0(tx: Transaction, index: int, witness_script: bytes, stack: list[bytes], value: int) -> None:
    """A P2WSH spend: the witness script runs on the other witness items (BIP-141/143)."""
    code = Script(witness_script)
    run(witness_script, stack, Context(tx, index, False,
                                       lambda hashtype: tx.sighash_segwit(index, code, value, sighash=hashtype)))


def run_tapscript(tx: Transaction, index: int, spks: list[Script], values: list[int], leaf: bytes,
                  stack: list[bytes], annex: bytes | None, witness_size: int) -> None:
    """A P2TR script-path spend of a tapscript leaf (BIP-342, leaf version 0xc0); `witness_size`: serialised."""
    code = Script(leaf)

    def sighash(hashtype: int) -> bytes:
        return bytes(tx.sighash_taproot(index, spks, values, sighash=hashtype, ext_flag=1, annex=annex, script=code))

    run(leaf, stack, Context(tx, index, True, sighash, [SIG_BUDGET_COST + witness_size]))
