"""A strict reading of BIP-174's key-value maps: truncated data and duplicate keys are refused by name.

embit's parser keeps the last of two equal keys; BIP-174 says such a PSBT is invalid, so this pass runs first.
"""

from __future__ import annotations

from embit.transaction import Transaction

from biplomacy.core.errors import InputError

MAGIC = b"psbt\xff"


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data, self.pos = data, 0

    def take(self, n: int) -> bytes:
        if self.pos + n > len(self.data):
            raise InputError("the PSBT is truncated (it ends in the middle of a record)", field="psbt")
        chunk = self.data[self.pos:self.pos + n]
        self.pos += n
        return chunk

    def compact(self) -> int:
        first = self.take(1)[0]
        if first < 0xFD:
            return first
        size = {0xFD: 2, 0xFE: 4, 0xFF: 8}[first]
        return int.from_bytes(self.take(size), "little")


def _read_map(r: _Reader, where: str) -> dict[bytes, bytes]:
    seen: dict[bytes, bytes] = {}
    while True:
        key_len = r.compact()
        if key_len == 0:
            return seen
        key = r.take(key_len)
        value = r.take(r.compact())
        if key in seen:
            raise InputError(f"the PSBT has a duplicate key (type 0x{key[0]:02x}) in {where}, which BIP-174 forbids",
                             field="psbt")
        seen[key] = value


def check_psbt_bytes(raw: bytes) -> None:
    """Raise InputError unless `raw` is a complete PSBT v0 with no duplicate keys in any map."""
    if not raw.startswith(MAGIC):
        raise InputError("the file is not a PSBT (missing the 'psbt' magic bytes)", field="psbt")
    r = _Reader(raw[len(MAGIC):])
    glob = _read_map(r, "the global map")
    if b"\x00" not in glob:
        raise InputError("the PSBT has no unsigned transaction", field="psbt")
    try:
        tx = Transaction.parse(glob[b"\x00"])
    except Exception:  # noqa: BLE001 - a malformed transaction inside the PSBT
        raise InputError("the PSBT's unsigned transaction is malformed", field="psbt") from None
    for i in range(len(tx.vin)):
        _read_map(r, f"input {i}")
    for i in range(len(tx.vout)):
        _read_map(r, f"output {i}")
    if r.pos != len(r.data):
        raise InputError("the PSBT has trailing bytes after its last map", field="psbt")
