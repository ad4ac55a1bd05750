"""peel_chain: a chain of transfers in which each receiver soon forwards most of what it got and keeps
(peels off) a small part, hop after hop: the classic way to cash out a large sum through many fresh
addresses so that no single transfer stands out.

A chain has at least peel_min_hops transfers; each hop forwards between peel_min_ratio and peel_max_ratio of
the amount it received, within window_hours of receiving it. Reads peel_min_hops, peel_min_ratio,
peel_max_ratio and window_hours. Streaming reads each account's transfers in not yet forwarded (stream_state's
pending forwards, shared with pass_through) and carries the chains along each forward (at most MAX_CHAINS per
transfer); a chain is raised when it reaches peel_min_hops hops, with those hops (the batch alert, looking at
the finished set, lists the whole chain: docs/aml.md).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from biplomacy.aml.model import graph
from biplomacy.aml.model.alerts import Alert
from biplomacy.aml.model.stream_state import Arrival, StreamState, Tx
from biplomacy.aml.model.thresholds import Thresholds
from biplomacy.aml.model.transactions import Transactions

NAME = "peel_chain"
MAX_CHAINS = 8  # peel chains carried per pending transfer (several heads can run through one transfer)


def _alert(accounts: list[str], tx_ids: list[str], path: list[str], amounts: list[float], vasps: set[str]) -> Alert:
    return Alert(NAME, accounts, tx_ids, min(1.0, 0.5 + 0.1 * len(tx_ids)),
                 {"path": path, "amounts": amounts,
                  "peeled": [round(float(a - b), 8) for a, b in zip(amounts[:-1], amounts[1:], strict=True)],
                  "vasps": sorted(vasps - {""})})


def scan(tx: Transactions, th: Thresholds, _sanctioned: frozenset[str]) -> list[Alert]:
    g = graph.build(tx)
    nxt = graph.first_forward(g, tx.amount, th.window_hours * 3600, th.peel_min_ratio, th.peel_max_ratio)
    has_pred = np.zeros(len(tx), dtype=bool)
    has_pred[nxt[nxt >= 0]] = True
    # chain length by pointer doubling is not needed: chains are walked only from heads of long-enough chains
    hop = nxt.copy()
    for _ in range(th.peel_min_hops - 2):
        ok = hop >= 0
        hop[ok] = nxt[hop[ok]]
    alerts = []
    for start in np.flatnonzero((hop >= 0) & ~has_pred & (nxt >= 0)):
        chain = [int(start)]
        while nxt[chain[-1]] >= 0 and len(chain) <= len(tx):
            chain.append(int(nxt[chain[-1]]))
        if len(chain) < th.peel_min_hops:
            continue
        alerts.append(_alert([str(tx.src[chain[0]]), *[str(tx.dst[c]) for c in chain]], tx.tx_id[chain].tolist(),
                             [f"{tx.src[c]}->{tx.dst[c]}" for c in chain], tx.amount[chain].tolist(),
                             set(tx.vasp[chain].tolist())))
    return alerts


def score(state: StreamState, a: Arrival) -> Sequence[Alert]:
    """Link the transfer (out of its sender) to the pending transfers into the sender it is the first peel
    forward of; the chains it continues (or a new one starting at it) go with its own pending entry."""
    th, tx, q = state.th, a.tx, a.src.pending
    chains: list[tuple[Tx, ...]] = []
    if q:
        w = th.window_hours * 3600
        while q and tx.ts - q[0].tx.ts > w:
            q.popleft()
        for p in q:
            if p.tx.ts >= tx.ts or not p.peel_open:
                continue
            if th.peel_min_ratio <= tx.amount / p.tx.amount <= th.peel_max_ratio:
                p.peel_open = False
                for c in p.chains:
                    if len(chains) < MAX_CHAINS:
                        chains.append(c if len(c) >= th.peel_min_hops else (*c, tx))
    a.chains = chains
    if not chains:
        return ()
    return [_alert([c[0].src, *[t.dst for t in c]], [t.tx_id for t in c], [f"{t.src}->{t.dst}" for t in c],
                   [t.amount for t in c], {t.vasp for t in c})
            for c in chains if len(c) == th.peel_min_hops and c[-1] is tx]
