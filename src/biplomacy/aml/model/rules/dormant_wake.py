"""dormant_wake: an account with earlier activity that stayed silent (no transfer in or out) for at least
dormant_days, then sends a large amount (at least dormant_min_amount): sleeper accounts bought or kept for
later laundering, or a taken-over account being emptied (FATF red-flag lists name dormancy without a figure).

Accounts first seen in the data are not dormant (no earlier activity). Reads dormant_days and
dormant_min_amount. Streaming keeps each account's last activity (a late transfer does not move it back).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from biplomacy.aml.model import graph
from biplomacy.aml.model.alerts import Alert
from biplomacy.aml.model.stream_state import Arrival, StreamState
from biplomacy.aml.model.thresholds import Thresholds
from biplomacy.aml.model.transactions import Transactions

NAME = "dormant_wake"
DAY = 86400.0


def _alert(src: str, dst: str, tx_id: str, days: float, amount: float, previous_tx: str, th: Thresholds) -> Alert:
    return Alert(NAME, [src, dst], [tx_id], min(1.0, 0.5 + 0.25 * days / th.dormant_days),
                 {"silent_days": round(days, 1), "amount": amount, "previous_activity_tx": previous_tx})


def scan(tx: Transactions, th: Thresholds, _sanctioned: frozenset[str]) -> list[Alert]:
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
    hit = same & is_out & (gap >= th.dormant_days * DAY) & (tx.amount[row] >= th.dormant_min_amount)
    alerts = []
    for j in np.flatnonzero(hit):
        r = int(row[j])
        alerts.append(_alert(str(tx.src[r]), str(tx.dst[r]), str(tx.tx_id[r]), float(gap[j] / DAY),
                             float(tx.amount[r]), str(tx.tx_id[row[j - 1]]), th))
    return alerts


def score(state: StreamState, a: Arrival) -> Sequence[Alert]:
    """The alert if the sender wakes from dormancy; then both accounts were active now (unless the transfer
    came late, after a later one)."""
    th, tx, src = state.th, a.tx, a.src
    found: Sequence[Alert] = ()
    if src.last_ts is not None and tx.amount >= th.dormant_min_amount and tx.ts - src.last_ts >= th.dormant_days * DAY:
        found = [_alert(tx.src, tx.dst, tx.tx_id, (tx.ts - src.last_ts) / DAY, tx.amount, src.last_tx, th)]
    for acct in (src, a.dst):
        if acct.last_ts is None or tx.ts >= acct.last_ts:
            acct.last_ts, acct.last_tx = tx.ts, tx.tx_id
    return found
