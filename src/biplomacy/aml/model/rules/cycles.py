"""cycle and cross_vasp_cycle: funds that come back to where they started through 2-4 other accounts, in time
order within a window (round-tripping, FATF's layering typologies). A cycle through more than one VASP is
only visible to a supervisor who joins their flows, and is raised as cross_vasp_cycle with a higher score:
the same search, so both live here (registered as "cycles").

A cycle is a path of 3..cycle_max_length transfers, each leaving the previous one's receiver later, all
within cycle_window_hours of the first, ending at the first sender and visiting no account twice, each of at
most cycle_max_amount (AMLSim's cycles move amounts far below the data set's usual ones). Reads
cycle_max_length, cycle_window_hours and cycle_max_amount. Source: AMLSim's and AMLworld's cycle typology. Streaming keeps each account's transfers in of the last
cycle_window_hours; a transfer closing a cycle finds it by a backward search of at most MAX_CYCLE_STEPS
steps; self-transfers (from_account == to_account) are left out of the search (docs/aml.md).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence

from biplomacy.aml.model import graph
from biplomacy.aml.model.alerts import Alert
from biplomacy.aml.model.stream_state import LATE_SECONDS, Arrival, StreamState, Tx
from biplomacy.aml.model.thresholds import Thresholds
from biplomacy.aml.model.transactions import Transactions

MAX_CYCLE_STEPS = 20_000  # backward-search steps per transfer (an account with thousands of recent payers)


def _alert(accounts: list[str], tx_ids: list[str], path: list[str], vasps: list[str]) -> Alert:
    cross = len(vasps) > 1
    return Alert("cross_vasp_cycle" if cross else "cycle", accounts, tx_ids, 0.9 if cross else 0.7,
                 {"path": path, "vasps": vasps})


def scan(tx: Transactions, th: Thresholds, _sanctioned: frozenset[str]) -> list[Alert]:
    tx = graph.at_most(tx, th.cycle_max_amount)
    g = graph.build(tx)
    alerts, seen = [], set()
    for path in graph.time_paths(g, tx.ts, th.cycle_window_hours * 3600, th.cycle_max_length):
        key = frozenset(path.tolist())
        if key in seen:
            continue
        seen.add(key)
        alerts.append(_alert([str(tx.src[path[0]]), *[str(tx.dst[p]) for p in path[:-1]]], tx.tx_id[path].tolist(),
                             [f"{tx.src[p]}->{tx.dst[p]}" for p in path], sorted(set(tx.vasp[path].tolist()) - {""})))
    return sorted(alerts, key=lambda a: (a.accounts[0], a.transactions))


def score(state: StreamState, a: Arrival) -> Sequence[Alert]:
    """Paths p0..pn = tx of 3..cycle_max_length transfers, each leaving the previous one's receiver later,
    all within cycle_window_hours of p0, with dst(tx) == src(p0) and no sender twice; then the transfer joins
    its receiver's transfers in of the last cycle_window_hours."""
    th, accounts, tx = state.th, state.accounts, a.tx
    if tx.amount > th.cycle_max_amount:
        return ()
    w, target = th.cycle_window_hours * 3600, tx.dst
    steps = 0
    found: list[list[Tx]] = []

    def back(path: list[Tx], senders: set[str]) -> None:
        nonlocal steps
        head = path[-1]
        q = accounts[head.src].cyc_in if head.src in accounts else None
        if not q:
            return
        for p in reversed(q):
            steps += 1
            if steps > MAX_CYCLE_STEPS or tx.ts - p.ts > w:
                return
            if p.ts >= head.ts or p.src == p.dst:
                continue
            if p.src == target:
                if len(path) + 1 >= 3:
                    found.append([p, *reversed(path)])
                continue
            if p.src in senders or len(path) + 1 >= th.cycle_max_length:
                continue
            senders.add(p.src)
            path.append(p)
            back(path, senders)
            path.pop()
            senders.discard(p.src)

    if tx.src != tx.dst:
        back([tx], {tx.src})
    dst = a.dst
    if dst.cyc_in is None:
        dst.cyc_in = deque()
    dst.cyc_in.append(tx)
    while tx.ts - dst.cyc_in[0].ts > w + LATE_SECONDS:
        dst.cyc_in.popleft()
    if not found:
        return ()
    return [_alert([path[0].src, *[t.dst for t in path[:-1]]], [t.tx_id for t in path],
                   [f"{t.src}->{t.dst}" for t in path], sorted({t.vasp for t in path} - {""}))
            for path in sorted(found, key=lambda p: [t.tx_id for t in p])]
