"""A Merkle-sum tree whose every node commits to both children's hashes and per-asset sums.

Why both children's sums: Chalkias, Lewi, Mohassel and Nikolaenko (2022, "Broken Proofs of Solvency
in Blockchain Custodial Wallets and Exchanges") show that a node hashing only the parent's sum lets an
exchange shift liabilities between siblings; hashing left and right sums separately, with fixed-width
unsigned 64-bit fields and an overflow check at every node, closes that hole (no negative can be encoded,
no sum can wrap). Messages carry a one-byte domain tag (0x00 leaf, 0x01 node) so a leaf can never be
read as a node.

    leaf = SHA256(0x00 || id_hash(32) || balances(8 bytes big-endian per asset, in asset order))
    node = SHA256(0x01 || left_hash || right_hash || left_sums || right_sums)

The tree is built level by level over NumPy byte matrices: each level's messages are laid out as one
contiguous buffer and hashed with one hashlib call per message, so the build costs little more than
the SHA-256 calls themselves.
"""

from __future__ import annotations

import hashlib
import os
import struct
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from operator import add
from typing import Any

import numpy as np

LEAF_TAG = b"\x00"
NODE_TAG = b"\x01"
MAX_SUM = 2**64 - 1
HASH_NAME = "sha256"


class TreeOverflow(ValueError):
    """A per-asset sum reached 2^64 at some node: the liabilities cannot be committed in 64 bits."""

    def __init__(self, asset: str, level: int) -> None:
        super().__init__(f"the sum of asset {asset} reaches 2^64 at tree level {level}; "
                         "declare a coarser unit for it")
        self.asset = asset
        self.level = level


@dataclass(frozen=True)
class MerkleSumTree:
    """All levels, leaves first: `hashes[l]` is an (n_l, 32) uint8 matrix, `sums[l]` an (n_l, K) uint64 one."""

    assets: tuple[str, ...]
    hashes: list[np.ndarray]
    sums: list[np.ndarray]
    users: int
    hash_count: int

    @property
    def depth(self) -> int:
        return len(self.hashes) - 1

    @property
    def root(self) -> bytes:
        return self.hashes[-1][0].tobytes()

    @property
    def totals(self) -> tuple[int, ...]:
        return tuple(int(x) for x in self.sums[-1][0])


def hash_user_id(salt: bytes, user_id: str) -> bytes:
    """The salted hash that stands for a user in the tree: SHA256(salt || UTF-8 user id)."""
    return hashlib.sha256(salt + user_id.encode("utf-8")).digest()


def leaf_hash(id_hash: bytes, balances: Sequence[int]) -> bytes:
    return hashlib.sha256(LEAF_TAG + id_hash + struct.pack(f">{len(balances)}Q", *balances)).digest()


def node_hash(left: bytes, right: bytes, left_sums: Sequence[int], right_sums: Sequence[int]) -> bytes:
    packed = b"".join(s.to_bytes(8, "big") for s in (*left_sums, *right_sums))
    return hashlib.sha256(NODE_TAG + left + right + packed).digest()


CHUNK = 1 << 16  # rows hashed per batch: bounds the temporary digests to a few MiB at any tree size


def _hash_rows(matrix: np.ndarray, out: np.ndarray, at: int = 0) -> None:
    """SHA-256 of every row of a C-contiguous uint8 matrix into rows at.. of the (m, 32) matrix `out`."""
    n, width = matrix.shape
    view = matrix.reshape(-1).data
    sha = hashlib.sha256
    digests = b"".join([sha(view[i:i + width]).digest() for i in range(0, n * width, width)])
    out[at:at + n] = np.frombuffer(digests, dtype=np.uint8).reshape(n, 32)


def _padded_size(n: int) -> int:
    return 1 if n <= 1 else 1 << (n - 1).bit_length()


def build_tree(assets: Sequence[str], id_hashes: bytes | bytearray, balances: np.ndarray,
               random_bytes: Callable[[int], bytes] = os.urandom, size: int | None = None) -> MerkleSumTree:
    """Build the tree over `len(balances)` users, padded to a power of two with zero-balance leaves.

    `id_hashes` is the users' 32-byte salted id hashes concatenated in leaf order; `balances` an (n, K)
    uint64 matrix in the same order and in `assets` order. Padding leaves get random id hashes, so no
    one can tell how many real users there are from the leaves they see in proofs. `size` (a power of two,
    at least n) pads to that many leaves instead: a subtree of a bigger tree built in parts.
    """
    n, k = balances.shape
    if k != len(assets) or len(id_hashes) != 32 * n:
        raise ValueError("id hashes, balances and assets disagree in size")
    size = _padded_size(n) if size is None else size
    if size < n or size & (size - 1):
        raise ValueError(f"{size} leaves is not a power of two of at least {n}")
    ids = np.frombuffer(bytes(id_hashes) + random_bytes(32 * (size - n)), dtype=np.uint8).reshape(size, 32)
    sums = np.zeros((size, k), dtype=np.uint64)
    sums[:n] = balances
    width = 8 * k
    leaves = np.empty((size, 32), dtype=np.uint8)
    for lo in range(0, size, CHUNK):
        hi = min(size, lo + CHUNK)
        msgs = np.empty((hi - lo, 33 + width), dtype=np.uint8)
        msgs[:, 0] = LEAF_TAG[0]
        msgs[:, 1:33] = ids[lo:hi]
        msgs[:, 33:] = sums[lo:hi].astype(">u8").view(np.uint8).reshape(hi - lo, width)
        _hash_rows(msgs, leaves, lo)
    del ids
    hashes, all_sums = levels_above(assets, leaves, sums)
    return MerkleSumTree(tuple(assets), hashes, all_sums, n, sum(h.shape[0] for h in hashes[1:]) + size + n)


def levels_above(assets: Sequence[str], hashes: np.ndarray, sums: np.ndarray,
                 first_level: int = 0) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Every level from the given nodes (hashes (m, 32), sums (m, K), m a power of two) up to their root,
    the given level first. `first_level` is the given nodes' level in the whole tree (for the overflow
    message): the subtrees of a tree built in parts are combined by running this over their roots."""
    k = sums.shape[1]
    width = 8 * k
    all_hashes, all_sums = [hashes], [sums]
    level = first_level
    while all_hashes[-1].shape[0] > 1:
        level += 1
        child_h, child_s = all_hashes[-1], all_sums[-1]
        m = child_h.shape[0] // 2
        left, right = child_s[0::2], child_s[1::2]
        parent = left + right
        wrapped = np.nonzero((parent < left).any(axis=0))[0]
        if wrapped.size:
            raise TreeOverflow(assets[int(wrapped[0])], level)
        del left, right
        nodes = np.empty((m, 32), dtype=np.uint8)
        pairs_h, pairs_s = child_h.reshape(m, 64), child_s.reshape(m, 2 * k)
        for lo in range(0, m, CHUNK):
            hi = min(m, lo + CHUNK)
            msgs = np.empty((hi - lo, 65 + 2 * width), dtype=np.uint8)
            msgs[:, 0] = NODE_TAG[0]
            msgs[:, 1:65] = pairs_h[lo:hi]
            msgs[:, 65:] = pairs_s[lo:hi].astype(">u8").view(np.uint8).reshape(hi - lo, 2 * width)
            _hash_rows(msgs, nodes, lo)
        all_hashes.append(nodes)
        all_sums.append(parent)
    return all_hashes, all_sums


_NODE_ONE_ASSET = struct.Struct(">B32s32sQQ").pack  # tag, left, right, left sum, right sum: one call per node


def verify_path(leaf: bytes, leaf_sums: Sequence[int], index: int, path: Sequence[Sequence[Any]],
                root: bytes, root_sums: Sequence[int]) -> str | None:
    """Recompute the root from a leaf and its siblings; None when it matches, else the reason it does not.

    Each step of `path` is (side, sibling hash as hex, sibling sums), side being where the sibling sits
    ("left" or "right"), leaves first. A one-asset path (the common case) first goes through a lean loop
    that only says yes or no; anything it does not accept goes through `explain_path`, which makes the
    same checks step by step and names the first that fails.
    """
    if len(root_sums) == 1 and len(leaf_sums) == 1 and \
            _reaches_root_one_asset(leaf, leaf_sums[0], index, path, root, root_sums[0]):
        return None
    return explain_path(leaf, leaf_sums, index, path, root, root_sums)


def _reaches_root_one_asset(leaf: bytes, balance: int, index: int, path: Sequence[Sequence[Any]],
                            root: bytes, root_total: int) -> bool:
    """True only when every check of `explain_path` passes: each sibling decodes to 32 bytes and sits on
    the side the index puts it, every sum is an int that struct packs as unsigned 64-bit (so in
    0..2^64-1), the index fits the depth, and the recomputed hash and total equal the root's."""
    sha, fromhex, node = hashlib.sha256, bytes.fromhex, _NODE_ONE_ASSET
    if type(balance) is not int or type(index) is not int or index < 0:
        return False
    h, total, bits = leaf, balance, index
    try:
        for side, sibling_hex, (other,) in path:
            sibling = fromhex(sibling_hex)
            if len(sibling) != 32 or type(other) is not int:
                return False
            if bits & 1:
                if side != "left":
                    return False
                h = sha(node(1, sibling, h, other, total)).digest()
            else:
                if side != "right":
                    return False
                h = sha(node(1, h, sibling, total, other)).digest()
            bits >>= 1
            total += other
    except (struct.error, TypeError, ValueError):
        return False
    return bits == 0 and h == root and total == root_total and total <= MAX_SUM


def explain_path(leaf: bytes, leaf_sums: Sequence[int], index: int, path: Sequence[Sequence[Any]],
                 root: bytes, root_sums: Sequence[int]) -> str | None:
    """The step-by-step check behind `verify_path`: None when the path reaches the root, else the first
    reason it does not. struct.pack with unsigned 64-bit fields refuses a negative, a fraction, a wrong
    count or anything >= 2^64, so every sum is range-checked by encoding it."""
    k = len(root_sums)
    if len(leaf_sums) != k:
        return f"the leaf has {len(leaf_sums)} balances, the root {k} assets"
    if not 0 <= index < (1 << len(path)):
        return f"leaf index {index} does not fit a tree of depth {len(path)}"
    pack = struct.Struct(f">{k}Q").pack
    sha, fromhex, tag = hashlib.sha256, bytes.fromhex, NODE_TAG
    h, sums, bits = leaf, list(leaf_sums), index
    try:
        mine = pack(*sums)
    except struct.error:
        return f"a balance in {sums} is outside 0..2^64-1"
    level = 0
    try:
        for step in path:
            level += 1
            if not isinstance(step, (list, tuple)) or len(step) != 3:
                return f"path step {level}: expected [side, sibling hash, sibling sums], got {str(step)[:80]}"
            side, sibling_hex, other = step
            if not all(type(x) is int for x in other):
                raise TypeError("a sum is not an integer")
            theirs = pack(*other)
            sibling = fromhex(sibling_hex)
            if bits & 1:
                if side != "left" or len(sibling) != 32:
                    return _bad_step(level, side, "left", sibling)
                h = sha(tag + sibling + h + theirs + mine).digest()
            else:
                if side != "right" or len(sibling) != 32:
                    return _bad_step(level, side, "right", sibling)
                h = sha(tag + h + sibling + mine + theirs).digest()
            bits >>= 1
            sums = list(map(add, sums, other))
            if any(s > MAX_SUM for s in sums):
                return f"path step {level}: the sums reach 2^64 (overflow 64 bits)"
            mine = pack(*sums)
    except (struct.error, TypeError, ValueError):
        return f"path step {level}: the sibling sums must be {k} integer(s) in 0..2^64-1"
    if h != root:
        return ("the recomputed root hash differs from the published root: the user id, salt, balances or a "
                "sibling's hash or sums are not what the exchange committed to")
    if list(root_sums) != sums:
        return f"the recomputed totals {sums} differ from the published totals {list(root_sums)}"
    return None


def _bad_step(level: int, side: Any, expected: str, sibling: bytes) -> str:
    if len(sibling) != 32:
        return f"path step {level}: the sibling hash is not 32 bytes"
    return f"path step {level}: sibling on the {side}, but the leaf index puts it on the {expected}"


class BatchVerifier:
    """Verifies many proofs against one root, remembering every node already proven to reach it.

    An auditor checking all (or a sample of) a snapshot's proofs stops a path as soon as it reaches a
    node, at the same level and position, that an earlier proof already tied to the root: by SHA-256's
    collision resistance that node's hash and sums commit to the same subtree, so the rest of the path
    adds nothing. Every proof still gets its own leaf and lower path checked.
    """

    def __init__(self, root: bytes, root_sums: Sequence[int], depth: int, max_nodes: int = 4_000_000) -> None:
        self.root, self.root_sums, self.depth = root, list(root_sums), depth
        self._pack = struct.Struct(f">{len(root_sums)}Q").pack
        self._proven: dict[int, bytes] = {}
        self._max = max_nodes

    def verify(self, leaf: bytes, leaf_sums: Sequence[int], index: int, path: Sequence[Sequence[Any]]) -> str | None:
        if len(path) != self.depth:
            return f"the path has {len(path)} steps, the tree depth is {self.depth}"
        if len(leaf_sums) != len(self.root_sums) or not 0 <= index < (1 << self.depth):
            return verify_path(leaf, leaf_sums, index, path, self.root, self.root_sums)
        pack, sha, fromhex, tag, proven = self._pack, hashlib.sha256, bytes.fromhex, NODE_TAG, self._proven
        try:
            h, sums, bits = leaf, list(leaf_sums), index
            mine = pack(*sums)
            seen: list[tuple[int, bytes]] = []
            for level, (side, sibling_hex, other) in enumerate(path, start=1):
                theirs = pack(*other)
                sibling = fromhex(sibling_hex)
                if len(sibling) != 32 or side != ("left" if bits & 1 else "right") or \
                        not all(type(x) is int for x in other):
                    return verify_path(leaf, leaf_sums, index, path, self.root, self.root_sums)
                h = sha(tag + sibling + h + theirs + mine).digest() if bits & 1 else \
                    sha(tag + h + sibling + mine + theirs).digest()
                bits >>= 1
                sums = [a + b for a, b in zip(sums, other, strict=True)]
                mine = pack(*sums)
                key = (level << 48) | bits
                known = proven.get(key)
                if known is not None:
                    if known != h + mine:
                        return "a node on the path differs from the node the root commits to at that position"
                    break
                seen.append((key, h + mine))
            else:
                if h != self.root or sums != self.root_sums:
                    return verify_path(leaf, leaf_sums, index, path, self.root, self.root_sums)
        except (struct.error, TypeError, ValueError):
            return verify_path(leaf, leaf_sums, index, path, self.root, self.root_sums)
        if len(proven) < self._max:
            proven.update(seen)
        return None
