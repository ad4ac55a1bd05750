"""random: money walks from account to account, each forward within a window of the transfer it forwards, for
many hops in a row (AMLSim's "random" typology: funds passed at random among a group of members; AMLworld's
"random"). Unlike peel_chain it asks nothing of the amounts' ratios, only that each hop is within the window
and at most random_max_amount.

Reads random_min_hops, random_window_hours and random_max_amount. A transfer's hops are one more than the
most hops of the transfers into its sender that it forwards (ts_i < ts <= ts_i + window), else one, counted up
to random_min_hops; accounts may repeat (a walk among a group). Raised once per receiving account, at the first transfer into it with at
least random_min_hops hops. Streaming: each account's transfers in of the forward window with their hops.
Sources: IBM AMLSim (paramFiles/*/alertPatterns.csv, type random); Altman et al., NeurIPS 2023 (AMLworld).
The module is random_walk.py so as not to shadow Python's random module; the rule is named "random".
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from biplomacy.aml.model import graph
from biplomacy.aml.model.alerts import Alert
from biplomacy.aml.model.stream_state import Arrival, StreamState, forward_ins
from biplomacy.aml.model.thresholds import Thresholds
from biplomacy.aml.model.transactions import Transactions

NAME = "random"


def _alert(src: str, dst: str, tx_id: str, hops: int, th: Thresholds) -> Alert:
    return Alert(NAME, [src, dst], [tx_id], min(1.0, 0.4 + 0.05 * hops),
                 {"hops": hops, "window_hours": th.random_window_hours})


def scan(tx: Transactions, th: Thresholds, _sanctioned: frozenset[str]) -> list[Alert]:
    tx = graph.at_most(tx, th.random_max_amount)
    g = graph.build(tx)
    i, k = graph.forward_pairs(g, th.random_window_hours * 3600)
    hops = np.ones(len(tx), dtype=np.int64)
    for _ in range(th.random_min_hops - 1):  # each pass carries the count one hop on; capped at the minimum
        nxt = np.ones(len(tx), dtype=np.int64)
        np.maximum.at(nxt, k, np.minimum(hops[i] + 1, th.random_min_hops))
        if np.array_equal(nxt, hops):
            break
        hops = nxt
    alerts: list[Alert] = []
    done: set[str] = set()
    long_ = np.flatnonzero((hops >= th.random_min_hops) & (g.src != g.dst))
    for q in long_[np.lexsort((long_, tx.ts[long_]))].tolist():
        d = str(tx.dst[q])
        if d not in done:
            done.add(d)
            alerts.append(_alert(str(tx.src[q]), d, str(tx.tx_id[q]), int(hops[q]), th))
    return alerts


def score(state: StreamState, a: Arrival) -> Sequence[Alert]:
    th, tx = state.th, a.tx
    ins = forward_ins(a, th.random_window_hours, th.random_max_amount)
    if ins:
        a.hops = min(th.random_min_hops, 1 + max(h for _, h in ins))
    if a.hops >= th.random_min_hops and a.dst.first_time(NAME):
        return [_alert(tx.src, tx.dst, tx.tx_id, a.hops, th)]
    return ()
