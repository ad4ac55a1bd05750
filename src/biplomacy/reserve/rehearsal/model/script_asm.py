"""Scripts as block explorers show them: Esplora's `scriptpubkey_type` and rust-bitcoin's assembly text.

Esplora (Blockstream/electrs, src/rest.rs) names a script's type and writes its `*_asm` fields with
rust-bitcoin's `Script` formatting: push opcodes as OP_PUSHBYTES_<n>, OP_PUSHDATA1/2/4 followed by the data in
hex, small numbers as OP_PUSHNUM_<n>, OP_CLTV/OP_CSV, OP_CHECKSIGADD, undefined opcodes as OP_RETURN_<n>. The
rehearsal chain answers with the same text so that explorers and scripts written against Blockstream's API read it.
"""

from __future__ import annotations

_NAMES = {
    0x00: "OP_0", 0x4C: "OP_PUSHDATA1", 0x4D: "OP_PUSHDATA2", 0x4E: "OP_PUSHDATA4", 0x4F: "OP_PUSHNUM_NEG1",
    0x50: "OP_RESERVED", 0x61: "OP_NOP", 0x62: "OP_VER", 0x63: "OP_IF", 0x64: "OP_NOTIF", 0x65: "OP_VERIF",
    0x66: "OP_VERNOTIF", 0x67: "OP_ELSE", 0x68: "OP_ENDIF", 0x69: "OP_VERIFY", 0x6A: "OP_RETURN",
    0x6B: "OP_TOALTSTACK", 0x6C: "OP_FROMALTSTACK", 0x6D: "OP_2DROP", 0x6E: "OP_2DUP", 0x6F: "OP_3DUP",
    0x70: "OP_2OVER", 0x71: "OP_2ROT", 0x72: "OP_2SWAP", 0x73: "OP_IFDUP", 0x74: "OP_DEPTH", 0x75: "OP_DROP",
    0x76: "OP_DUP", 0x77: "OP_NIP", 0x78: "OP_OVER", 0x79: "OP_PICK", 0x7A: "OP_ROLL", 0x7B: "OP_ROT",
    0x7C: "OP_SWAP", 0x7D: "OP_TUCK", 0x7E: "OP_CAT", 0x7F: "OP_SUBSTR", 0x80: "OP_LEFT", 0x81: "OP_RIGHT",
    0x82: "OP_SIZE", 0x83: "OP_INVERT", 0x84: "OP_AND", 0x85: "OP_OR", 0x86: "OP_XOR", 0x87: "OP_EQUAL",
    0x88: "OP_EQUALVERIFY", 0x89: "OP_RESERVED1", 0x8A: "OP_RESERVED2", 0x8B: "OP_1ADD", 0x8C: "OP_1SUB",
    0x8D: "OP_2MUL", 0x8E: "OP_2DIV", 0x8F: "OP_NEGATE", 0x90: "OP_ABS", 0x91: "OP_NOT", 0x92: "OP_0NOTEQUAL",
    0x93: "OP_ADD", 0x94: "OP_SUB", 0x95: "OP_MUL", 0x96: "OP_DIV", 0x97: "OP_MOD", 0x98: "OP_LSHIFT",
    0x99: "OP_RSHIFT", 0x9A: "OP_BOOLAND", 0x9B: "OP_BOOLOR", 0x9C: "OP_NUMEQUAL", 0x9D: "OP_NUMEQUALVERIFY",
    0x9E: "OP_NUMNOTEQUAL", 0x9F: "OP_LESSTHAN", 0xA0: "OP_GREATERTHAN", 0xA1: "OP_LESSTHANOREQUAL",
    0xA2: "OP_GREATERTHANOREQUAL", 0xA3: "OP_MIN", 0xA4: "OP_MAX", 0xA5: "OP_WITHIN", 0xA6: "OP_RIPEMD160",
    0xA7: "OP_SHA1", 0xA8: "OP_SHA256", 0xA9: "OP_HASH160", 0xAA: "OP_HASH256", 0xAB: "OP_CODESEPARATOR",
    0xAC: "OP_CHECKSIG", 0xAD: "OP_CHECKSIGVERIFY", 0xAE: "OP_CHECKMULTISIG", 0xAF: "OP_CHECKMULTISIGVERIFY",
    0xB0: "OP_NOP1", 0xB1: "OP_CLTV", 0xB2: "OP_CSV", 0xBA: "OP_CHECKSIGADD", 0xFF: "OP_INVALIDOPCODE",
}
_NAMES.update({op: f"OP_PUSHNUM_{op - 0x50}" for op in range(0x51, 0x61)})
_NAMES.update({op: f"OP_NOP{op - 0xAF}" for op in range(0xB3, 0xBA)})
_NAMES.update({op: f"OP_RETURN_{op}" for op in range(0xBB, 0xFF)})


def asm(script: bytes) -> str:
    """The script as rust-bitcoin (and so Esplora) writes it, e.g. "OP_0 OP_PUSHBYTES_20 751e...d6"."""
    words: list[str] = []
    i = 0
    while i < len(script):
        op = script[i]
        i += 1
        if 0x01 <= op <= 0x4B:
            size, name = op, f"OP_PUSHBYTES_{op}"
        elif op in (0x4C, 0x4D, 0x4E):
            width = {0x4C: 1, 0x4D: 2, 0x4E: 4}[op]
            if i + width > len(script):
                words.append("<unexpected end>")
                break
            size, name = int.from_bytes(script[i:i + width], "little"), _NAMES[op]
            i += width
        else:
            words.append(_NAMES[op])
            continue
        if i + size > len(script):
            words.append("<push past end>")
            break
        words.append(f"{name} {script[i:i + size].hex()}")
        i += size
    return " ".join(words)


def script_type(script: bytes) -> str:
    """Esplora's `scriptpubkey_type` of an output script (electrs rest.rs, its order of tests)."""
    n = len(script)
    if n == 0:
        return "empty"
    if script[0] == 0x6A:
        return "op_return"
    if (n == 35 and script[0] == 33 or n == 67 and script[0] == 65) and script[-1] == 0xAC:
        return "p2pk"
    if n == 25 and script[:3] == b"\x76\xa9\x14" and script[-2:] == b"\x88\xac":
        return "p2pkh"
    if n == 23 and script[:2] == b"\xa9\x14" and script[-1] == 0x87:
        return "p2sh"
    if n == 22 and script[:2] == b"\x00\x14":
        return "v0_p2wpkh"
    if n == 34 and script[:2] == b"\x00\x20":
        return "v0_p2wsh"
    if n == 34 and script[:2] == b"\x51\x20":
        return "v1_p2tr"
    if script[0] == 0xFF or 0xBB <= script[0] <= 0xFE:
        return "provably_unspendable"
    return "unknown"
