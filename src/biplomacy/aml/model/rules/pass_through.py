"""pass_through: funds in and (nearly) all out again within a window, a mule or pass-through account (FATF's
rapid movement of funds red flag).

One alert per account: its first transfer in of at least pass_through_min_amount that is followed, within
window_hours, by a transfer out of between pass_through_min_ratio and 1.0 of the amount. Retail-sized
amounts passed on within a day are everyday life (receiving money and paying a bill with it), hence the
minimum amount. Reads pass_through_min_amount, pass_through_min_ratio and window_hours.

Streaming reads each account's transfers in not yet forwarded (stream_state's pending forwards, shared with
peel_chain) and raises the alert with the first forward that completes the pattern. Deliberate difference
(docs/aml.md): the batch alert names the earliest transfer in that is ever forwarded; the streamed one the
first forwarded; they differ only when a later transfer out forwards an earlier transfer in.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from biplomacy.aml.model import graph
from biplomacy.aml.model.alerts import Alert
from biplomacy.aml.model.stream_state import Arrival, Pending, StreamState
from biplomacy.aml.model.thresholds import Thresholds
from biplomacy.aml.model.transactions import Transactions

NAME = "pass_through"


def _alert(accounts: list[str], tx_ids: list[str], ratio: float, seconds: float, vasps: set[str]) -> Alert:
    return Alert(NAME, accounts, tx_ids, 0.6 + 0.3 * ratio - 0.2 * (ratio == 1.0),
                 {"hours": round(seconds / 3600, 2), "ratio": round(ratio, 4), "vasps": sorted(vasps - {""})})


def scan(tx: Transactions, th: Thresholds, _sanctioned: frozenset[str]) -> list[Alert]:
    g = graph.build(tx)
    nxt = graph.first_forward(g, tx.amount, th.window_hours * 3600, th.pass_through_min_ratio, 1.0,
                              th.pass_through_min_amount)
    rows = np.flatnonzero(nxt >= 0)
    rows = rows[np.lexsort((tx.ts[rows], g.dst[rows]))]
    _, first = np.unique(g.dst[rows], return_index=True)
    alerts = []
    for i in rows[first]:
        k = int(nxt[i])
        alerts.append(_alert([str(tx.src[i]), str(tx.dst[i]), str(tx.dst[k])], [str(tx.tx_id[i]), str(tx.tx_id[k])],
                             float(tx.amount[k] / tx.amount[i]), float(tx.ts[k] - tx.ts[i]),
                             {str(tx.vasp[i]), str(tx.vasp[k])}))
    return alerts


def score(state: StreamState, a: Arrival) -> Sequence[Alert]:
    th, tx, q = state.th, a.tx, a.src.pending
    if not q:
        return ()
    w = th.window_hours * 3600
    while q and tx.ts - q[0].tx.ts > w:
        q.popleft()
    first_in: Pending | None = None
    for p in q:
        if p.tx.ts >= tx.ts or not p.pt_open:
            continue
        ratio = tx.amount / p.tx.amount
        if th.pass_through_min_ratio <= ratio <= 1.0 and p.tx.amount >= th.pass_through_min_amount:
            p.pt_open = False
            if first_in is None:
                first_in = p
    if first_in is None or not a.src.first_time(NAME):
        return ()
    i = first_in.tx
    return [_alert([i.src, i.dst, tx.dst], [i.tx_id, tx.tx_id], tx.amount / i.amount, tx.ts - i.ts, {i.vasp, tx.vasp})]
