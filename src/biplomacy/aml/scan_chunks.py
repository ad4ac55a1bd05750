"""The chunks of the cluster scan (aml/scan_cluster.py), each run on a Dask worker, or in-process without one.

Each chunk reads its inputs from the scratch folder and writes its outputs there under a temporary name, then
renames them: a chunk run again on another worker (its first worker died) writes the same files, never half a
file. A bad input row comes back as ("input-error", message, field), which the use case raises.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from biplomacy.aml.model import features, partition
from biplomacy.aml.model.alerts import Alert
from biplomacy.aml.model.rules import RULES
from biplomacy.aml.model.thresholds import Thresholds
from biplomacy.aml.model.transactions import Transactions, from_columns, take
from biplomacy.core.errors import InputError

if TYPE_CHECKING:
    import pyarrow as pa

InputProblem = tuple[str, str, str]
COLS = ("tx_id", "ts", "src", "dst", "amount", "asset", "vasp", "label", "seq")


@dataclass(frozen=True)
class LearnedJob:
    """A profile's learned scorer as the chunks need it: its model is in the scratch folder (MODEL_FILE), not
    in every task, and each worker loads it once (scan_learned.py)."""

    sha256: str
    threshold: float
    version: str
    grid: tuple[float, ...]


MODEL_FILE = "learned-model.txt"


@dataclass(frozen=True)
class Job:
    """What every chunk of one scan needs to know."""

    scratch: str
    buckets: int
    sorted_by_time: bool  # several files: the in-process scan puts them in time order (transactions.concat)
    th: Thresholds
    sanctioned: frozenset[str]
    learned: LearnedJob | None = None
_BY_NAME = {r.name: r for r in RULES}


def _problem(exc: InputError, default_field: str = "transactions") -> InputProblem:
    return ("input-error", str(exc), exc.field or default_field)


def _write(table: pa.Table, path: Path) -> None:
    import pyarrow.parquet as pq

    # not parents=True: once a stopped job has removed its scratch folder, a task still running on a shared
    # cluster fails here instead of making the folder again
    path.parent.mkdir(exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    pq.write_table(table, tmp)
    tmp.replace(path)


def _arrow(tx: Transactions, seq: np.ndarray, rows: np.ndarray) -> pa.Table:
    import pyarrow as pa

    return pa.table({"tx_id": pa.array(tx.tx_id[rows], pa.string()), "ts": tx.ts[rows],
                     "src": pa.array(tx.src[rows], pa.string()), "dst": pa.array(tx.dst[rows], pa.string()),
                     "amount": tx.amount[rows], "asset": pa.array(tx.asset[rows], pa.string()),
                     "vasp": pa.array(tx.vasp[rows], pa.string()), "label": tx.label[rows].astype(np.int64),
                     "seq": seq[rows]})


def split(args: tuple[Job, int, str]) -> tuple[int, set[str]] | InputProblem:
    """Read and check input file `i`, then write its transfers to the buckets of their sender and receiver, and
    its ids to the buckets of the ids."""
    import pyarrow as pa

    from biplomacy.aml.scan_inputs import read_columns

    job, i, name = args
    try:
        tx = from_columns(read_columns(Path(name)), name)
    except InputError as exc:
        return _problem(exc)
    n = len(tx)
    seq = (np.int64(i) << np.int64(32)) | np.arange(n, dtype=np.int64)
    owner = np.concatenate([partition.bucket_of(tx.src, job.buckets), partition.bucket_of(tx.dst, job.buckets)])
    rows = np.concatenate([np.arange(n), np.arange(n)])
    key = np.unique(owner * (n + 1) + rows)  # a transfer whose two accounts share a bucket goes there once
    b_of, r_of = key // (n + 1), key % (n + 1)
    cuts = np.flatnonzero(np.diff(b_of)) + 1
    for b, r in zip(np.split(b_of, cuts), np.split(r_of, cuts), strict=True):
        _write(_arrow(tx, seq, r), Path(job.scratch) / f"b{int(b[0]):05d}" / f"f{i:05d}.parquet")
    ids = partition.bucket_of(tx.tx_id, job.buckets)
    order = np.argsort(ids, kind="stable")
    cuts = np.flatnonzero(np.diff(ids[order])) + 1
    for r in np.split(order, cuts):
        _write(pa.table({"tx_id": pa.array(tx.tx_id[r], pa.string())}),
               Path(job.scratch) / f"id{int(ids[r[0]]):05d}" / f"f{i:05d}.parquet")
    return n, set(np.unique(tx.vasp).tolist())


def read(folder: Path, columns: tuple[str, ...] | None = None) -> dict[str, np.ndarray]:
    """Every fragment in a scratch folder as numpy columns (strings as str arrays); empty when there is none."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    files = sorted(folder.glob("*.parquet")) if folder.is_dir() else []
    if not files:
        return {}
    t = pa.concat_tables([pq.read_table(f, columns=list(columns) if columns else None) for f in files])
    out = {}
    for c in t.column_names:
        col = t.column(c).to_numpy(zero_copy_only=False)
        out[c] = col.astype(str) if col.dtype == object else col
    return out


def _table(folder: Path, job: Job) -> tuple[Transactions, np.ndarray]:
    cols = read(folder)
    if not cols:
        empty = {c: np.empty(0, dtype=str if c in ("tx_id", "src", "dst", "asset", "vasp") else
                             (np.int64 if c in ("label", "seq") else float)) for c in COLS}
        cols = empty
    return table_of(cols, job.sorted_by_time)


def _duplicate(job: Job, b: int, names: list[str]) -> InputProblem | None:
    """An id in two input files (each file's own duplicates are found when it is read)."""
    folder = Path(job.scratch) / f"id{b:05d}"
    ids, src = [], []
    for f in sorted(folder.glob("*.parquet")) if folder.is_dir() else []:
        got = read_ids(f)
        ids.append(got)
        src.append(np.full(len(got), int(f.stem[1:])))
    if not ids:
        return None
    every, where = np.concatenate(ids), np.concatenate(src)
    order = np.lexsort((where, every))
    e, w = every[order], where[order]
    twice = np.flatnonzero(e[1:] == e[:-1])
    if not len(twice):
        return None
    j = int(twice[0])
    return ("input-error", f"tx_id {str(e[j])!r} is in both {names[int(w[j])]} and {names[int(w[j + 1])]}; ids "
            "must be unique across the files scanned together", "transactions")


def read_ids(f: Path) -> np.ndarray:
    import pyarrow.parquet as pq

    return np.asarray(pq.read_table(f).column("tx_id").to_numpy(zero_copy_only=False), dtype=str)


def bucket(args: tuple[Job, int, list[str]]) -> dict[str, list[tuple[tuple[object, ...], Alert]]] | InputProblem:
    """Bucket b: the per-account rules for its own accounts (alerts with their place in the in-process order),
    and the transfers it hands on to the path rules, bipartite and unordered_cycle."""
    job, b, names = args
    dup = _duplicate(job, b, names)
    if dup is not None:
        return dup
    tx, seq = _table(Path(job.scratch) / f"b{b:05d}", job)
    on = {r.name for r in RULES if r.name not in job.th.disabled}
    out: dict[str, list[tuple[tuple[object, ...], Alert]]] = {name: [] for name in partition.BY_BUCKET}
    if not len(tx):
        return out
    where: dict[str, int] | None = None
    for name in partition.BY_BUCKET:
        if name not in on:
            continue
        for a in _BY_NAME[name].scan(tx, job.th, job.sanctioned):
            if partition.bucket_of(np.asarray([partition.key_account(a)]), job.buckets)[0] != b:
                continue
            if where is None:
                where = {t: i for i, t in enumerate(tx.tx_id.tolist())}
            ts_seq = {t: (float(tx.ts[where[t]]), int(seq[where[t]])) for t in a.transactions[:1]}
            out[name].append((partition.order_key(a, ts_seq), a))
    owned = partition.owned_codes(tx, b, job.buckets)
    pair_rules = [r for r in partition.PAIR_RULES if r in on]
    paired = np.flatnonzero(partition.forward_active(tx, owned, max(partition.pair_band(job.th, r)[0]
                                                                     for r in pair_rules))) if pair_rules else None
    if job.learned is not None:  # its own accounts with a transfer in the lowest percentile: neighbours' nbr_low
        import pyarrow as pa

        low = features.low_accounts(tx, job.learned.grid)
        low = low[partition.bucket_of(low, job.buckets) == b]
        _write(pa.table({"account": pa.array(low, pa.string())}), Path(job.scratch) / "low" / f"b{b:05d}.parquet")
    if on & set(partition.ON_FORWARD):
        rows = np.flatnonzero(partition.forward_active(tx, owned, partition.forward_window(job.th)))
        _write(_arrow(tx, seq, rows), Path(job.scratch) / "forward" / f"b{b:05d}.parquet")
    senders = np.flatnonzero(partition.sender_active(tx, owned, job.th.bipartite_window_hours * 3600)) \
        if "bipartite" in on else None
    if "unordered_cycle" in on:
        from biplomacy.aml.model import graph

        rows = np.flatnonzero(owned[graph.build(tx).src])  # each transfer once: from its sender's bucket
        _write(_arrow(tx, seq, rows), Path(job.scratch) / "whole" / f"b{b:05d}.parquet")
    if paired is not None:  # last: the pairs are found on a smaller table, whose graph replaces the bucket's
        sub, sub_seq = take(tx, paired), seq[paired]
        for name in pair_rules:
            keyed = _pairs(job, b, sub, sub_seq, name)
            if keyed is not None:
                out[name] = keyed
    if senders is not None:
        _sender_pairs(job, b, take(tx, senders), seq[senders])
    return out


def _pairs(job: Job, b: int, tx: Transactions, seq: np.ndarray, name: str
           ) -> list[tuple[tuple[object, ...], Alert]] | None:
    """A pair rule's forward pairs through bucket b's accounts (`tx`: the bucket's transfers in a forward pair
    through them, in order): gather_scatter walked here (its alerts with their
    places); for scatter_gather and stack, the pairs written to their senders' buckets (pairs-NAME/aS/bB)."""
    from biplomacy.aml.model.rules import gather_scatter

    i, k = partition.owned_pairs(tx, b, job.buckets, *partition.pair_band(job.th, name))
    ts, key = tx.ts, partition.pair_key
    if name == "gather_scatter":
        paths = zip(tx.src[i].tolist(), tx.dst[i].tolist(), tx.dst[k].tolist(), tx.tx_id[i].tolist(),
                    tx.tx_id[k].tolist(), strict=True)
        return [(key(float(ts[k[n]]), int(seq[k[n]]), float(ts[i[n]]), int(seq[i[n]]), job.sorted_by_time), alert)
                for n, alert in gather_scatter.walk(paths, job.th)]
    _hand_on(job, name, b, tx, seq, i, k, (tx.src[i], tx.dst[i], tx.dst[k]), partition.bucket_of(tx.src[i], job.buckets))
    return None


def _sender_pairs(job: Job, b: int, tx: Transactions, seq: np.ndarray) -> None:
    """bipartite's sender pairs of bucket b's senders (`tx`: its transfers in such a pair, in order), written to
    the buckets of their first receiver by name (pairs-bipartite/aR/bB)."""
    th = job.th
    p, q = partition.owned_sender_pairs(tx, b, job.buckets, th.bipartite_window_hours * 3600, th.bipartite_max_amount)
    keep = tx.dst[p] != tx.dst[q]
    p, q = p[keep], q[keep]
    first, second = tx.dst[p], tx.dst[q]
    _hand_on(job, "bipartite", b, tx, seq, p, q, (first, second, tx.src[q]),
             partition.bucket_of(np.where(first < second, first, second), job.buckets))


def _hand_on(job: Job, name: str, b: int, tx: Transactions, seq: np.ndarray, i: np.ndarray, k: np.ndarray,
             accounts: tuple[np.ndarray, np.ndarray, np.ndarray], to: np.ndarray) -> None:
    """Pairs (i, k) of bucket b's table, with their three accounts (a, m, b columns), written to the buckets `to`
    that walk them (pairs-NAME/aT/bB), with the ids and places that order them (partition.pair_order)."""
    import pyarrow as pa

    (Path(job.scratch) / f"pairs-{name}").mkdir(exist_ok=True)  # not parents: see _write
    order = np.argsort(to, kind="stable")
    for rows in np.split(order, np.flatnonzero(np.diff(to[order])) + 1) if len(order) else []:
        x, y = i[rows], k[rows]
        _write(pa.table({"a": pa.array(accounts[0][rows], pa.string()), "m": pa.array(accounts[1][rows], pa.string()),
                         "b": pa.array(accounts[2][rows], pa.string()), "t_in": pa.array(tx.tx_id[x], pa.string()),
                         "t_out": pa.array(tx.tx_id[y], pa.string()), "ts_k": tx.ts[y], "seq_k": seq[y],
                         "ts_i": tx.ts[x], "seq_i": seq[x]}),
               Path(job.scratch) / f"pairs-{name}" / f"a{int(to[rows[0]]):05d}" / f"b{b:05d}.parquet")


def sender_walk(args: tuple[Job, str, int]) -> list[tuple[tuple[object, ...], Alert]]:
    """A walked rule over the pairs handed to bucket `a`, in the in-process order; each alert with its raising
    pair's place: scatter_gather and stack over the pairs of the senders `a` owns (columns a, m, b: sender,
    intermediary, end account); bipartite's candidates over the receiver pairs whose first receiver `a` owns
    (a, m, b: the two receivers and the sender), which the client sweeps (bipartite.sweep)."""
    from biplomacy.aml.model import sender_paths
    from biplomacy.aml.model.rules import bipartite, scatter_gather, stack

    job, name, a = args
    cols = read(Path(job.scratch) / f"pairs-{name}" / f"a{a:05d}")
    if not cols:
        return []
    order = partition.pair_order(cols["ts_k"], cols["seq_k"], cols["ts_i"], cols["seq_i"], job.sorted_by_time)
    c = {n: cols[n][order] for n in cols}
    paths = zip(c["a"].tolist(), c["m"].tolist(), c["b"].tolist(), c["t_in"].tolist(), c["t_out"].tolist(),
                strict=True)
    if name == "bipartite":
        raised = bipartite.candidates(paths, job.th)
    else:
        fresh, add = (dict, scatter_gather.add) if name == "scatter_gather" else (stack.fresh, stack.add)
        raised = sender_paths.walk(paths, job.th, fresh, add)
    return [(partition.pair_key(float(c["ts_k"][n]), int(c["seq_k"][n]), float(c["ts_i"][n]), int(c["seq_i"][n]),
                                job.sorted_by_time), alert) for n, alert in raised]


def touching(args: tuple[Job, int, frozenset[str], bool]) -> set[str] | None:
    """Bucket b's transfers touching `accounts`: their other accounts (a round of sanctioned_exposure's search),
    or, with `write`, the transfers themselves written for the rule."""
    job, b, accounts, write = args
    folder = Path(job.scratch) / f"b{b:05d}"
    if not write:
        cols = read(folder, ("src", "dst"))
        if not cols:
            return set()
        s = np.fromiter((x in accounts for x in cols["src"].tolist()), dtype=bool, count=len(cols["src"]))
        d = np.fromiter((x in accounts for x in cols["dst"].tolist()), dtype=bool, count=len(cols["dst"]))
        return set(cols["dst"][s].tolist()) | set(cols["src"][d].tolist())
    tx, seq = _table(folder, job)
    hit = np.fromiter((s in accounts or d in accounts for s, d in zip(tx.src.tolist(), tx.dst.tolist(), strict=True)),
                      dtype=bool, count=len(tx))
    _write(_arrow(tx, seq, np.flatnonzero(hit)), Path(job.scratch) / "sanctions" / f"b{b:05d}.parquet")
    return None


def subset_rules(args: tuple[Job, str, tuple[str, ...]]) -> dict[str, list[Alert]]:
    """Rules `names` over the transfers the buckets handed on for them (`kind`), in the in-process order."""
    job, kind, names = args
    tx, _ = _table(Path(job.scratch) / kind, job)
    return {name: (_BY_NAME[name].scan(tx, job.th, job.sanctioned) if len(tx) else []) for name in names}


def table_of(cols: dict[str, np.ndarray], sorted_by_time: bool) -> tuple[Transactions, np.ndarray]:
    """The transfers of some fragments as one table, in the in-process scan's order, each once; and each one's
    place (seq: file number and row)."""
    seq = cols["seq"]
    _, first = np.unique(seq, return_index=True)
    keep = first if not sorted_by_time else first[np.lexsort((seq[first], cols["ts"][first]))]
    if not sorted_by_time:
        keep = keep[np.argsort(seq[keep], kind="stable")]
    return Transactions(*(cols[c][keep] for c in COLS[:-1])), seq[keep]
