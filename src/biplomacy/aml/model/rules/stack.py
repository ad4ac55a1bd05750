"""stack: a sender's money fans out through several distinct intermediaries to several distinct accounts two
hops on, each forward within a window (AMLSim's "stack": layered bipartite transfers, layer one paying layer
two paying layer three; AMLworld names the same layering "stack").

Reads stack_min_accounts (distinct intermediaries and distinct end accounts, each), stack_window_hours and
stack_max_amount. A path A -> M -> B counts when A, M and B are three accounts; accumulated over the whole
history. Raised once per sender, when both reach the minimum. Streaming: each account's transfers in of the
forward window and, per sender, the intermediaries and end accounts counted.
Sources: IBM AMLSim (paramFiles/*/alertPatterns.csv, type stack); Altman et al., NeurIPS 2023 (AMLworld).
"""

from __future__ import annotations

from collections.abc import Sequence

from biplomacy.aml.model import graph
from biplomacy.aml.model.alerts import Alert
from biplomacy.aml.model.stream_state import Arrival, StreamState, forward_ins
from biplomacy.aml.model.thresholds import Thresholds
from biplomacy.aml.model.transactions import Transactions

NAME = "stack"
Seen = tuple[dict[str, str], dict[str, str]]  # intermediary -> its first tx in; end account -> its first tx in


def _add(seen: Seen, a: str, m: str, b: str, legs: tuple[str, str], th: Thresholds) -> Alert | None:
    if a == b:
        return None
    mids, ends = seen
    mids.setdefault(m, legs[0])
    ends.setdefault(b, legs[1])
    k = th.stack_min_accounts
    if len(mids) < k or len(ends) < k:
        return None
    return Alert(NAME, [a, *sorted(mids), *sorted(set(ends) - set(mids))],
                 sorted(set(mids.values()) | set(ends.values())),
                 min(1.0, 0.5 + 0.05 * (len(mids) + len(ends))),
                 {"intermediaries": len(mids), "end_accounts": len(ends), "window_hours": th.stack_window_hours})


def scan(tx: Transactions, th: Thresholds, _sanctioned: frozenset[str]) -> list[Alert]:
    tx = graph.at_most(tx, th.stack_max_amount)
    i, k = graph.forward_pairs(graph.build(tx), th.stack_window_hours * 3600)
    src, dst, ids = tx.src.tolist(), tx.dst.tolist(), tx.tx_id.tolist()
    seen: dict[str, Seen] = {}
    done: set[str] = set()
    alerts: list[Alert] = []
    for p, q in zip(i.tolist(), k.tolist(), strict=True):
        a = src[p]
        if a in done:
            continue
        alert = _add(seen.setdefault(a, ({}, {})), a, dst[p], dst[q], (ids[p], ids[q]), th)
        if alert is not None:
            alerts.append(alert)
            done.add(a)
            del seen[a]
    return alerts


def score(state: StreamState, a: Arrival) -> Sequence[Alert]:
    th, tx = state.th, a.tx
    out: list[Alert] = []
    for i, _ in forward_ins(a, th.stack_window_hours, th.stack_max_amount):
        origin = state.account(i.src)
        if NAME in origin.raised:
            continue
        if origin.reach is None:
            origin.reach = {}
        alert = _add(origin.reach.setdefault(NAME, ({}, {})), i.src, tx.src, tx.dst, (i.tx_id, tx.tx_id), th)
        if alert is not None and origin.first_time(NAME):
            del origin.reach[NAME]
            out.append(alert)
    return out
