"""The AML rules over a table split by account: what each bucket of accounts computes, and how the pieces are put
back together so that the alerts are exactly those of one in-process scan (aml/scan_cluster.py runs it on Dask).

Every transfer goes to the bucket of its sender and to the bucket of its receiver (`bucket_of`, a hash that is the
same in every process), so a bucket holds every transfer into or out of the accounts it owns. That is all that
four rules need, and they run on the bucket as they are, keeping the alerts of owned accounts:
structuring, fan_out (the sender's transfers out), fan_in (the receiver's in) and dormant_wake (the sender's
in and out). Their alerts are put back in the in-process order by `order_key`.

The path rules only ever look at pairs of a transfer into an account and one out of it soon after (a forward
pair, graph.py). Three of them count single pairs in one account's state: gather_scatter in the intermediary's,
scatter_gather and stack in the sender's (PAIR_RULES). A bucket holds every transfer in and out of its owned
accounts, so it finds every pair through an owned intermediary (`owned_pairs`): gather_scatter walks them there,
and the pairs of scatter_gather and stack are handed to the bucket of their sender, which walks them in the
in-process order (`pair_order`). Each alert keeps its raising pair's place, which puts them back in order. The
others (pass_through, cycles, peel_chain, random) follow longer paths: a transfer in no forward pair is in none
of them, so each bucket marks the transfers in a forward pair through an owned account (`forward_active`), and
those rules run once over the marked transfers alone, which gives the same alerts in the same order as over the
whole table (the marked transfers keep their relative order). bipartite
looks only at two transfers out of one sender (`owned_sender_pairs`, among the transfers `sender_active` marks):
each sender's bucket hands its pairs to the bucket of their first receiver by name, which counts the receiver
pairs' shared senders and yields where each first reaches the minimum; the client keeps those whose two
receivers were not both raised before (bipartite.sweep), which is the one-task result. sanctioned_exposure runs
over the transfers touching a sanctioned address or an account within exposure_hops - 1 hops of one, found by
rounds over the buckets (`touching`). unordered_cycle (off unless a profile turns it on) keeps a step budget over
each account's every payee, so it runs over the whole table in one task.
"""

from __future__ import annotations

import numpy as np

from biplomacy.aml.model import graph
from biplomacy.aml.model.alerts import Alert
from biplomacy.aml.model.thresholds import Thresholds
from biplomacy.aml.model.transactions import Transactions, take

BY_BUCKET = ("structuring", "fan_out", "fan_in", "dormant_wake")
ON_FORWARD = ("pass_through", "cycles", "peel_chain", "random")
PAIR_RULES = ("scatter_gather", "gather_scatter", "stack")
BY_SENDER = ("scatter_gather", "stack")  # their pairs are walked in the sender's bucket; gather_scatter in m's
WALKED = (*BY_SENDER, "bipartite")  # rules walked by a bucket of accounts over pairs the buckets handed it
ON_SANCTIONS = ("sanctioned_exposure",)
WHOLE = ("unordered_cycle",)
_P1, _P2 = np.uint64(0x100000001B3), np.uint64(0x9E3779B97F4A7C15)


def bucket_of(accounts: np.ndarray, buckets: int) -> np.ndarray:
    """Each account name's bucket in [0, buckets): a polynomial hash of its characters, the same on every
    machine and in any array (Python's hash() is salted per process)."""
    names = np.asarray(accounts, dtype=str)
    if not len(names):
        return np.zeros(0, dtype=np.int64)
    width = max(1, names.dtype.itemsize // 4)
    codes = np.ascontiguousarray(names).view(np.uint32).reshape(len(names), width).astype(np.uint64)
    h = np.zeros(len(names), dtype=np.uint64)
    with np.errstate(over="ignore"):
        for c in range(width):  # the padding after a shorter name is left out: a name hashes alike in any array
            h = np.where(codes[:, c] != 0, h * _P1 + codes[:, c], h)
        h ^= h >> np.uint64(29)
        h *= _P2
        h ^= h >> np.uint64(32)
    return (h % np.uint64(buckets)).astype(np.int64)


def forward_window(th: Thresholds) -> float:
    """The widest window (seconds) of the rules that run on the marked transfers (ON_FORWARD)."""
    return 3600.0 * max(th.window_hours, th.cycle_window_hours, th.random_window_hours)


def pair_band(th: Thresholds, rule: str) -> tuple[float, float]:
    """A pair rule's (window in seconds, amount ceiling), as its scan reads them."""
    hours, ceiling = {"scatter_gather": (th.scatter_gather_window_hours, th.scatter_gather_max_amount),
                      "gather_scatter": (th.gather_scatter_window_hours, th.gather_scatter_max_amount),
                      "stack": (th.stack_window_hours, th.stack_max_amount)}[rule]
    return 3600.0 * hours, ceiling


def _in_band(tx: Transactions, ceiling: float) -> tuple[np.ndarray, graph.Graph]:
    """The rows of `tx` of at most `ceiling` (a rule's amount band, as graph.at_most) and their graph."""
    rows = np.flatnonzero(tx.amount <= ceiling) if ceiling != float("inf") else np.arange(len(tx))
    return rows, graph.build(take(tx, rows))


def owned_pairs(tx: Transactions, bucket: int, buckets: int, window: float, ceiling: float
                ) -> tuple[np.ndarray, np.ndarray]:
    """The forward pairs (i, k) of a bucket's table through an intermediary it owns, as rows of `tx`, in a pair
    rule's order (graph.forward_pairs over the transfers of at most `ceiling`)."""
    rows, g = _in_band(tx, ceiling)
    i, k = graph.forward_pairs(g, window)
    through = (bucket_of(g.names, buckets) == bucket)[g.dst[i]]
    return rows[i[through]], rows[k[through]]


def owned_sender_pairs(tx: Transactions, bucket: int, buckets: int, window: float, ceiling: float
                       ) -> tuple[np.ndarray, np.ndarray]:
    """The sender pairs (p, q) of a bucket's table whose sender it owns, as rows of `tx`, in bipartite's order
    (graph.sender_pairs over the transfers of at most `ceiling`)."""
    rows, g = _in_band(tx, ceiling)
    p, q = graph.sender_pairs(g, window)
    mine = (bucket_of(g.names, buckets) == bucket)[g.src[q]]
    return rows[p[mine]], rows[q[mine]]


def pair_order(ts_k: np.ndarray, seq_k: np.ndarray, ts_i: np.ndarray, seq_i: np.ndarray,
               sorted_by_time: bool) -> np.ndarray:
    """The order of pairs (i, k) in the in-process scan, (ts_k, k, i), from the transfers' times and places: a
    row's place in the in-process table is its seq, or (ts, seq) when several files are put in time order."""
    return np.lexsort((seq_i, ts_i if sorted_by_time else np.zeros(len(ts_i)), seq_k, ts_k))


def pair_key(ts_k: float, seq_k: int, ts_i: float, seq_i: int, sorted_by_time: bool) -> tuple[float, int, float, int]:
    """One pair's place in that order, to merge the alerts of several buckets (same order as pair_order)."""
    return (ts_k, seq_k, ts_i if sorted_by_time else 0.0, seq_i)


def _mark_ranges(mask: np.ndarray, order: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> None:
    """mask[order[p]] = True for every position p in some [lo, hi)."""
    live = lo < hi
    if not np.any(live):
        return
    diff = np.zeros(len(order) + 1, dtype=np.int64)
    np.add.at(diff, lo[live], 1)
    np.add.at(diff, hi[live], -1)
    mask[order[np.cumsum(diff[:-1]) > 0]] = True


def forward_active(tx: Transactions, owned: np.ndarray, w: float) -> np.ndarray:
    """The transfers of a bucket in a forward pair (into an account, then out of it within w seconds) through an
    account the bucket owns (`owned`: per account code of graph.build(tx))."""
    g = graph.build(tx)
    mask = np.zeros(len(tx), dtype=bool)
    rows = np.flatnonzero(owned[g.dst])
    lo, hi, _ = g.window(rows, w)
    mask[rows[lo < hi]] = True
    _mark_ranges(mask, g.out_order, lo, hi)
    return mask


def sender_active(tx: Transactions, owned: np.ndarray, w: float) -> np.ndarray:
    """The transfers of a bucket in a sender pair (two transfers out of one owned account within w seconds,
    neither to itself): bipartite's building block (graph.sender_pairs)."""
    g = graph.build(tx)
    mask = np.zeros(len(tx), dtype=bool)
    rows = np.flatnonzero(owned[g.src] & (g.src != g.dst))
    base = g.src[rows] * (g.n + 1)
    lo = np.searchsorted(g.out_key, base + g._count_le(g.ts[rows]), "left")
    hi = np.searchsorted(g.out_key, base + g._count_le(g.ts[rows] + w), "left")
    mask[rows[lo < hi]] = True
    _mark_ranges(mask, g.out_order, lo, hi)
    return mask & (g.src != g.dst)


def owned_codes(tx: Transactions, bucket: int, buckets: int) -> np.ndarray:
    """Per account code of graph.build(tx): whether the account belongs to `bucket`."""
    return bucket_of(graph.build(tx).names, buckets) == bucket


def key_account(alert: Alert) -> str:
    """The account a bucket rule's alert is about: the one whose bucket raises it."""
    return alert.accounts[0]


def order_key(alert: Alert, ts_seq: dict[str, tuple[float, int]]) -> tuple[object, ...]:
    """Where a bucket rule's alert stands in the in-process scan's order: structuring, fan_out and fan_in by
    account name (graph.busy_accounts and structuring group by sorted name); dormant_wake by (sender, time,
    the transfer's place in the table), as its sort of every account's activity puts them. `ts_seq`: each
    alert transfer's (time, place)."""
    if alert.rule == "dormant_wake":
        ts, seq = ts_seq[alert.transactions[0]]
        return (alert.accounts[0], ts, seq)
    return (alert.accounts[0],)
