"""An exchange's proof of solvency: liabilities read from CSV, a Merkle-sum snapshot, its root and user proofs.

The root document (root.json) is what the exchange publishes; each user is handed their own proof
(proofs/<id>.json) holding their salt, balances and the sibling path; `verify_proof` is the offline
check anyone can run with nothing but the two JSON documents.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from operator import itemgetter
from typing import Any

import numpy as np

from biplomacy.core.errors import InputError, Issue
from biplomacy.supervision.model.merkle_sum import (
    HASH_NAME,
    MAX_SUM,
    BatchVerifier,
    MerkleSumTree,
    TreeOverflow,
    build_tree,
    hash_user_id,
    leaf_hash,
    verify_path,
)
from biplomacy.supervision.model.solvency_keys import (
    KEY_BYTES,
    id_hashes,
    leaf_order,
    padding_ids,
    salts_of,
    user_digests,
)

FORMAT = "biplomacy-proof-of-solvency/1"
REQUIRED_COLUMNS = ("user_id", "asset", "balance")
DEFAULT_UNITS = {"BTC": "sat", "ETH": "gwei", "USDT": "micro-USDT", "USDC": "micro-USDC"}
_MAX_ISSUES = 50


@dataclass(frozen=True)
class Liabilities:
    """What the exchange owes: users in file order, assets sorted, an (n, K) uint64 balance matrix."""

    user_ids: list[str]
    assets: tuple[str, ...]
    units: dict[str, str]
    balances: np.ndarray

    def totals(self) -> dict[str, int]:
        return {a: int(sum(int(x) for x in self.balances[:, j])) for j, a in enumerate(self.assets)}


@dataclass(frozen=True, slots=True)
class Columns:
    """Where the header puts each column, and how many there are."""

    width: int
    user: int
    asset: int
    balance: int
    unit: int | None


def read_header(header: list[str] | None, source: str) -> Columns:
    """The columns of a liabilities header, or an InputError naming the missing ones."""
    if header is None:
        raise InputError(f"{source}: the file is empty; expected a header user_id,asset,balance")
    names = [h.strip().lower() for h in header]
    missing = [c for c in REQUIRED_COLUMNS if c not in names]
    if missing:
        raise InputError(f"{source}: missing column(s) {', '.join(missing)}; the header is {header!r}",
                         field=missing[0])
    iu, ia, ib = (names.index(c) for c in REQUIRED_COLUMNS)
    return Columns(len(names), iu, ia, ib, names.index("unit") if "unit" in names else None)


def check_row(row: list[str], row_no: int, cols: Columns) -> tuple[str, str, int, str | None] | Issue | None:
    """One row as (user, asset, balance, unit or None), an Issue naming its row and field, or None (blank)."""
    if len(row) != cols.width:
        if not row:
            return None
        return Issue("solvency.row", f"row {row_no}", f"has {len(row)} fields, the header {cols.width}")
    user, asset, raw = row[cols.user].strip(), row[cols.asset].strip().upper(), row[cols.balance].strip()
    if not user:
        return Issue("solvency.user", f"row {row_no}.user_id", "is empty")
    if not asset:
        return Issue("solvency.asset", f"row {row_no}.asset", "is empty")
    if not (raw.isascii() and raw.isdigit()):
        what = "is negative" if raw.startswith("-") else "is not a non-negative integer"
        return Issue("solvency.balance", f"row {row_no}.balance",
                     f"{raw!r} {what} (balances are integers in the asset's smallest unit)")
    value = int(raw)
    if value > MAX_SUM:
        return Issue("solvency.balance", f"row {row_no}.balance",
                     f"{raw} is not below 2^64; declare a coarser unit for {asset}")
    unit = None
    if cols.unit is not None:
        unit = row[cols.unit].strip() or DEFAULT_UNITS.get(asset, "smallest unit")
    return user, asset, value, unit


def read_liabilities(text: Iterable[str], *, source: str = "liabilities") -> Liabilities:
    """Parse `user_id,asset,balance[,unit]` rows; every bad row is reported (row number and field)."""
    reader = csv.reader(iter(text))
    cols = read_header(next(reader, None), source)
    issues: list[Issue] = []
    per_asset: dict[str, dict[str, int]] = {}
    units: dict[str, str] = {}
    order: dict[str, int] = {}
    for row_no, row in enumerate(reader, start=2):
        if len(issues) >= _MAX_ISSUES:
            break
        checked = check_row(row, row_no, cols)
        if checked is None:
            continue
        if isinstance(checked, Issue):
            issues.append(checked)
            continue
        user, asset, value, unit = checked
        if unit is not None and units.setdefault(asset, unit) != unit:
            issues.append(Issue("solvency.unit", f"row {row_no}.unit",
                                f"{unit!r} differs from {units[asset]!r} declared earlier for {asset}"))
            continue
        book = per_asset.setdefault(asset, {})
        if user in book:
            issues.append(Issue("solvency.duplicate", f"row {row_no}",
                                f"duplicate user and asset ({user}, {asset})"))
            continue
        book[user] = value
        if user not in order:
            order[user] = len(order)
    if issues:
        raise InputError.from_issues(issues, source)
    assets = tuple(sorted(per_asset))
    balances = np.zeros((len(order), len(assets)), dtype=np.uint64)
    for j, asset in enumerate(assets):
        book = per_asset[asset]
        rows = np.fromiter((order[u] for u in book), dtype=np.int64, count=len(book))
        balances[rows, j] = np.array(list(book.values()), dtype=np.uint64)
    for asset in assets:
        units.setdefault(asset, DEFAULT_UNITS.get(asset, "smallest unit"))
    return Liabilities(list(order), assets, {a: units[a] for a in assets}, balances)


def read_liabilities_csv(data: str, *, source: str = "liabilities") -> Liabilities:
    return read_liabilities(io.StringIO(data), source=source)


@dataclass(frozen=True)
class Snapshot:
    """A built tree with what a proof needs beside it: users in leaf order, their salts, the snapshot label."""

    tree: MerkleSumTree
    user_ids: list[str]  # leaf order
    salts: bytes  # 16 bytes per user, leaf order
    units: dict[str, str]
    height: int | None
    time: str

    def root_document(self) -> dict[str, Any]:
        t = self.tree
        return root_document(t.root.hex(), list(t.assets), self.units, dict(zip(t.assets, t.totals, strict=True)),
                             t.users, int(t.hashes[0].shape[0]), t.depth, self.height, self.time)


def root_document(root: str, assets: list[str], units: dict[str, str], totals: dict[str, int], users: int,
                  leaves: int, depth: int, height: int | None, time: str) -> dict[str, Any]:
    """What the exchange publishes (root.json), whether the tree was built in one process or in parts."""
    return {
        "format": FORMAT, "hash_function": HASH_NAME, "root": root,
        "assets": assets, "units": units,
        "totals": totals, "users": users,
        "leaves": leaves, "depth": depth,
        "snapshot": {"height": height, "time": time},
        "encoding": {
            "user": "id_hash = SHA256(salt || UTF-8 user id)",
            "leaf": "SHA256(0x00 || id_hash || balance_1 .. balance_K)",
            "node": "SHA256(0x01 || left_hash || right_hash || left_sums || right_sums)",
            "integers": "unsigned 64-bit big-endian, assets in the order of `assets`",
        },
    }


def build_snapshot(liabilities: Liabilities, *, height: int | None = None, time: datetime | None = None,
                   random_bytes: Callable[[int], bytes] = os.urandom) -> Snapshot:
    """Draw a secret snapshot key, order and salt the users by it (model/solvency_keys.py), build the tree.

    The build in parts (supervision/solvency_parts.py) follows the same rules, so for the same key it gives
    the same root."""
    n = len(liabilities.user_ids)
    if n == 0:
        raise InputError("liabilities: no accounts in the file")
    if height is not None and height < 0:
        raise InputError(f"snapshot height {height} is negative", field="snapshot_height")
    key = random_bytes(KEY_BYTES)
    digests = user_digests(key, liabilities.user_ids)
    perm = leaf_order(digests)
    ids = liabilities.user_ids
    users = [ids[i] for i in perm.tolist()]
    salts = salts_of(np.frombuffer(digests, dtype=np.uint8).reshape(n, 32)[perm].tobytes())
    del digests
    balances = np.ascontiguousarray(liabilities.balances[perm])
    try:
        tree = build_tree(liabilities.assets, id_hashes(salts, users), balances,
                          lambda k: padding_ids(key, n, n + k // 32))
    except TreeOverflow as exc:
        raise InputError(f"liabilities: {exc}", field=exc.asset) from None
    when = (time or datetime.now(UTC)).isoformat(timespec="seconds")
    return Snapshot(tree, users, salts, liabilities.units, height, when)


def file_safe_id(user_id: str) -> str:
    """A file name for a user's proof: the id itself when it is safe, else a cleaned id plus a short hash."""
    if re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}", user_id) and not user_id.endswith("."):
        return user_id
    cleaned = re.sub(r"[^A-Za-z0-9._-]", "_", user_id)[:60].strip("._") or "user"
    return f"{cleaned}-{hashlib.sha256(user_id.encode('utf-8')).hexdigest()[:12]}"


def proof_head(root: str, height: int | None, time: str, assets: list[str]) -> str:
    """The fields every proof of a snapshot shares, as the opening of its JSON object."""
    import json

    return json.dumps({"format": FORMAT, "hash_function": HASH_NAME, "root": root,
                       "snapshot": {"height": height, "time": time}, "assets": assets})[:-1]


def proof_text(head: str, user: str, salt_hex: str, balances: list[int], index: int, steps: list[str]) -> str:
    """One user's proof JSON: the shared head, their fields, and the path's steps (from `path_steps`)."""
    import json

    return (f'{head},"user_id":{json.dumps(user)},"salt":"{salt_hex}","balances":[{",".join(map(str, balances))}],'
            f'"leaf_index":{index},"path":[{",".join(steps)}]}}')


def path_steps(tree: MerkleSumTree, index: int) -> list[str]:
    """The path entries of leaf `index` of `tree`, leaves first (the siblings' sides, hashes and sums)."""
    return [_steps(tree, level, (index >> level) ^ 1, ((index >> level) ^ 1) + 1)[0] for level in range(tree.depth)]


def _steps(tree: MerkleSumTree, level: int, lo: int, hi: int) -> list[str]:
    """Path entries ["side", "hash", [sums]] of nodes lo..hi-1 of a level, as each appears to its sibling."""
    hexes = tree.hashes[level][lo:hi].tobytes().hex()
    sums = tree.sums[level][lo:hi].tolist()
    return [f'["{"left" if (lo + j) % 2 == 0 else "right"}","{hexes[64 * j:64 * j + 64]}",[{",".join(map(str, s))}]]'
            for j, s in enumerate(sums)]


def render_proofs(snapshot: Snapshot, leaves: Iterable[int] | None = None,
                  block: int = 1 << 15) -> Iterator[tuple[str, str]]:
    """Yield (user_id, proof JSON text) for the given leaf indices (default all users, in leaf order).

    Proofs are made block by block of leaves: for each block, every node its proofs need is rendered
    once per level and each proof is a join of `depth` strings, so memory stays bounded by the block.
    """
    import json

    t = snapshot.tree
    head = proof_head(t.root.hex(), snapshot.height, snapshot.time, list(t.assets))
    salts, users, balances = snapshot.salts.hex(), snapshot.user_ids, t.sums[0]
    wanted = range(t.users) if leaves is None else sorted(set(leaves))
    depth = range(t.depth)
    groups: dict[int, list[int]] = {}
    for i in wanted:
        groups.setdefault(i // block, []).append(i)
    for start_block, members in groups.items():
        first, last = start_block * block, min(t.users, start_block * block + block) - 1
        levels = []
        for level in depth:
            lo, hi = (first >> level) & ~1, ((last >> level) | 1) + 1
            levels.append((lo, _steps(t, level, lo, hi)))
        for i in members:
            path = ",".join([levels[level][1][((i >> level) ^ 1) - levels[level][0]] for level in depth])
            bal = ",".join(map(str, balances[i].tolist()))
            yield users[i], (f'{head},"user_id":{json.dumps(users[i])},"salt":"{salts[32 * i:32 * i + 32]}",'
                             f'"balances":[{bal}],"leaf_index":{i},"path":[{path}]}}')


def batch_verifier(root: dict[str, Any]) -> BatchVerifier:
    """A verifier for many proofs of the snapshot `root` describes (see merkle_sum.BatchVerifier)."""
    return BatchVerifier(bytes.fromhex(root["root"]), list(root["totals"].values()), int(root["depth"]))


def _int_list(value: Any, what: str) -> list[int]:
    if not isinstance(value, list) or not all(type(x) is int for x in value):
        raise ValueError(f"{what} must be a list of integers")
    return value


_SHARED_FIELDS = itemgetter("format", "hash_function", "root", "snapshot", "assets")
_PROOF_FIELDS = itemgetter("user_id", "salt", "balances", "leaf_index", "path")


def verify_proof(proof: Any, root: Any, batch: BatchVerifier | None = None) -> str | None:
    """Check a user's proof against a published root document; None when valid, else the reason.

    `batch` (from `batch_verifier(root)`) lets an auditor checking many proofs of one snapshot reuse
    the nodes earlier proofs already tied to the root. The documents' own fields are checked by
    `_documents_differ` (a few C-level comparisons when all is well, a named reason otherwise); the
    leaf and path by merkle_sum.verify_path.
    """
    try:
        reason = _documents_differ(proof, root)
        if reason is not None:
            return reason
        user, salt_hex, balances, index, path = _PROOF_FIELDS(proof)
        try:
            salt = bytes.fromhex(salt_hex) if type(salt_hex) is str else b""
        except ValueError:
            salt = b""
        if type(user) is not str or len(salt) != 16:
            return f"user_id must be a string and salt 16 bytes of hex (salt {str(salt_hex)[:40]!r})"
        if type(index) is not int:
            return "leaf_index must be an integer"
        if type(balances) is not list or not all(type(b) is int for b in balances):
            return "balances must be a list of integers"
        if not all(0 <= b <= MAX_SUM for b in balances):
            return f"a balance in {balances} is outside 0..2^64-1"
        leaf = leaf_hash(hash_user_id(salt, user), balances)
        if batch is not None:
            return batch.verify(leaf, balances, index, path)
        return verify_path(leaf, balances, index, path, bytes.fromhex(root["root"]), list(root["totals"].values()))
    except KeyError as exc:
        return f"the proof has no field {exc}"
    except (ValueError, TypeError, OverflowError) as exc:
        return f"malformed proof: {type(exc).__name__}: {exc}"


def _documents_differ(proof: Any, root: Any) -> str | None:
    """None when the proof and root documents agree on format, hash, root, snapshot and assets, the
    root's totals are integers listed in asset order, its depth an integer and the path that long."""
    try:
        if type(proof) is dict and type(root) is dict and _SHARED_FIELDS(proof) == _SHARED_FIELDS(root) \
                and root["format"] == FORMAT and root["hash_function"] == HASH_NAME \
                and type(root["root"]) is str and type(root["assets"]) is list \
                and list(root["totals"]) == root["assets"] \
                and all(type(x) is int for x in root["totals"].values()) \
                and type(root["depth"]) is int and type(proof["path"]) is list \
                and len(proof["path"]) == root["depth"] and _snapshot_typed(root["snapshot"]) \
                and _snapshot_typed(proof["snapshot"]):
            return None
    except (KeyError, TypeError, AttributeError):
        pass
    return _documents_reason(proof, root)


def _snapshot_typed(snapshot: Any) -> bool:
    return type(snapshot) is dict and type(snapshot.get("height")) in (int, type(None)) \
        and type(snapshot.get("time")) is str


def _documents_reason(proof: Any, root: Any) -> str:
    """Why `_documents_differ` did not accept the pair: the first field found wrong, named."""
    if not isinstance(proof, dict) or not isinstance(root, dict):
        return "the proof and the root must be JSON objects"
    for doc, name in ((proof, "proof"), (root, "root")):
        if doc.get("format") != FORMAT:
            return f"the {name} has format {doc.get('format')!r}, expected {FORMAT!r}"
        if doc.get("hash_function") != HASH_NAME:
            return f"the {name} names hash function {doc.get('hash_function')!r}, expected {HASH_NAME!r}"
    if proof.get("root") != root.get("root") or type(root.get("root")) is not str:
        return (f"the proof is for root {str(proof.get('root'))[:16]}..., not the published root "
                f"{str(root.get('root'))[:16]}... (another snapshot)")
    if proof.get("snapshot") != root.get("snapshot") or not _snapshot_typed(root.get("snapshot")) \
            or not _snapshot_typed(proof.get("snapshot")):
        return "the proof's snapshot (height, time) differs from the root's, or is not an integer height and a time"
    assets = root.get("assets")
    if proof.get("assets") != assets or not isinstance(assets, list):
        return "the proof's asset order differs from the root's"
    totals = root.get("totals")
    if not isinstance(totals, dict) or list(totals) != assets:
        return "the root's totals do not list its assets in order"
    if not all(type(x) is int for x in totals.values()):
        return "the root's totals must be integers"
    depth, path = root.get("depth"), proof.get("path")
    if type(depth) is not int:
        return f"the root's depth {depth!r} is not an integer"
    return f"the proof's path has {len(path) if isinstance(path, list) else 'no'} steps, the tree depth is {depth}"
