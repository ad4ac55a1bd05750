"""AML rules: each a plain function (transactions, thresholds) -> alerts, registered once in RULES.

Rationale of each is in its docstring and docs/aml.md; thresholds come from a versioned configuration
(biplomacy/data/aml/thresholds-v1.toml) whose every figure is sourced or labelled an assumption.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from biplomacy.supervision.aml.transactions import Transactions


@dataclass(frozen=True)
class Thresholds:
    reporting_threshold: float = 1000.0
    structuring_band: float = 0.10
    structuring_min_count: int = 3
    window_hours: float = 24.0
    fan_min_counterparties: int = 8
    pass_through_min_ratio: float = 0.90
    cycle_max_length: int = 5
    cycle_window_hours: float = 72.0
    exposure_hops: int = 2
    version: str = "v1"


@dataclass
class Alert:
    rule: str
    accounts: list[str]
    transactions: list[str]
    score: float
    evidence: dict[str, object] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        return {"rule": self.rule, "accounts": self.accounts, "transactions": self.transactions,
                "score": round(self.score, 4), "evidence": self.evidence}


Rule = Callable[[Transactions, Thresholds, frozenset[str]], list[Alert]]


def _by(keys: np.ndarray, tx: Transactions) -> dict[str, np.ndarray]:
    """Row indices grouped by key, each group in time order."""
    order = np.lexsort((tx.ts, keys))
    k = keys[order]
    cuts = np.flatnonzero(k[1:] != k[:-1]) + 1
    return {str(g[0] if len(g) else ""): idx for g, idx in zip(np.split(k, cuts), np.split(order, cuts), strict=True)}


def structuring(tx: Transactions, th: Thresholds, _s: frozenset[str]) -> list[Alert]:
    """Several transfers just under the reporting threshold within a window: splitting to stay unreported."""
    lo = th.reporting_threshold * (1 - th.structuring_band)
    near = (tx.amount >= lo) & (tx.amount < th.reporting_threshold)
    alerts = []
    w = th.window_hours * 3600
    for acct, idx in _by(tx.src[near], _subset(tx, near)).items():
        rows = np.flatnonzero(near)[idx]
        t = tx.ts[rows]
        j = 0
        for i in range(len(rows)):
            while t[i] - t[j] > w:
                j += 1
            if i - j + 1 >= th.structuring_min_count:
                hit = rows[j:i + 1]
                alerts.append(Alert("structuring", [acct], tx.tx_id[hit].tolist(),
                                    min(1.0, 0.5 + 0.1 * len(hit)),
                                    {"amounts": tx.amount[hit].tolist(), "threshold": th.reporting_threshold}))
                break
    return alerts


def _subset(tx: Transactions, mask: np.ndarray) -> Transactions:
    return Transactions(tx.tx_id[mask], tx.ts[mask], tx.src[mask], tx.dst[mask], tx.amount[mask], tx.asset[mask],
                        tx.vasp[mask], tx.label[mask])


def _fan(tx: Transactions, th: Thresholds, outgoing: bool) -> list[Alert]:
    own, other = (tx.src, tx.dst) if outgoing else (tx.dst, tx.src)
    w = th.window_hours * 3600
    alerts = []
    for acct, idx in _by(own, tx).items():
        if len(idx) < th.fan_min_counterparties:
            continue
        t = tx.ts[idx]
        counts: dict[str, int] = defaultdict(int)
        j = 0
        for i in range(len(idx)):
            counts[other[idx[i]]] += 1
            while t[i] - t[j] > w:
                counts[other[idx[j]]] -= 1
                if counts[other[idx[j]]] == 0:
                    del counts[other[idx[j]]]
                j += 1
            if len(counts) >= th.fan_min_counterparties:
                hit = idx[j:i + 1]
                name = "fan_out" if outgoing else "fan_in"
                alerts.append(Alert(name, [acct, *sorted(counts)], tx.tx_id[hit].tolist(),
                                    min(1.0, len(counts) / (2 * th.fan_min_counterparties) + 0.4),
                                    {"counterparties": len(counts), "window_hours": th.window_hours}))
                break
    return alerts


def fan_out(tx: Transactions, th: Thresholds, _s: frozenset[str]) -> list[Alert]:
    """One account pays many distinct accounts within a window: distribution of illicit proceeds (smurfing)."""
    return _fan(tx, th, outgoing=True)


def fan_in(tx: Transactions, th: Thresholds, _s: frozenset[str]) -> list[Alert]:
    """Many distinct accounts pay one account within a window: collection before layering."""
    return _fan(tx, th, outgoing=False)


def pass_through(tx: Transactions, th: Thresholds, _s: frozenset[str]) -> list[Alert]:
    """Funds in and (nearly) all out again within a window: a mule or pass-through account."""
    w = th.window_hours * 3600
    outs = _by(tx.src, tx)
    alerts = []
    for acct, ins in _by(tx.dst, tx).items():
        o = outs.get(acct)
        if o is None:
            continue
        ot = tx.ts[o].tolist()
        for i in ins:
            lo = bisect.bisect_right(ot, tx.ts[i])
            hi = bisect.bisect_right(ot, tx.ts[i] + w)
            for k in o[lo:hi]:
                ratio = tx.amount[k] / tx.amount[i] if tx.amount[i] > 0 else 0.0
                if th.pass_through_min_ratio <= ratio <= 1.0:
                    vasps = sorted({tx.vasp[i], tx.vasp[k]} - {""})
                    alerts.append(Alert("pass_through", [str(tx.src[i]), acct, str(tx.dst[k])],
                                        [str(tx.tx_id[i]), str(tx.tx_id[k])], 0.6 + 0.3 * ratio - 0.2 * (ratio == 1.0),
                                        {"hours": round((tx.ts[k] - tx.ts[i]) / 3600, 2), "ratio": round(ratio, 4),
                                         "vasps": vasps}))
                    break
            else:
                continue
            break
    return alerts


def cycles(tx: Transactions, th: Thresholds, _s: frozenset[str]) -> list[Alert]:
    """Funds that come back to where they started through 2-4 other accounts, in time order within a window
    (round-tripping). A cycle through more than one VASP is only visible to a supervisor who joins their
    flows, and is raised as cross_vasp_cycle with a higher score."""
    w = th.cycle_window_hours * 3600
    outs = _by(tx.src, tx)
    alerts, seen = [], set()
    for start, first in outs.items():
        stack = [(start, [int(i)]) for i in first]
        while stack:
            node_path = stack.pop()
            path = node_path[1]
            last = path[-1]
            here = str(tx.dst[last])
            if here == start and len(path) >= 3:
                key = frozenset(path)
                if key not in seen:
                    seen.add(key)
                    vasps = sorted(set(tx.vasp[path].tolist()) - {""})
                    cross = len(vasps) > 1
                    alerts.append(Alert("cross_vasp_cycle" if cross else "cycle",
                                        [start, *[str(tx.dst[p]) for p in path[:-1]]], tx.tx_id[path].tolist(),
                                        0.9 if cross else 0.7,
                                        {"path": [f"{tx.src[p]}->{tx.dst[p]}" for p in path], "vasps": vasps}))
                continue
            if len(path) >= th.cycle_max_length:
                continue
            visited = {str(tx.src[p]) for p in path}
            for nxt in outs.get(here, ()):
                if tx.ts[nxt] > tx.ts[last] and tx.ts[nxt] - tx.ts[path[0]] <= w and \
                        (str(tx.dst[nxt]) == start or str(tx.dst[nxt]) not in visited):
                    stack.append((here, [*path, int(nxt)]))
    return alerts


def sanctioned_exposure(tx: Transactions, th: Thresholds, sanctioned: frozenset[str]) -> list[Alert]:
    """Transactions with a sanctioned address, or within N hops of one (OFAC SDN and other lists)."""
    if not sanctioned:
        return []
    adj: dict[str, set[int]] = defaultdict(set)
    for i in range(len(tx)):
        adj[str(tx.src[i])].add(i)
        adj[str(tx.dst[i])].add(i)
    alerts = []
    for s in sorted(sanctioned & set(adj)):
        frontier, dist, via = {s}, {s: 0}, {}
        for hop in range(1, th.exposure_hops + 1):
            nxt = set()
            for a in frontier:
                for i in adj[a]:
                    b = str(tx.dst[i]) if str(tx.src[i]) == a else str(tx.src[i])
                    if b not in dist:
                        dist[b], via[b] = hop, i
                        nxt.add(b)
            frontier = nxt
        for acct, d in sorted(dist.items()):
            if d == 0:
                continue
            alerts.append(Alert("sanctioned_exposure", [acct, s], [str(tx.tx_id[via[acct]])], 1.0 / d,
                                {"sanctioned": s, "hops": d}))
    return alerts


RULES: tuple[tuple[str, Rule], ...] = (
    ("structuring", structuring),
    ("fan_out", fan_out),
    ("fan_in", fan_in),
    ("pass_through", pass_through),
    ("cycles", cycles),
    ("sanctioned_exposure", sanctioned_exposure),
)


def scan(tx: Transactions, th: Thresholds, sanctioned: frozenset[str] = frozenset()) -> list[Alert]:
    out: list[Alert] = []
    for _name, rule in RULES:
        out.extend(rule(tx, th, sanctioned))
    return out
