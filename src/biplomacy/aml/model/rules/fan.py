"""fan_out and fan_in: one account pays many distinct accounts within a window (distribution of illicit
proceeds, smurfing), or many distinct accounts pay one (collection before layering). One logic, two
directions, so both rules live here.

Reads fan_in_min_counterparties, fan_in_window_hours and fan_in_max_amount (fan_out_... for fan-out): only
transfers of at most the ceiling count, so that a calibrated profile can look at the amounts laundering uses
in its data (AMLSim's fan-in sends amounts in the data set's lowest percentile). Raised once per account, at
the first window holding that many distinct counterparties. Streaming keeps, per account, its counted
transfers out (in) of the window and a count per counterparty. Source: AMLSim's fan-in/fan-out alert
patterns (github.com/IBM/AMLSim, paramFiles alertPatterns.csv) and AMLworld's (Altman et al., "Realistic
Synthetic Financial Transactions for Anti-Money Laundering Models", NeurIPS 2023).
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Sequence
from functools import partial

from biplomacy.aml.model import graph
from biplomacy.aml.model.alerts import Alert
from biplomacy.aml.model.stream_state import Arrival, StreamState
from biplomacy.aml.model.thresholds import Thresholds
from biplomacy.aml.model.transactions import Transactions

OUT, IN = "fan_out", "fan_in"


def _limits(th: Thresholds, outgoing: bool) -> tuple[int, float, float]:
    """(min counterparties, window in hours, amount ceiling) of one direction."""
    if outgoing:
        return th.fan_out_min_counterparties, th.fan_out_window_hours, th.fan_out_max_amount
    return th.fan_in_min_counterparties, th.fan_in_window_hours, th.fan_in_max_amount


def _alert(name: str, acct: str, counts: dict[str, int], tx_ids: list[str], th: Thresholds) -> Alert:
    k, hours, _ = _limits(th, name == OUT)
    return Alert(name, [acct, *sorted(counts)], tx_ids, min(1.0, len(counts) / (2 * k) + 0.4),
                 {"counterparties": len(counts), "window_hours": hours})


def scan_out(tx: Transactions, th: Thresholds, _sanctioned: frozenset[str]) -> list[Alert]:
    return _scan(tx, th, outgoing=True)


def scan_in(tx: Transactions, th: Thresholds, _sanctioned: frozenset[str]) -> list[Alert]:
    return _scan(tx, th, outgoing=False)


def _scan(tx: Transactions, th: Thresholds, outgoing: bool) -> list[Alert]:
    k, hours, ceiling = _limits(th, outgoing)
    tx = graph.at_most(tx, ceiling)
    other = tx.dst if outgoing else tx.src
    w = hours * 3600
    alerts = []
    # only accounts with k transfers within some window can fan; the rest are skipped
    for acct, idx in graph.busy_accounts(graph.build(tx), w, k, outgoing):
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
            if len(counts) >= k:
                alerts.append(_alert(OUT if outgoing else IN, acct, counts, tx.tx_id[idx[j:i + 1]].tolist(), th))
                break
    return alerts


def _score(outgoing: bool, state: StreamState, a: Arrival) -> Sequence[Alert]:
    th, tx = state.th, a.tx
    k, hours, ceiling = _limits(th, outgoing)
    if tx.amount > ceiling:
        return ()
    if outgoing:
        own, other = a.src, tx.dst
        if own.outs is None or own.out_n is None:
            own.outs, own.out_n = deque(), {}
        q, counts = own.outs, own.out_n
    else:
        own, other = a.dst, tx.src
        if own.ins is None or own.in_n is None:
            own.ins, own.in_n = deque(), {}
        q, counts = own.ins, own.in_n
    q.append(tx)
    counts[other] = counts.get(other, 0) + 1
    w = hours * 3600
    while tx.ts - q[0].ts > w:
        old = q.popleft()
        o = old.dst if outgoing else old.src
        counts[o] -= 1
        if not counts[o]:
            del counts[o]
    name = OUT if outgoing else IN
    if len(counts) >= k and own.first_time(name):
        return [_alert(name, tx.src if outgoing else tx.dst, counts, [t.tx_id for t in q], th)]
    return ()


score_out = partial(_score, True)
score_in = partial(_score, False)
