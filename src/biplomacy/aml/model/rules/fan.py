"""fan_out and fan_in: one account pays many distinct accounts within a window (distribution of illicit
proceeds, smurfing), or many distinct accounts pay one (collection before layering). One logic, two
directions, so both rules live here.

Reads fan_min_counterparties and window_hours. Raised once per account, at the first window holding that
many distinct counterparties. Streaming keeps, per account, its transfers out (in) of the last window_hours
and a count per counterparty.
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


def _alert(name: str, acct: str, counts: dict[str, int], tx_ids: list[str], th: Thresholds) -> Alert:
    return Alert(name, [acct, *sorted(counts)], tx_ids, min(1.0, len(counts) / (2 * th.fan_min_counterparties) + 0.4),
                 {"counterparties": len(counts), "window_hours": th.window_hours})


def scan_out(tx: Transactions, th: Thresholds, _sanctioned: frozenset[str]) -> list[Alert]:
    return _scan(tx, th, outgoing=True)


def scan_in(tx: Transactions, th: Thresholds, _sanctioned: frozenset[str]) -> list[Alert]:
    return _scan(tx, th, outgoing=False)


def _scan(tx: Transactions, th: Thresholds, outgoing: bool) -> list[Alert]:
    other = tx.dst if outgoing else tx.src
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
                alerts.append(_alert(OUT if outgoing else IN, acct, counts, tx.tx_id[idx[j:i + 1]].tolist(), th))
                break
    return alerts


def _score(outgoing: bool, state: StreamState, a: Arrival) -> Sequence[Alert]:
    th, tx = state.th, a.tx
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
    w = th.window_hours * 3600
    while tx.ts - q[0].ts > w:
        old = q.popleft()
        o = old.dst if outgoing else old.src
        counts[o] -= 1
        if not counts[o]:
            del counts[o]
    name = OUT if outgoing else IN
    if len(counts) >= th.fan_min_counterparties and own.first_time(name):
        return [_alert(name, tx.src if outgoing else tx.dst, counts, [t.tx_id for t in q], th)]
    return ()


score_out = partial(_score, True)
score_in = partial(_score, False)
