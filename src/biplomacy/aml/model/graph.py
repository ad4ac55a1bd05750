"""Vectorised transaction-graph primitives the AML rules share: account codes, in-then-out windows, path growth.

Everything here works on whole numpy arrays (sorts and searchsorted), never row by row, so that the batch
rules keep above 100,000 transactions a second. The central structure is the list of outgoing transfers
sorted by (sending account, time): for each transfer i into account a it gives, by two binary searches, the
contiguous range of a's outgoing transfers in the window (ts_i, ts_i + w].
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from biplomacy.aml.model.transactions import Transactions, take

CHUNK_PAIRS = 4_000_000  # at most this many (path, next transfer) pairs are materialised at once


@dataclass(frozen=True)
class Graph:
    src: np.ndarray  # int64 account code of each transfer's sender
    dst: np.ndarray  # int64 account code of each transfer's receiver
    names: np.ndarray  # account name of each code
    out_order: np.ndarray  # transfer indices sorted by (src code, ts)
    out_key: np.ndarray  # int64 sort key of out_order: src code * (n + 1) + rank of ts
    sorted_ts: np.ndarray  # every ts, ascending
    ts: np.ndarray  # ts of each transfer
    n: int

    def window(self, rows: np.ndarray, w: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """For transfers `rows` (into account dst), positions [lo, hi) in out_order of dst's outgoing
        transfers with ts in (ts_row, ts_row + w]. Returns (lo, hi, ts of rows)."""
        base = self.dst[rows] * (self.n + 1)
        return (np.searchsorted(self.out_key, base + self._count_le(self.ts[rows]), "left"),
                np.searchsorted(self.out_key, base + self._count_le(self.ts[rows] + w), "left"),
                self.ts[rows])

    def _count_le(self, x: np.ndarray) -> np.ndarray:
        return np.searchsorted(self.sorted_ts, x, "right")


_last: list[tuple[Transactions, Graph]] = []


def build(tx: Transactions) -> Graph:
    """The graph of a transaction table; the last one built is kept, as every rule of a scan asks for it."""
    if _last and _last[0][0] is tx:
        return _last[0][1]
    g = _build(tx)
    _last[:] = [(tx, g)]
    return g


def codes(tx: Transactions) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(account names, sender codes, receiver codes) of a table: the kept graph's when it is of this table (a scan
    has just built it), else encoded afresh."""
    if _last and _last[0][0] is tx:
        g = _last[0][1]
        return g.names, g.src, g.dst
    n = len(tx)
    names, inv = account_codes(np.concatenate([tx.src, tx.dst]))
    return names, inv[:n], inv[n:]


def at_most(tx: Transactions, ceiling: float) -> Transactions:
    """The transfers of at most `ceiling` (the table itself when every one is), as a rule's amount band."""
    if ceiling == float("inf"):
        return tx
    key = (id(tx), ceiling)
    if _band and _band[0][0] == key and _band[0][1] is tx:
        return _band[0][2]
    sub = take(tx, np.flatnonzero(tx.amount <= ceiling))
    _band[:] = [(key, tx, sub)]
    return sub


_band: list[tuple[tuple[int, float], Transactions, Transactions]] = []


def account_codes(accounts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(sorted distinct names, code of each entry): a hash-based dictionary encoding (pyarrow), then only the
    distinct names are sorted, which is much faster than np.unique on strings."""
    if len(accounts) < 20_000:  # small tables (streaming neighbourhoods): numpy's sort is cheaper than pyarrow
        names, inv = np.unique(accounts, return_inverse=True)
        return names, inv.astype(np.int64)
    packed = _packed(accounts)
    if packed is not None:
        order = np.argsort(packed, kind="stable")
        keys = packed[order]
        first = np.r_[True, keys[1:] != keys[:-1]]
        codes = np.empty(len(accounts), dtype=np.int64)
        codes[order] = np.cumsum(first) - 1
        return accounts[order[first]], codes
    import pyarrow as pa

    enc = pa.array(accounts.tolist(), type=pa.string()).dictionary_encode()
    uniq = np.asarray(enc.dictionary.to_pylist(), dtype=str)
    perm = np.argsort(uniq, kind="stable")
    rank = np.empty(len(perm), dtype=np.int64)
    rank[perm] = np.arange(len(perm))
    return uniq[perm], rank[enc.indices.to_numpy(zero_copy_only=False).astype(np.int64)]


def _packed(accounts: np.ndarray) -> np.ndarray | None:
    """Each name as one int64 whose order is the names' order, when every name is at most 9 ASCII characters
    (AMLSim's numeric ids, our generator's names): 7 bits a character, the first the most significant, short
    names padded with zeros as numpy pads them. A sort of integers then encodes a million transfers' accounts in
    a third of pyarrow's time (bench/RESULTS-aml.md, 2026-12-06). None for any other names."""
    width = accounts.dtype.itemsize // 4
    if accounts.dtype.kind != "U" or not 0 < width <= 9:
        return None
    chars = np.ascontiguousarray(accounts).view(np.uint32).reshape(len(accounts), width)
    if chars.max() >= 128:
        return None
    key = np.zeros(len(accounts), dtype=np.int64)
    for k in range(width):
        key = (key << 7) | chars[:, k].astype(np.int64)
    return key


def _build(tx: Transactions) -> Graph:
    n = len(tx)
    names, inv = account_codes(np.concatenate([tx.src, tx.dst]))
    src, dst = inv[:n], inv[n:]
    sorted_ts = np.sort(tx.ts)
    rank = np.searchsorted(sorted_ts, tx.ts, "left").astype(np.int64)
    key = src * (n + 1) + rank
    order = np.argsort(key, kind="stable")
    return Graph(src, dst, names, order, key[order], sorted_ts, tx.ts, n)


def first_forward(g: Graph, amount: np.ndarray, w: float, lo_ratio: float, hi_ratio: float,
                  min_amount: float = 0.0) -> np.ndarray:
    """For every transfer i, the first (in time) transfer k out of i's receiver within w seconds whose amount
    is between lo_ratio and hi_ratio of i's; -1 where there is none (or i's amount is not positive, or under
    min_amount)."""
    nxt = np.full(g.n, -1, dtype=np.int64)
    rows = np.flatnonzero((amount > 0) & (amount >= min_amount))
    lo, hi, _ = g.window(rows, w)
    live = lo < hi
    rows, lo, hi = rows[live], lo[live], hi[live]
    step = 0
    while len(rows):
        k = g.out_order[lo + step]
        ratio = amount[k] / amount[rows]
        ok = (ratio >= lo_ratio) & (ratio <= hi_ratio)
        nxt[rows[ok]] = k[ok]
        step += 1
        keep = ~ok & (lo + step < hi)
        rows, lo, hi = rows[keep], lo[keep], hi[keep]
    return nxt


def expand(lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """All pairs (j, position) with lo[j] <= position < hi[j]."""
    counts = np.maximum(hi - lo, 0)
    j = np.repeat(np.arange(len(lo)), counts)
    starts = np.repeat(lo - np.concatenate([[0], np.cumsum(counts)[:-1]]), counts)
    return j, starts + np.arange(len(j))


def time_paths(g: Graph, ts: np.ndarray, w: float, max_len: int) -> list[np.ndarray]:
    """Time-respecting closed paths (cycles): sequences of >= 3 transfers, each leaving the previous one's
    receiver later, all within w seconds of the first, ending at the first sender, visiting no account
    twice; at most max_len transfers. Returned as arrays of transfer indices in path order."""
    found: list[np.ndarray] = []
    paths = np.arange(g.n, dtype=np.int64)[:, None]
    while len(paths) and paths.shape[1] < max_len:
        grown = []
        last = paths[:, -1]
        lo, hi, _ = g.window(last, w)
        total = np.cumsum(np.maximum(hi - lo, 0))
        cuts = np.searchsorted(total, np.arange(CHUNK_PAIRS, total[-1], CHUNK_PAIRS), "right")
        edges = np.unique(np.concatenate([[0], cuts, [len(paths)]]))
        for a, b in zip(edges[:-1], edges[1:], strict=True):
            j, pos = expand(lo[a:b], hi[a:b])
            p, k = paths[a:b][j], g.out_order[pos]
            p, k = p[ts[k] - ts[p[:, 0]] <= w], k[ts[k] - ts[p[:, 0]] <= w]
            d = g.dst[k]
            closed = d == g.src[p[:, 0]]
            fresh = np.ones(len(k), dtype=bool)
            for c in range(1, p.shape[1]):
                fresh &= d != g.src[p[:, c]]
            new = np.column_stack([p, k])
            if new.shape[1] >= 3:
                found.extend(new[closed])
            grown.append(new[~closed & fresh])
        paths = np.concatenate(grown) if grown else np.empty((0, paths.shape[1] + 1), dtype=np.int64)
    return found


def within_hops(g: Graph, seeds: np.ndarray, hops: int) -> tuple[np.ndarray, np.ndarray]:
    """Undirected breadth-first search from account codes `seeds`: (hop distance, reaching transfer) per
    account code, -1 where not reached within `hops`; each seed keeps distance 0."""
    m = len(g.names)
    dist = np.full(m, -1, dtype=np.int64)
    via = np.full(m, -1, dtype=np.int64)
    dist[seeds] = 0
    frontier = np.zeros(m, dtype=bool)
    frontier[seeds] = True
    for hop in range(1, hops + 1):
        touching = np.flatnonzero(frontier[g.src] | frontier[g.dst])
        other = np.where(frontier[g.src[touching]], g.dst[touching], g.src[touching])
        new = dist[other] < 0
        acct, first = np.unique(other[new], return_index=True)
        dist[acct] = hop
        via[acct] = touching[new][first]
        frontier[:] = False
        frontier[acct] = True
    return dist, via


def busy_accounts(g: Graph, w: float, k: int, outgoing: bool) -> list[tuple[str, np.ndarray]]:
    """Accounts with at least k transfers out (or in) within some window of w seconds, the only ones that can
    fan out (or in) to k distinct counterparties, in name order, each with its transfers in time order."""
    own = g.src if outgoing else g.dst
    order = np.lexsort((g.ts, own))
    o, t = own[order], g.ts[order]
    if len(o) < k:
        return []
    later = np.arange(k - 1, len(o))
    hit = (o[later] == o[later - k + 1]) & (t[later] - t[later - k + 1] <= w)
    codes = np.unique(o[later][hit])
    lo, hi = np.searchsorted(o, codes, "left"), np.searchsorted(o, codes, "right")
    return [(str(g.names[c]), order[a:b]) for c, a, b in zip(codes, lo, hi, strict=True)]


def forward_pairs(g: Graph, w: float) -> tuple[np.ndarray, np.ndarray]:
    """Every pair (i, k) of a transfer i into an account and a transfer k out of it with ts_i < ts_k <= ts_i + w,
    neither a self-transfer, ordered by (ts_k, k, i): the order in which a stream of the same transfers meets
    them. The building block of scatter-gather, gather-scatter, stack and random."""
    rows = np.flatnonzero(g.src != g.dst)
    lo, hi, _ = g.window(rows, w)
    j, pos = expand(lo, hi)
    i, k = rows[j], g.out_order[pos]
    keep = g.src[k] != g.dst[k]
    i, k = i[keep], k[keep]
    order = np.lexsort((i, k, g.ts[k]))
    return i[order], k[order]


def sender_pairs(g: Graph, w: float) -> tuple[np.ndarray, np.ndarray]:
    """Every pair (p, q) of transfers out of one account with ts_p < ts_q <= ts_p + w, neither a self-transfer,
    ordered by (ts_q, q, p) (bipartite)."""
    base = g.src * (g.n + 1)
    lo = np.searchsorted(g.out_key, base + g._count_le(g.ts), "left")
    hi = np.searchsorted(g.out_key, base + g._count_le(g.ts + w), "left")
    j, pos = expand(lo, hi)
    p, q = j, g.out_order[pos]
    keep = (g.src[p] != g.dst[p]) & (g.src[q] != g.dst[q])
    p, q = p[keep], q[keep]
    order = np.lexsort((p, q, g.ts[q]))
    return p[order], q[order]
