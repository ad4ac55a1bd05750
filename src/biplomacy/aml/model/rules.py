"""AML rules: each a plain function (transactions, thresholds) -> alerts, registered once in RULES.

Rationale of each is in its docstring and docs/aml.md; thresholds come from a versioned configuration
(biplomacy/data/aml/thresholds-v2.toml) whose every figure is sourced or labelled an assumption.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from biplomacy.aml.model import graph
from biplomacy.aml.model.transactions import Transactions


@dataclass(frozen=True)
class Thresholds:
    reporting_threshold: float = 1000.0
    structuring_band: float = 0.10
    structuring_min_count: int = 3
    window_hours: float = 24.0
    fan_min_counterparties: int = 8
    pass_through_min_ratio: float = 0.90
    pass_through_min_amount: float = 1000.0
    cycle_max_length: int = 5
    cycle_window_hours: float = 72.0
    exposure_hops: int = 2
    peel_min_hops: int = 4
    peel_min_ratio: float = 0.50
    peel_max_ratio: float = 0.98
    dormant_days: float = 90.0
    dormant_min_amount: float = 10000.0
    version: str = "v2"


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
    near_rows = np.flatnonzero(near)
    for acct, idx in _by(tx.src[near], _subset(tx, near)).items():
        rows = near_rows[idx]
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
    # only accounts with fan_min_counterparties transfers within some window can fan; the rest are skipped
    for acct, idx in graph.busy_accounts(graph.build(tx), w, th.fan_min_counterparties, outgoing):
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
    """Funds in and (nearly) all out again within a window: a mule or pass-through account. One alert per
    account: its first transfer in of at least pass_through_min_amount that is followed, within window_hours,
    by a transfer out of between pass_through_min_ratio and 1.0 of the amount. (Retail-sized amounts passed
    on within a day are everyday life: receiving money and paying a bill with it.)"""
    g = graph.build(tx)
    nxt = graph.first_forward(g, tx.amount, th.window_hours * 3600, th.pass_through_min_ratio, 1.0,
                              th.pass_through_min_amount)
    rows = np.flatnonzero(nxt >= 0)
    rows = rows[np.lexsort((tx.ts[rows], g.dst[rows]))]
    _, first = np.unique(g.dst[rows], return_index=True)
    alerts = []
    for i in rows[first]:
        k = int(nxt[i])
        ratio = float(tx.amount[k] / tx.amount[i])
        alerts.append(Alert("pass_through", [str(tx.src[i]), str(tx.dst[i]), str(tx.dst[k])],
                            [str(tx.tx_id[i]), str(tx.tx_id[k])], 0.6 + 0.3 * ratio - 0.2 * (ratio == 1.0),
                            {"hours": round(float(tx.ts[k] - tx.ts[i]) / 3600, 2), "ratio": round(ratio, 4),
                             "vasps": sorted({str(tx.vasp[i]), str(tx.vasp[k])} - {""})}))
    return alerts


def cycles(tx: Transactions, th: Thresholds, _s: frozenset[str]) -> list[Alert]:
    """Funds that come back to where they started through 2-4 other accounts, in time order within a window
    (round-tripping). A cycle through more than one VASP is only visible to a supervisor who joins their
    flows, and is raised as cross_vasp_cycle with a higher score."""
    g = graph.build(tx)
    alerts, seen = [], set()
    for path in graph.time_paths(g, tx.ts, th.cycle_window_hours * 3600, th.cycle_max_length):
        key = frozenset(path.tolist())
        if key in seen:
            continue
        seen.add(key)
        vasps = sorted(set(tx.vasp[path].tolist()) - {""})
        cross = len(vasps) > 1
        alerts.append(Alert("cross_vasp_cycle" if cross else "cycle",
                            [str(tx.src[path[0]]), *[str(tx.dst[p]) for p in path[:-1]]], tx.tx_id[path].tolist(),
                            0.9 if cross else 0.7,
                            {"path": [f"{tx.src[p]}->{tx.dst[p]}" for p in path], "vasps": vasps}))
    return sorted(alerts, key=lambda a: (a.accounts[0], a.transactions))


def sanctioned_exposure(tx: Transactions, th: Thresholds, sanctioned: frozenset[str]) -> list[Alert]:
    """Transactions with a sanctioned address, or within N hops of one (OFAC SDN and other lists). Each
    exposed account is raised once, with its nearest sanctioned address and the transfer that reached it."""
    if not sanctioned or not len(tx):
        return []
    g = graph.build(tx)
    seeds = np.flatnonzero(np.fromiter((a in sanctioned for a in g.names.tolist()), dtype=bool, count=len(g.names)))
    if not len(seeds):
        return []
    alerts = []
    origin = np.full(len(g.names), -1, dtype=np.int64)
    origin[seeds] = seeds
    dist, via = graph.within_hops(g, seeds, th.exposure_hops)
    for acct in np.flatnonzero(dist > 0)[np.argsort(dist[dist > 0], kind="stable")]:
        i = via[acct]
        prev = g.src[i] if g.src[i] != acct else g.dst[i]
        origin[acct] = origin[prev]
        d = int(dist[acct])
        alerts.append(Alert("sanctioned_exposure", [str(g.names[acct]), str(g.names[origin[acct]])],
                            [str(tx.tx_id[i])], 1.0 / d, {"sanctioned": str(g.names[origin[acct]]), "hops": d}))
    return sorted(alerts, key=lambda a: (a.accounts[1], a.accounts[0]))


def peel_chain(tx: Transactions, th: Thresholds, _s: frozenset[str]) -> list[Alert]:
    """A chain of transfers in which each receiver soon forwards most of what it got and keeps (peels off) a
    small part, hop after hop (>= peel_min_hops transfers): the classic way to cash out a large sum through
    many fresh addresses so that no single transfer stands out. Each hop forwards between peel_min_ratio and
    peel_max_ratio of the amount it received, within window_hours of receiving it."""
    g = graph.build(tx)
    nxt = graph.first_forward(g, tx.amount, th.window_hours * 3600, th.peel_min_ratio, th.peel_max_ratio)
    has_pred = np.zeros(len(tx), dtype=bool)
    has_pred[nxt[nxt >= 0]] = True
    # chain length by pointer doubling is not needed: chains are walked only from heads of long-enough chains
    length = np.where(nxt >= 0, 1, 0)
    hop = nxt.copy()
    for _ in range(th.peel_min_hops - 2):
        ok = hop >= 0
        length[ok] += 1
        hop[ok] = nxt[hop[ok]]
    alerts = []
    for start in np.flatnonzero((hop >= 0) & ~has_pred & (nxt >= 0)):
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
    g = graph.build(tx)
    acct = np.concatenate([g.src, g.dst])
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
