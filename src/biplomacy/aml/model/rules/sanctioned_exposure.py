"""sanctioned_exposure: transfers with a sanctioned address, or within exposure_hops hops of one, in either
direction (OFAC's SDN list of digital-currency addresses and other lists). Each exposed account is raised
with its nearest sanctioned address and the transfer that reached it; the score is 1 / hops.

Reads exposure_hops and the sanctioned addresses. The batch raises each account once, at its final distance.
Streaming keeps, per account, its hop distance (<= exposure_hops) and nearest listed address, lowered as
transfers arrive, and its last NEIGHBOURS counterparties to pass a new distance on; an account whose
distance later shrinks is raised again with the shorter distance (docs/aml.md).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from biplomacy.aml.model import graph
from biplomacy.aml.model.alerts import Alert
from biplomacy.aml.model.stream_state import Arrival, StreamState
from biplomacy.aml.model.thresholds import Thresholds
from biplomacy.aml.model.transactions import Transactions

NAME = "sanctioned_exposure"
NEIGHBOURS = 256  # counterparties kept per account for passing on a sanctioned-exposure distance


def _alert(account: str, sanctioned: str, tx_id: str, hops: int) -> Alert:
    return Alert(NAME, [account, sanctioned], [tx_id], 1.0 / hops, {"sanctioned": sanctioned, "hops": hops})


def scan(tx: Transactions, th: Thresholds, sanctioned: frozenset[str]) -> list[Alert]:
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
        alerts.append(_alert(str(g.names[acct]), str(g.names[origin[acct]]), str(tx.tx_id[i]), int(dist[acct])))
    return sorted(alerts, key=lambda a: (a.accounts[1], a.accounts[0]))


def score(state: StreamState, a: Arrival) -> Sequence[Alert]:
    if not state.sanctioned:
        return ()
    tx = a.tx
    for acct, other in ((a.src, tx.dst), (a.dst, tx.src)):  # remember each other as counterparties
        if acct.nbrs is None:
            acct.nbrs = {}
        if other not in acct.nbrs:
            if len(acct.nbrs) >= NEIGHBOURS:
                del acct.nbrs[next(iter(acct.nbrs))]
            acct.nbrs[other] = tx.tx_id
    alerts: list[Alert] = []
    _relax(state, tx.src, tx.dst, tx.tx_id, alerts)
    _relax(state, tx.dst, tx.src, tx.tx_id, alerts)
    return alerts


def _distance(state: StreamState, name: str) -> tuple[int | None, str]:
    if name in state.sanctioned:
        return 0, name
    a = state.accounts.get(name)
    return (a.hops, a.origin) if a is not None else (None, "")


def _relax(state: StreamState, frm: str, to: str, via: str, alerts: list[Alert]) -> None:
    """If `frm` is exposed, `to` is within one more hop (through transfer `via`); pass a shorter distance on."""
    d, origin = _distance(state, frm)
    if d is None or d + 1 > state.th.exposure_hops or to in state.sanctioned:
        return
    acct = state.account(to)
    if acct.hops is not None and acct.hops <= d + 1:
        return
    acct.hops, acct.origin = d + 1, origin
    alerts.append(_alert(to, origin, via, d + 1))
    if d + 1 < state.th.exposure_hops and acct.nbrs:
        for other, first_tx in list(acct.nbrs.items()):
            _relax(state, to, other, first_tx, alerts)
