"""structuring: several transfers just under the reporting threshold from one account within a window,
splitting a sum to stay unreported (FATF's structuring / smurfing red flag; the threshold is FATF R.16's
USD/EUR 1,000).

Reads reporting_threshold, structuring_band (how far under counts as "just under"), structuring_min_count
and window_hours. Raised once per account, at the first window that holds the pattern. Streaming keeps, per
sender, its near-threshold transfers of the last window_hours.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence

import numpy as np

from biplomacy.aml.model.alerts import Alert
from biplomacy.aml.model.stream_state import Arrival, StreamState
from biplomacy.aml.model.thresholds import Thresholds
from biplomacy.aml.model.transactions import Transactions

NAME = "structuring"


def _score(count: int) -> float:
    return min(1.0, 0.5 + 0.1 * count)


def _evidence(amounts: list[float], th: Thresholds) -> dict[str, object]:
    return {"amounts": amounts, "threshold": th.reporting_threshold}


def scan(tx: Transactions, th: Thresholds, _sanctioned: frozenset[str]) -> list[Alert]:
    near = (tx.amount >= th.reporting_threshold * (1 - th.structuring_band)) & (tx.amount < th.reporting_threshold)
    alerts = []
    w = th.window_hours * 3600
    near_rows = np.flatnonzero(near)
    for acct, idx in _by(tx.src[near], tx.ts[near]).items():
        rows = near_rows[idx]
        t = tx.ts[rows]
        j = 0
        for i in range(len(rows)):
            while t[i] - t[j] > w:
                j += 1
            if i - j + 1 >= th.structuring_min_count:
                hit = rows[j:i + 1]
                alerts.append(Alert(NAME, [acct], tx.tx_id[hit].tolist(), _score(len(hit)),
                                    _evidence(tx.amount[hit].tolist(), th)))
                break
    return alerts


def _by(keys: np.ndarray, ts: np.ndarray) -> dict[str, np.ndarray]:
    """Row indices grouped by key, each group in time order."""
    order = np.lexsort((ts, keys))
    k = keys[order]
    cuts = np.flatnonzero(k[1:] != k[:-1]) + 1
    return {str(g[0] if len(g) else ""): idx for g, idx in zip(np.split(k, cuts), np.split(order, cuts), strict=True)}


def score(state: StreamState, a: Arrival) -> Sequence[Alert]:
    th, tx, src = state.th, a.tx, a.src
    if not th.reporting_threshold * (1 - th.structuring_band) <= tx.amount < th.reporting_threshold:
        return ()
    if src.near is None:
        src.near = deque()
    q, w = src.near, th.window_hours * 3600
    q.append(tx)
    while tx.ts - q[0].ts > w:
        q.popleft()
    if len(q) >= th.structuring_min_count and src.first_time(NAME):
        return [Alert(NAME, [tx.src], [t.tx_id for t in q], _score(len(q)), _evidence([t.amount for t in q], th))]
    return ()
