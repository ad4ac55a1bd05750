"""What of an uploaded PSBT is kept: the fields BIP-174, BIP-370 and BIP-371 define, nothing else.

A signer's PSBT is stored as evidence of its signature. Proprietary fields (key type 0xFC) and key types no
BIP defines can carry anything, a private key included (the probe hid one in a proprietary field and it was
stored as sent), so they are dropped before the PSBT is kept. embit parses the fields it knows into
attributes and keeps the rest in each scope's `unknown` map; of those, only BIP-defined types are kept.
"""

from __future__ import annotations

from embit.psbt import PSBT

# key types embit leaves in `unknown` that a BIP defines and a signer may legitimately send
_GLOBAL = frozenset({0x02, 0x03, 0x04, 0x05, 0x06, 0xFB})  # BIP-370 tx version, counts, modifiable; PSBT version
_INPUT = frozenset({0x0E, 0x0F, 0x10, 0x11, 0x12, 0x13, 0x19, 0x1A, 0x1B})  # BIP-370, tap key sig, MuSig2 (BIP-373)
_OUTPUT = frozenset({0x03, 0x04, 0x06, 0x08})  # BIP-370 amount/script, tap tree, MuSig2 participants


def _kept(unknown: dict[bytes, bytes], allowed: frozenset[int], where: str, dropped: list[str]) -> dict[bytes, bytes]:
    out = {}
    for key, value in unknown.items():
        kind = key[0] if key else -1
        if kind in allowed:
            out[key] = value
        else:
            dropped.append(f"{where}: key type 0x{kind:02x}" + (" (proprietary)" if kind == 0xFC else ""))
    return out


def without_undefined_fields(psbt: PSBT) -> tuple[PSBT, list[str]]:
    """A copy of `psbt` without proprietary or undefined fields, and what was dropped (for the audit log)."""
    copy = PSBT.parse(psbt.serialize())
    dropped: list[str] = []
    copy.unknown = _kept(dict(copy.unknown), _GLOBAL, "global", dropped)
    for i, scope in enumerate(copy.inputs):
        scope.unknown = _kept(dict(scope.unknown), _INPUT, f"input {i}", dropped)
    for i, scope in enumerate(copy.outputs):
        scope.unknown = _kept(dict(scope.unknown), _OUTPUT, f"output {i}", dropped)
    return copy, dropped
