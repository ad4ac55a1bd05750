"""Use case: a proof-of-solvency snapshot built in parts on a Dask cluster (`supervise solvency build --workers N`
or `--scheduler`), for exchanges whose liabilities do not fit one process (docs/scale-out.md).

Read top to bottom, each step a set of chunks that run on the workers (house.cluster.run_chunks), the client only
adding up counts and combining roots:

1. read: the liabilities CSV is cut into byte ranges of PART_BYTES at line ends; each part's rows are checked as
   the in-process reader checks them (a bad row is an error naming the file and its row number) and sent to a
   bucket by the top bits of the user's keyed order key (model/solvency_keys.py);
2. users: each bucket gathers its users' rows (a user's rows all land in one bucket), refuses a duplicate
   (user, asset) naming its row, and puts its users in leaf order; buckets are in order, so the leaves are the
   buckets one after the other;
3. subtrees: each subtree of SUBTREE_LEAVES leaves is salted, hashed and built from its slice of the buckets, and
   written with its users and salts as one partition file (proofs/subtree-NNNNN.npz);
4. the client combines the subtrees' roots into the root (the same tree, so the same root as in-process for the
   same snapshot key) and writes root.json and proofs/manifest.json.

Everything is written under a staging folder beside `out`; `out/proofs` and `out/root.json` replace the old ones
only once every step succeeded, so a failed job (a bad row, a cluster that went away) leaves `out` as it was.
A user's proof is rendered from the partitions by `partition_proof` (`supervise solvency proof`): at national
size one JSON file per user (2.7 KB at 40 M accounts, 108 GB) does not fit a disk, the partitions (about 110 bytes
an account) do. Workers must see the same paths (a shared file system).
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import uuid
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from biplomacy.core.errors import InputError, Issue
from biplomacy.house.cluster import Engine, connect, run_chunks
from biplomacy.supervision.model.merkle_sum import MerkleSumTree, TreeOverflow, build_tree, levels_above
from biplomacy.supervision.model.solvency import (
    DEFAULT_UNITS,
    Columns,
    check_row,
    file_safe_id,
    path_steps,
    proof_head,
    proof_text,
    read_header,
    root_document,
)
from biplomacy.supervision.model.solvency_keys import (
    KEY_BYTES,
    id_hashes,
    order_keys,
    padding_ids,
    salts_of,
    user_digests,
)
from biplomacy.supervision.results import SnapshotMark, SolvencyBuild

PART_BYTES = 32 << 20  # CSV bytes a worker reads at once (about a million rows, ~200 MB of Python objects)
SUBTREE_LEAVES = 1 << 20  # leaves a worker builds at once (~150 MB with its users), one partition file each
LAYOUTS = ("files", "partitions")
_MAX_ISSUES = 50
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Read:
    """What one part of the CSV held: its records, bad rows (local numbers), assets with their first unit."""

    part: int
    rows: int
    issues: list[tuple[int, Issue]]
    units: dict[str, tuple[str | None, int]]  # asset -> (unit declared, its local row) the first time


@dataclass(frozen=True)
class Bucket:
    bucket: int
    users: int
    issues: list[tuple[int, Issue]]  # (global row, issue): a duplicate (user, asset)


def build_in_parts(liabilities: Path, out: Path, engine: Engine, *, height: int | None = None,
                   key: bytes | None = None, time: datetime | None = None, layout: str = "files",
                   progress: Progress | None = None) -> SolvencyBuild:
    """Build the snapshot of `liabilities` on the engine's cluster into `out`: root.json and proofs/, either one
    JSON file per user as the in-process build writes them (layout "files", the default) or the partitions
    (layout "partitions", for sizes where a file per user does not fit a disk; `partition_proof` renders one)."""
    if layout not in LAYOUTS:
        raise InputError(f"{layout!r} is not one of {', '.join(LAYOUTS)}", field="proofs")
    if out.exists() and not out.is_dir():
        raise InputError(f"{out} exists and is not a folder", field="out")
    if height is not None and height < 0:
        raise InputError(f"snapshot height {height} is negative", field="snapshot_height")
    source = str(liabilities)
    cols, starts = _plan_parts(liabilities)
    key = key if key is not None else os.urandom(KEY_BYTES)
    out.mkdir(parents=True, exist_ok=True)
    staging = out / f".build-{uuid.uuid4().hex[:8]}"
    (staging / "proofs").mkdir(parents=True)
    try:
        with connect(engine) as client:
            bits = max(0, (len(starts) - 2).bit_length())  # about one bucket per part
            reads = run_chunks(client, partial(read_part, source, cols, key, str(staging), bits),
                               list(enumerate(starts)), job="solvency build (read)", progress=progress)
            offsets, units = _check_reads(reads, source)
            assets = sorted(units)
            found = run_chunks(client, partial(gather_bucket, str(staging), len(reads), offsets, assets),
                               list(range(1 << bits)), job="solvency build (users)", progress=progress)
            dupes = [pair for b in found for pair in b.issues]
            if dupes:
                raise InputError.from_issues([i for _, i in sorted(dupes, key=lambda p: p[0])][:_MAX_ISSUES], source)
            counts = [b.users for b in found]
            n = sum(counts)
            if n == 0:
                raise InputError("liabilities: no accounts in the file")
            size = 1 if n <= 1 else 1 << (n - 1).bit_length()
            leaves = min(size, SUBTREE_LEAVES)
            jobs = [(s, _slices(counts, s * leaves, min(n, s * leaves + leaves))) for s in range(size // leaves)]
            roots = run_chunks(client, partial(build_subtree, str(staging), key, assets, leaves), jobs,
                               job="solvency build (subtrees)", progress=progress)
            top_h = np.stack([np.frombuffer(r[0], dtype=np.uint8) for r in roots])
            top_s = np.array([r[1] for r in roots], dtype=np.uint64).reshape(len(roots), len(assets))
            try:
                top_hashes, top_sums = levels_above(assets, top_h, top_s, first_level=leaves.bit_length() - 1)
            except TreeOverflow as exc:
                raise InputError(f"liabilities: {exc}", field=exc.asset) from None
            _save(staging / "proofs" / "top.npz", {**{f"h{i}": h for i, h in enumerate(top_hashes)},
                                                    **{f"s{i}": s for i, s in enumerate(top_sums)}})
            when = (time or datetime.now(UTC)).isoformat(timespec="seconds")
            unit_names = {a: units[a] or DEFAULT_UNITS.get(a, "smallest unit") for a in assets}
            totals = {a: int(v) for a, v in zip(assets, top_sums[-1][0].tolist(), strict=True)}
            root = root_document(top_hashes[-1][0].tobytes().hex(), assets, unit_names, totals, n, size,
                                 size.bit_length() - 1, height, when)
            manifest = {"format": "biplomacy-solvency-partitions/1", "root": root["root"], "key": key.hex(),
                        "subtree_leaves": leaves, "subtrees": len(jobs), "users": n, "assets": assets,
                        "snapshot": root["snapshot"], "first_keys": [r[2] for r in roots]}
            if layout == "files":
                (staging / "files").mkdir()
                run_chunks(client, partial(write_user_proofs, str(staging), manifest), list(range(len(jobs))),
                           job="solvency build (proofs)", progress=progress)
        (staging / "proofs" / "manifest.json").write_text(json.dumps(manifest) + "\n", encoding="utf-8")
        (staging / "root.json").write_text(json.dumps(root, indent=2) + "\n", encoding="utf-8")
        final = out / "proofs"
        if final.exists():
            shutil.rmtree(final)
        (staging / ("files" if layout == "files" else "proofs")).rename(final)
        (staging / "root.json").replace(out / "root.json")
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return SolvencyBuild(root["root"], totals, n, tuple(assets), unit_names, root["depth"],
                         SnapshotMark(height, when), out / "root.json", final)


def _plan_parts(liabilities: Path) -> tuple[Columns, list[tuple[int, int]]]:
    """The header's columns and the byte ranges (start, end) of the parts, each ending at a line end."""
    try:
        size = liabilities.stat().st_size
        with liabilities.open("rb") as f:
            first = f.readline()
            try:
                header = next(csv.reader([first.decode("utf-8-sig")]), None)
            except UnicodeDecodeError:
                raise InputError(f"{liabilities}: the header is not UTF-8", field="liabilities") from None
            cols = read_header(header, str(liabilities))
            bounds = [f.tell()]
            while bounds[-1] < size:
                f.seek(min(size, bounds[-1] + PART_BYTES))
                f.readline()  # to the end of the line the cut fell in
                bounds.append(min(size, f.tell()))
    except FileNotFoundError:
        raise InputError(f"liabilities file {liabilities} does not exist", field="liabilities") from None
    except (IsADirectoryError, PermissionError) as exc:
        raise InputError(f"liabilities file {liabilities} cannot be read: {exc}", field="liabilities") from None
    return cols, list(zip(bounds[:-1], bounds[1:], strict=True)) or [(bounds[0], bounds[0])]


def read_part(source: str, cols: Columns, key: bytes, staging: str, bits: int,
              part: tuple[int, tuple[int, int]]) -> Read:
    """Step 1, on a worker: check one byte range's rows; write its good rows to their buckets' files."""
    index, (start, end) = part
    with open(source, "rb") as f:
        f.seek(start)
        raw = f.read(end - start)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"{source}: byte {start + exc.start} is not UTF-8", field="liabilities") from None
    del raw
    issues: list[tuple[int, Issue]] = []
    units: dict[str, tuple[str | None, int]] = {}
    users: list[str] = []
    asset_of: list[str] = []
    values: list[int] = []
    rows: list[int] = []
    count = 0
    for local, row in enumerate(csv.reader(io.StringIO(text, newline=""))):
        count += 1
        if len(issues) >= _MAX_ISSUES:
            continue
        checked = check_row(row, local, cols)
        if checked is None:
            continue
        if isinstance(checked, Issue):
            issues.append((local, checked))
            continue
        user, asset, value, unit = checked
        first = units.setdefault(asset, (unit, local))
        if unit is not None and first[0] != unit:
            issues.append((local, Issue("solvency.unit", f"row {local}.unit",
                                        f"{unit!r} differs from {first[0]!r} declared earlier for {asset}")))
            continue
        users.append(user)
        asset_of.append(asset)
        values.append(value)
        rows.append(local)
    if issues:
        return Read(index, count, issues, units)
    digests = user_digests(key, users)
    hi, _ = order_keys(digests)
    buckets = (hi >> np.uint64(64 - bits)).astype(np.int64) if bits else np.zeros(len(users), dtype=np.int64)
    names = sorted(units)
    codes = np.array([names.index(a) for a in asset_of], dtype=np.int16) if names else np.zeros(0, np.int16)
    dig = np.frombuffer(digests, dtype=np.uint8).reshape(-1, 32)
    value_arr, row_arr = np.array(values, dtype=np.uint64), np.array(rows, dtype=np.int64)
    for b in np.unique(buckets).tolist():
        sel = np.nonzero(buckets == b)[0]
        folder = Path(staging) / "shuffle" / f"{b:05d}"
        folder.mkdir(parents=True, exist_ok=True)
        blob, ends = _pack([users[i] for i in sel.tolist()])
        np.savez(folder / f"{index:05d}.npz", dig=dig[sel], blob=blob, ends=ends, asset=codes[sel],
                 assets=np.array(names), value=value_arr[sel], row=row_arr[sel])
    return Read(index, count, [], units)


def _check_reads(reads: list[Read], source: str) -> tuple[list[int], dict[str, str | None]]:
    """Each part's first row number, and each asset's unit; every bad row as an InputError naming its row."""
    offsets, at = [], 2  # the first data row is row 2 (the header is row 1)
    for r in reads:
        offsets.append(at)
        at += r.rows
    issues: list[Issue] = []
    units: dict[str, tuple[str | None, int]] = {}
    for r, first in zip(reads, offsets, strict=True):
        for local, issue in r.issues:
            issues.append(_renumber(issue, local, first + local))
        for asset, (unit, local) in r.units.items():
            kept = units.setdefault(asset, (unit, first + local))
            if unit is not None and kept[0] != unit:
                issues.append(Issue("solvency.unit", f"row {first + local}.unit",
                                    f"{unit!r} differs from {kept[0]!r} declared earlier for {asset}"))
    if issues:
        raise InputError.from_issues(issues[:_MAX_ISSUES], source)
    return offsets, {a: u for a, (u, _) in units.items()}


def _renumber(issue: Issue, local: int, row: int) -> Issue:
    prefix = f"row {local}"
    return Issue(issue.code, f"row {row}{issue.path[len(prefix):]}", issue.message)


def gather_bucket(staging: str, parts: int, offsets: list[int], assets: list[str], bucket: int) -> Bucket:
    """Step 2, on a worker: one bucket's users with their balances per asset, in leaf order.

    Sorted by (order key, asset, row), a user's rows sit together and a repeated (user, asset) right after its
    first row; the users come out in leaf order. Two different ids with one 128-bit keyed order key (never seen)
    are refused rather than merged."""
    folder = Path(staging) / "shuffle" / f"{bucket:05d}"
    column = {a: j for j, a in enumerate(assets)}
    users: list[str] = []
    digs, codes, values, rows = [], [], [], []
    for p in range(parts):  # parts in file order
        path = folder / f"{p:05d}.npz"
        if not path.exists():
            continue
        with np.load(path) as z:
            users += _unpack(z["blob"], z["ends"])
            local = np.array([column[str(a)] for a in z["assets"].tolist()], dtype=np.int16)
            digs.append(z["dig"])
            codes.append(local[z["asset"]])
            values.append(z["value"])
            rows.append(z["row"] + offsets[p])
    k = len(assets)
    if not users:
        np.savez(Path(staging) / "shuffle" / f"bucket-{bucket:05d}.npz", blob=np.zeros(0, np.uint8),
                 ends=np.zeros(0, np.int64), dig=np.zeros((0, 32), np.uint8), bal=np.zeros((0, k), np.uint64))
        return Bucket(bucket, 0, [])
    dig, code = np.concatenate(digs), np.concatenate(codes)
    value, row = np.concatenate(values), np.concatenate(rows)
    del digs, codes, values, rows
    hi, lo = order_keys(dig.tobytes())
    order = np.lexsort((row, code, lo, hi))
    hi, lo, code, row, value, dig = hi[order], lo[order], code[order], row[order], value[order], dig[order]
    same_user = np.zeros(len(order), dtype=bool)
    same_user[1:] = (hi[1:] == hi[:-1]) & (lo[1:] == lo[:-1])
    for i in np.nonzero(same_user)[0].tolist():  # only users with several rows: check the ids truly match
        if users[int(order[i])] != users[int(order[i - 1])]:
            raise InputError(f"two user ids share a 128-bit order key ({users[int(order[i])]!r}, "
                             f"{users[int(order[i - 1])]!r}); build the snapshot again (a new key)")
    dup = np.zeros(len(order), dtype=bool)
    dup[1:] = same_user[1:] & (code[1:] == code[:-1])
    issues = [(r, Issue("solvency.duplicate", f"row {r}",
                        f"duplicate user and asset ({users[int(order[i])]}, {assets[int(code[i])]})"))
              for i, r in zip(np.nonzero(dup)[0].tolist()[:_MAX_ISSUES], row[dup].tolist(), strict=False)]
    if issues:
        return Bucket(bucket, 0, issues)
    first = np.nonzero(~same_user)[0]
    group = np.cumsum(~same_user) - 1
    bal = np.zeros((len(first), k), dtype=np.uint64)
    bal[group, code] = value
    blob, ends = _pack([users[i] for i in order[first].tolist()])
    np.savez(Path(staging) / "shuffle" / f"bucket-{bucket:05d}.npz", blob=blob, ends=ends, dig=dig[first], bal=bal)
    shutil.rmtree(folder, ignore_errors=True)
    return Bucket(bucket, len(first), [])


def _slices(counts: list[int], first: int, last: int) -> list[tuple[int, int, int]]:
    """(bucket, start, stop) of the buckets' users that fill leaves first..last-1 (buckets one after another)."""
    out, at = [], 0
    for b, c in enumerate(counts):
        lo, hi = max(first, at), min(last, at + c)
        if lo < hi:
            out.append((b, lo - at, hi - at))
        at += c
    return out


def build_subtree(staging: str, key: bytes, assets: list[str], leaves: int,
                  job: tuple[int, list[tuple[int, int, int]]]) -> tuple[bytes, list[int], str]:
    """Step 3, on a worker: salt, hash and build one subtree; write it with its users as a partition file.
    Returns its root hash, its sums and the order key of its first user (hex; '' for a subtree of padding)."""
    s, slices = job
    users: list[str] = []
    digs, bals = [], []
    for b, start, stop in slices:
        with np.load(Path(staging) / "shuffle" / f"bucket-{b:05d}.npz") as z:
            ends = z["ends"]
            lo_byte = int(ends[start - 1]) if start else 0
            users += _unpack(z["blob"][lo_byte:int(ends[stop - 1])], ends[start:stop] - lo_byte)
            digs.append(z["dig"][start:stop])
            bals.append(z["bal"][start:stop])
    n = len(users)
    dig = np.concatenate(digs) if digs else np.zeros((0, 32), np.uint8)
    bal = np.concatenate(bals) if bals else np.zeros((0, len(assets)), np.uint64)
    salts = salts_of(dig.tobytes())
    first_leaf = s * leaves
    try:
        tree = build_tree(assets, id_hashes(salts, users), bal, lambda k: padding_ids(key, first_leaf + n,
                                                                                     first_leaf + n + k // 32),
                          size=leaves)
    except TreeOverflow as exc:
        raise InputError(f"liabilities: {exc}", field=exc.asset) from None
    blob, ends = _pack(users)
    _save(Path(staging) / "proofs" / f"subtree-{s:05d}.npz",
          {"blob": blob, "ends": ends, "salts": np.frombuffer(salts, dtype=np.uint8), "order": dig[:, :16].copy(),
           **{f"h{i}": h for i, h in enumerate(tree.hashes)}, **{f"s{i}": x for i, x in enumerate(tree.sums)}})
    return tree.root, list(tree.totals), dig[0, :16].tobytes().hex() if n else ""


def write_user_proofs(staging: str, manifest: dict[str, Any], s: int) -> int:
    """Step 5 of layout "files", on a worker: every user of subtree s as files/<file-safe id>.json, the text and
    the name the in-process build gives it (a name equal but for case to one already used gets the same
    -<leaf number> suffix; between two subtrees, whichever is written second gets it)."""
    proofs, files = Path(staging) / "proofs", Path(staging) / "files"
    assets = tuple(manifest["assets"])
    with np.load(proofs / "top.npz") as z:
        levels = len([f for f in z.files if f.startswith("h")])
        top = MerkleSumTree(assets, [z[f"h{i}"] for i in range(levels)], [z[f"s{i}"] for i in range(levels)], 0, 0)
    with np.load(proofs / f"subtree-{s:05d}.npz") as z:
        users = _unpack(z["blob"], z["ends"])
        salts = bytes(z["salts"])
        levels = len([f for f in z.files if f.startswith("h")])
        sub = MerkleSumTree(assets, [z[f"h{i}"] for i in range(levels)], [z[f"s{i}"] for i in range(levels)], 0, 0)
    head = proof_head(manifest["root"], manifest["snapshot"]["height"], manifest["snapshot"]["time"], list(assets))
    up = path_steps(top, s)
    first = s * manifest["subtree_leaves"]
    used: set[str] = set()
    for local, user in enumerate(users):
        text = proof_text(head, user, salts[16 * local:16 * local + 16].hex(),
                          [int(x) for x in sub.sums[0][local]], first + local, path_steps(sub, local) + up)
        name = file_safe_id(user)
        if name.lower() in used:
            name = f"{name}-{first + local + 1}"
        used.add(name.lower())
        try:
            with (files / f"{name}.json").open("x", encoding="utf-8") as f:
                f.write(text)
        except FileExistsError:  # the same name but for case, in an earlier-written subtree
            (files / f"{name}-{first + local + 1}.json").write_text(text, encoding="utf-8")
    return len(users)


def partition_proof(snapshot: Path, user: str) -> str:
    """One user's proof JSON from a snapshot built in parts: the same text the in-process build writes to
    proofs/<user>.json. An InputError when the folder is not such a snapshot or the user is not in it."""
    proofs = snapshot / "proofs"
    try:
        manifest = json.loads((proofs / "manifest.json").read_text(encoding="utf-8"))
        key = bytes.fromhex(manifest["key"])
    except (OSError, ValueError, KeyError, TypeError):
        raise InputError(f"{snapshot} holds no snapshot built in parts (proofs/manifest.json)",
                         field="snapshot") from None
    digest = user_digests(key, [user])
    wanted = digest[:16].hex()
    firsts = [k for k in manifest["first_keys"] if k]
    s = bisect_right(firsts, wanted) - 1
    missing = InputError(f"user {user!r} is not in the snapshot {manifest['root'][:16]}...", field="user")
    if s < 0:
        raise missing
    with np.load(proofs / f"subtree-{s:05d}.npz") as z:
        keys = [bytes(r).hex() for r in z["order"]]
        local = bisect_right(keys, wanted) - 1
        if local < 0 or keys[local] != wanted or _unpack(z["blob"], z["ends"])[local] != user:
            raise missing
        levels = len([f for f in z.files if f.startswith("h")])
        sub = MerkleSumTree(tuple(manifest["assets"]), [z[f"h{i}"] for i in range(levels)],
                            [z[f"s{i}"] for i in range(levels)], 0, 0)
        salt = bytes(z["salts"][16 * local:16 * local + 16]).hex()
        balances = [int(x) for x in sub.sums[0][local]]
    with np.load(proofs / "top.npz") as z:
        levels = len([f for f in z.files if f.startswith("h")])
        top = MerkleSumTree(sub.assets, [z[f"h{i}"] for i in range(levels)], [z[f"s{i}"] for i in range(levels)], 0, 0)
    head = proof_head(manifest["root"], manifest["snapshot"]["height"], manifest["snapshot"]["time"],
                      list(sub.assets))
    return proof_text(head, user, salt, balances, s * manifest["subtree_leaves"] + local,
                      path_steps(sub, local) + path_steps(top, s))


def _save(path: Path, arrays: dict[str, Any]) -> None:
    np.savez(path, **arrays)


def _pack(strings: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Strings as one UTF-8 byte array and the end offset of each (arrays an .npz holds without pickling)."""
    encoded = [x.encode("utf-8") for x in strings]
    ends = np.cumsum([len(e) for e in encoded], dtype=np.int64) if encoded else np.zeros(0, np.int64)
    return np.frombuffer(b"".join(encoded), dtype=np.uint8), ends


def _unpack(blob: np.ndarray, ends: np.ndarray) -> list[str]:
    data = blob.tobytes()
    starts = [0, *ends[:-1].tolist()] if len(ends) else []  # a subtree of padding has no users
    return [data[a:b].decode("utf-8") for a, b in zip(starts, ends.tolist(), strict=True)]
