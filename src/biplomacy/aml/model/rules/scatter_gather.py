"""scatter_gather: one sender's money reaches one receiver through several distinct intermediaries, each
forwarding within a window (AMLSim's scatter-gather and AMLworld's "scatter-gather" laundering pattern: the
origin splits funds across mules that all pay the same beneficiary, so that no single path carries the sum).

Reads scatter_gather_min_paths (distinct intermediaries), scatter_gather_window_hours (each intermediary
forwards within it) and scatter_gather_max_amount (both legs at most that). A path A -> M -> B counts when
A, M and B are three accounts; paths are accumulated over the whole history (each within its window).
Raised once per sender A, when its paths to some receiver first reach the minimum. Streaming: each account's
transfers in of the forward window (stream_state.fw_in) and, per sender, its paths per receiver.
Sources: IBM AMLSim (github.com/IBM/AMLSim, paramFiles/*/alertPatterns.csv, type scatter_gather); Altman et al.,
"Realistic Synthetic Financial Transactions for Anti-Money Laundering Models", NeurIPS 2023 (AMLworld).
"""

from __future__ import annotations

from collections.abc import Sequence

from biplomacy.aml.model import graph
from biplomacy.aml.model.alerts import Alert
from biplomacy.aml.model.stream_state import Arrival, StreamState, forward_ins
from biplomacy.aml.model.thresholds import Thresholds
from biplomacy.aml.model.transactions import Transactions

NAME = "scatter_gather"
Paths = dict[str, dict[str, tuple[str, str]]]  # receiver -> intermediary -> (tx in, tx out)


def _add(paths: Paths, a: str, m: str, b: str, legs: tuple[str, str], th: Thresholds) -> Alert | None:
    """Count the path a -> m -> b; the alert when a's paths to b reach the minimum."""
    if a == b:
        return None
    via = paths.setdefault(b, {})
    if m in via:
        return None
    via[m] = legs
    if len(via) < th.scatter_gather_min_paths:
        return None
    return Alert(NAME, [a, b, *sorted(via)], [t for m_ in sorted(via) for t in via[m_]],
                 min(1.0, 0.5 + 0.1 * len(via)),
                 {"receiver": b, "intermediaries": len(via), "window_hours": th.scatter_gather_window_hours})


def scan(tx: Transactions, th: Thresholds, _sanctioned: frozenset[str]) -> list[Alert]:
    tx = graph.at_most(tx, th.scatter_gather_max_amount)
    i, k = graph.forward_pairs(graph.build(tx), th.scatter_gather_window_hours * 3600)
    src, dst, ids = tx.src.tolist(), tx.dst.tolist(), tx.tx_id.tolist()
    paths: dict[str, Paths] = {}
    done: set[str] = set()
    alerts: list[Alert] = []
    for p, q in zip(i.tolist(), k.tolist(), strict=True):
        a = src[p]
        if a in done:
            continue
        alert = _add(paths.setdefault(a, {}), a, dst[p], dst[q], (ids[p], ids[q]), th)
        if alert is not None:
            alerts.append(alert)
            done.add(a)
            del paths[a]
    return alerts


def score(state: StreamState, a: Arrival) -> Sequence[Alert]:
    th, tx = state.th, a.tx
    out: list[Alert] = []
    for i, _ in forward_ins(a, th.scatter_gather_window_hours, th.scatter_gather_max_amount):
        origin = state.account(i.src)
        if NAME in origin.raised:
            continue
        if origin.reach is None:
            origin.reach = {}
        alert = _add(origin.reach.setdefault(NAME, {}), i.src, tx.src, tx.dst, (i.tx_id, tx.tx_id), th)
        if alert is not None and origin.first_time(NAME):
            del origin.reach[NAME]
            out.append(alert)
    return out
