"""Where each user sits in a snapshot's tree and what salts their id: both drawn from one secret snapshot key.

Why a key and not a shuffle: a tree built in parts (docs/scale-out.md) cannot hold every user in one process to
shuffle them. With a fresh secret 32-byte key per snapshot, every user gets a keyed BLAKE2b digest of their id;
its first 16 bytes place the user (leaves are in the order of these order keys, a uniformly random order that
no one without the key can predict, and that any process computes alone for the users it holds), its last 16
bytes are the user's salt. Padding leaves' id hashes are keyed digests of their leaf index. The in-process build
and the build in parts use these same rules, so for the same key and liabilities they give the same root.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np

KEY_BYTES = 32
_USER = b"bpy-pos-user"  # BLAKE2b personalisation: the user digest (order key || salt)
_PADDING = b"bpy-pos-padding"


def user_digests(key: bytes, users: Sequence[str]) -> bytes:
    """32 bytes per user, in the given order: 16 bytes of order key, then the user's 16-byte salt."""
    blake = hashlib.blake2b
    return b"".join([blake(u.encode("utf-8"), key=key, digest_size=32, person=_USER).digest() for u in users])


def order_keys(digests: bytes) -> tuple[np.ndarray, np.ndarray]:
    """The order keys of `user_digests` as two big-endian uint64 columns (high, low), for np.lexsort."""
    m = np.frombuffer(digests, dtype=">u8").reshape(-1, 4)
    return m[:, 0].astype(np.uint64), m[:, 1].astype(np.uint64)


def salts_of(digests: bytes) -> bytes:
    """The users' 16-byte salts (the second half of each digest), concatenated in the digests' order."""
    m = np.frombuffer(digests, dtype=np.uint8).reshape(-1, 32)
    return np.ascontiguousarray(m[:, 16:]).tobytes()


def leaf_order(digests: bytes) -> np.ndarray:
    """The permutation that puts users in leaf order: by order key, ties (never seen at 128 bits) by the given
    order."""
    hi, lo = order_keys(digests)
    return np.lexsort((lo, hi))


def padding_ids(key: bytes, first: int, last: int) -> bytes:
    """The 32-byte id hashes of padding leaves first..last-1 (leaf indices in the whole tree)."""
    blake = hashlib.blake2b
    return b"".join([blake(i.to_bytes(8, "big"), key=key, digest_size=32, person=_PADDING).digest()
                     for i in range(first, last)])


def id_hashes(salts: bytes, users: Sequence[str]) -> bytes:
    """SHA256(salt || UTF-8 user id) of every user, concatenated (salts 16 bytes each, the users' order)."""
    sha = hashlib.sha256
    out = bytearray()
    for lo in range(0, len(users), 1 << 16):  # in batches, so the temporary digest objects stay few
        out += b"".join([sha(salts[16 * i:16 * i + 16] + users[i].encode("utf-8")).digest()
                         for i in range(lo, min(len(users), lo + (1 << 16)))])
    return bytes(out)
