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
    peel_min_hops: int = 4
    peel_min_ratio: float = 0.50
    peel_max_ratio: float = 0.98
    dormant_days: float = 90.0
    dormant_min_amount: float = 10000.0
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


def peel_chain(tx: Transactions, th: Thresholds, _s: frozenset[str]) -> list[Alert]:
    """A chain of transfers in which each receiver soon forwards most of what it got and keeps (peels off) a
    small part, hop after hop (>= peel_min_hops transfers): the classic way to cash out a large sum through
    many fresh addresses so that no single transfer stands out. Each hop forwards between peel_min_ratio and
    peel_max_ratio of the amount it received, within window_hours of receiving it."""
    w = th.window_hours * 3600
    outs = _by(tx.src, tx)
    out_ts = {a: tx.ts[o] for a, o in outs.items()}
    nxt = np.full(len(tx), -1)
    for i in range(len(tx)):
        acct = str(tx.dst[i])
        o = outs.get(acct)
        if o is None or tx.amount[i] <= 0:
            continue
        t = out_ts[acct]
        lo, hi = np.searchsorted(t, tx.ts[i], "right"), np.searchsorted(t, tx.ts[i] + w, "right")
        for k in o[lo:hi]:
            if th.peel_min_ratio <= tx.amount[k] / tx.amount[i] <= th.peel_max_ratio:
                nxt[i] = k
                break
    has_pred = np.zeros(len(tx), dtype=bool)
    has_pred[nxt[nxt >= 0]] = True
    alerts = []
    for start in np.flatnonzero((nxt >= 0) & ~has_pred):
        chain = [int(start)]
        while nxt[chain[-1]] >= 0 and len(chain) <= len(tx):
            chain.append(int(nxt[chain[-1]]))
        if len(chain) < th.peel_min_hops:
            continue
        amounts = tx.amount[chain]
        alerts.append(Alert("peel_chain", [str(tx.src[chain[0]]), *[str(tx.dst[c]) for c in chain]],
                            tx.tx_id[chain].tolist(), min(1.0, 0.5 + 0.1 * len(chain)),
                            {"path": [f"{tx.src[c]}->{tx.dst[c]}" for c in chain],
                             "amounts": amounts.tolist(),
                             "peeled": [round(float(a - b), 8) for a, b in zip(amounts[:-1], amounts[1:], strict=True)],
                             "vasps": sorted(set(tx.vasp[chain].tolist()) - {""})}))
    return alerts


def dormant_wake(tx: Transactions, th: Thresholds, _s: frozenset[str]) -> list[Alert]:
    """An account with earlier activity that stayed silent (no transfer in or out) for >= dormant_days, then
    sends a large amount (>= dormant_min_amount): sleeper accounts bought or kept for later laundering, or a
    taken-over account being emptied. Accounts first seen in the data are not dormant (no earlier activity)."""
    n = len(tx)
    acct = np.concatenate([tx.src, tx.dst])
    ts = np.concatenate([tx.ts, tx.ts])
    row = np.concatenate([np.arange(n), np.arange(n)])
    is_out = np.concatenate([np.ones(n, dtype=bool), np.zeros(n, dtype=bool)])
    order = np.lexsort((ts, acct))
    acct, ts, row, is_out = acct[order], ts[order], row[order], is_out[order]
    same = np.zeros(len(acct), dtype=bool)
    same[1:] = acct[1:] == acct[:-1]
    gap = np.zeros(len(acct))
    gap[1:] = ts[1:] - ts[:-1]
    hit = same & is_out & (gap >= th.dormant_days * 86400) & (tx.amount[row] >= th.dormant_min_amount)
    alerts = []
    for j in np.flatnonzero(hit):
        r = int(row[j])
        days = gap[j] / 86400
        alerts.append(Alert("dormant_wake", [str(tx.src[r]), str(tx.dst[r])], [str(tx.tx_id[r])],
                            min(1.0, 0.5 + 0.25 * days / th.dormant_days),
                            {"silent_days": round(float(days), 1), "amount": float(tx.amount[r]),
                             "previous_activity_tx": str(tx.tx_id[row[j - 1]])}))
    return alerts


RULES: tuple[tuple[str, Rule], ...] = (
    ("structuring", structuring),
    ("fan_out", fan_out),
    ("fan_in", fan_in),
    ("pass_through", pass_through),
    ("cycles", cycles),
    ("sanctioned_exposure", sanctioned_exposure),
    ("peel_chain", peel_chain),
    ("dormant_wake", dormant_wake),
)


def scan(tx: Transactions, th: Thresholds, sanctioned: frozenset[str] = frozenset()) -> list[Alert]:
    out: list[Alert] = []
    for _name, rule in RULES:
        out.extend(rule(tx, th, sanctioned))
    return out
