"""What the learned scorer sees of an account: graph and time features, in a batch form over a whole table and a
streaming form kept up to date transfer by transfer, which agree on the same transfers (tests/aml).

Amounts are read relative to the data set: each transfer's percentile among the amounts the profile was
fitted on (`grid`: the 0.0%, 0.1%, ..., 100% quantiles), so a figure means the same in batch and streaming.
The rules' own output enters as `rules` (distinct alerts naming the account) and `nbr_flagged` (counterparties
named by some alert: neighbours' flags); `nbr_low` counts counterparties with a transfer in the lowest
percentile. Bursts are transfers with one counterparty within one UTC day (AMLSim's fan-in sends several).
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Sequence

import numpy as np

from biplomacy.aml.model.alerts import Alert
from biplomacy.aml.model.transactions import Transactions

FEATURES = ("n_out", "n_in", "sum_out", "sum_in", "min_pct_out", "min_pct_in", "low1_out", "low1_in", "low5_out",
            "low5_in", "uniq_out", "uniq_in", "burst_out", "burst_in", "rules", "nbr_n", "nbr_flagged", "nbr_low")
LOW1, LOW5 = 0.01, 0.05
DAY = 86400.0
LEARNED = "learned"  # the alert the learned scorer raises; it flags no neighbour


def amount_grid(amount: np.ndarray) -> list[float]:
    """The 1,001 quantiles (0.0 %, 0.1 %, ... 100 %) of a data set's amounts: what percentiles are read against."""
    return np.quantile(amount, np.linspace(0.0, 1.0, 1001)).tolist() if len(amount) else [0.0] * 1001


def percentile(grid: Sequence[float], amount: np.ndarray) -> np.ndarray:
    return np.searchsorted(np.asarray(grid), amount, "left") / (len(grid) - 1)


def flagged_accounts(alerts: Iterable[Alert]) -> set[str]:
    return {acct for a in alerts if a.rule != LEARNED for acct in a.accounts}


def batch(tx: Transactions, grid: Sequence[float], alerts: Sequence[Alert]) -> tuple[np.ndarray, np.ndarray]:
    """(account names, matrix accounts x FEATURES) over the whole table."""
    from biplomacy.aml.model.graph import codes

    names, s, d = codes(tx)  # the rules' graph's, when they have just built it: encoding names is costly
    named = [acct for a in alerts if a.rule != LEARNED for acct in set(a.accounts)]
    return names, matrix(tx, grid, names, s, d, named_counts(names, np.asarray(named, dtype=str)))


def low_accounts(tx: Transactions, grid: Sequence[float]) -> np.ndarray:
    """The accounts (sorted) with a transfer in or out in the lowest percentile: what `matrix` reads as low."""
    hit = percentile(grid, tx.amount) <= LOW1
    return np.unique(np.concatenate([tx.src[hit], tx.dst[hit]]))


def named_counts(names: np.ndarray, named: np.ndarray, counts: np.ndarray | None = None) -> np.ndarray:
    """Per account of `names` (sorted): how many alerts name it, from `named` (an account per alert naming it, or
    distinct accounts with their `counts`). Names are sorted: each named account's code by a binary search."""
    m = len(names)
    if not len(named) or not m:
        return np.zeros(m)
    at = np.minimum(np.searchsorted(names, named), m - 1)
    hit = names[at] == named
    weights = None if counts is None else np.asarray(counts, dtype=float)[hit]
    return np.bincount(at[hit], weights=weights, minlength=m).astype(float)


def matrix(tx: Transactions, grid: Sequence[float], names: np.ndarray, s: np.ndarray, d: np.ndarray,
           rules: np.ndarray, low: np.ndarray | None = None) -> np.ndarray:
    """The FEATURES of every account of `names` (sender and receiver codes `s`, `d`) from the transfers of `tx`,
    given each account's count of rule alerts. `low` (per account: a transfer in the lowest percentile anywhere)
    is read from `tx` when not given; a part of a bigger table (a cluster's bucket) gives the whole table's."""
    m = len(names)
    pct = percentile(grid, tx.amount)
    day = np.floor(tx.ts / DAY).astype(np.int64)
    f: dict[str, np.ndarray] = {}
    for side, own, other in (("out", s, d), ("in", d, s)):
        f[f"n_{side}"] = np.bincount(own, minlength=m).astype(float)
        f[f"sum_{side}"] = np.bincount(own, weights=tx.amount, minlength=m)
        mn = np.full(m, 1.0)
        np.minimum.at(mn, own, pct)
        f[f"min_pct_{side}"] = mn
        f[f"low1_{side}"] = np.bincount(own[pct <= LOW1], minlength=m).astype(float)
        f[f"low5_{side}"] = np.bincount(own[pct <= LOW5], minlength=m).astype(float)
        f[f"uniq_{side}"] = np.bincount(_distinct(own * m + other)[0] // m, minlength=m).astype(float)
        burst = np.zeros(m)
        if len(day):
            span = int(day.max() - day.min()) + 1
            if m * m * span < 2**62:  # one int64 key per (account, counterparty, day): far faster than rows
                key, counts = _distinct((own * m + other) * span + (day - day.min()))
                np.maximum.at(burst, key // span // m, counts.astype(float))
            else:
                rows, counts = np.unique(np.column_stack([own, other, day]), axis=0, return_counts=True)
                np.maximum.at(burst, rows[:, 0], counts.astype(float))
        f[f"burst_{side}"] = burst
    f["rules"] = rules
    pairs = _distinct(np.concatenate([s * m + d, d * m + s])[np.concatenate([s != d, s != d])])[0]
    x, y = pairs // m, pairs % m
    flagged = rules > 0
    if low is None:
        low = (f["low1_out"] + f["low1_in"]) > 0
    f["nbr_n"] = np.bincount(x, minlength=m).astype(float)
    f["nbr_flagged"] = np.bincount(x, weights=flagged[y].astype(float), minlength=m)
    f["nbr_low"] = np.bincount(x, weights=low[y].astype(float), minlength=m)
    return np.column_stack([f[k] for k in FEATURES])


def _distinct(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(sorted distinct int64 keys, how often each occurs): np.unique by a sort, several times faster here than
    the hash table numpy 2 picks for unsorted integers."""
    k = np.sort(keys)
    if not len(k):
        return k, np.zeros(0, dtype=np.int64)
    starts = np.flatnonzero(np.r_[True, k[1:] != k[:-1]])
    return k[starts], np.diff(np.r_[starts, len(k)])


class Traits:
    """One account's features as a stream keeps them (the streaming form of `batch`)."""

    __slots__ = ("n_out", "n_in", "sum_out", "sum_in", "min_pct_out", "min_pct_in", "low1_out", "low1_in",
                 "low5_out", "low5_in", "outs", "ins", "burst_out", "burst_in", "rules", "nbrs", "nbr_flagged",
                 "nbr_low")

    def __init__(self) -> None:
        self.n_out = self.n_in = self.low1_out = self.low1_in = self.low5_out = self.low5_in = 0
        self.sum_out = self.sum_in = 0.0
        self.min_pct_out = self.min_pct_in = 1.0
        self.outs: dict[str, list[int]] = {}  # counterparty -> [day, transfers that day]
        self.ins: dict[str, list[int]] = {}
        self.burst_out = self.burst_in = 0
        self.rules = 0
        self.nbrs: set[str] = set()
        self.nbr_flagged = self.nbr_low = 0

    def vector(self) -> list[float]:
        return [self.n_out, self.n_in, self.sum_out, self.sum_in, self.min_pct_out, self.min_pct_in, self.low1_out,
                self.low1_in, self.low5_out, self.low5_in, len(self.outs), len(self.ins), self.burst_out,
                self.burst_in, self.rules, len(self.nbrs), self.nbr_flagged, self.nbr_low]

    @property
    def low(self) -> bool:
        return self.low1_out + self.low1_in > 0


class TraitBook:
    """Every account's Traits, updated by one transfer and the alerts it raised."""

    def __init__(self, grid: Sequence[float]):
        self.grid = list(grid)
        self.top = len(self.grid) - 1
        self.of: dict[str, Traits] = {}

    def get(self, name: str) -> Traits:
        t = self.of.get(name)
        if t is None:
            t = self.of[name] = Traits()
        return t

    def update(self, tx_ts: float, src: str, dst: str, amount: float, alerts: Sequence[Alert]) -> tuple[Traits, Traits]:
        of = self.of
        s = of.get(src)
        if s is None:
            s = of[src] = Traits()
        d = of.get(dst)
        if d is None:
            d = of[dst] = Traits()
        pct = bisect_left(self.grid, amount) / self.top
        day = int(tx_ts // DAY)
        s.n_out += 1
        d.n_in += 1
        s.sum_out += amount
        d.sum_in += amount
        if pct < s.min_pct_out:
            s.min_pct_out = pct
        if pct < d.min_pct_in:
            d.min_pct_in = pct
        if pct <= LOW5:
            s.low5_out += 1
            d.low5_in += 1
            if pct <= LOW1:  # LOW1 <= LOW5: an account turns low only here
                was_low = (s.low, d.low)
                s.low1_out += 1
                d.low1_in += 1
                for t, before in ((s, was_low[0]), (d, was_low[1])) if s is not d else ((s, was_low[0]),):
                    if not before:  # its neighbours so far count it now; a new neighbour counts it below
                        for n in t.nbrs:
                            of[n].nbr_low += 1
        c = s.outs.get(dst)  # bursts: transfers with one counterparty within one UTC day
        if c is None or c[0] != day:
            s.outs[dst] = c = [day, 0]
        c[1] += 1
        if c[1] > s.burst_out:
            s.burst_out = c[1]
        c = d.ins.get(src)
        if c is None or c[0] != day:
            d.ins[src] = c = [day, 0]
        c[1] += 1
        if c[1] > d.burst_in:
            d.burst_in = c[1]
        if src != dst and dst not in s.nbrs:
            s.nbrs.add(dst)
            d.nbrs.add(src)
            s.nbr_flagged += d.rules > 0
            d.nbr_flagged += s.rules > 0
            s.nbr_low += d.low
            d.nbr_low += s.low
        for a in alerts:
            if a.rule == LEARNED:
                continue
            for acct in set(a.accounts):
                t = self.get(acct)
                t.rules += 1
                if t.rules == 1:
                    for n in t.nbrs:
                        of[n].nbr_flagged += 1
        return s, d
