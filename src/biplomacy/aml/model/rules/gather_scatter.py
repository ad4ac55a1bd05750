"""gather_scatter: an account collects from several distinct payers and sends the money on to several distinct
payees, each payment out within a window of a payment in (AMLSim's gather-scatter and AMLworld's
"gather-scatter": a collection account that redistributes at once, the hub of a money-mule network).

Reads gather_scatter_min_counterparties (distinct payers and distinct payees, each), gather_scatter_window_hours
and gather_scatter_max_amount. A payer counts once one of its payments in is forwarded within the window, a
payee once it receives such a forward; both accumulate over the whole history. Raised once per account, when
both reach the minimum. Streaming: its transfers in of the forward window and the payers and payees counted.
Sources: IBM AMLSim (paramFiles/*/alertPatterns.csv, type gather_scatter); Altman et al., NeurIPS 2023 (AMLworld).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

from biplomacy.aml.model import graph, sender_paths
from biplomacy.aml.model.alerts import Alert
from biplomacy.aml.model.stream_state import Arrival, StreamState, forward_ins
from biplomacy.aml.model.thresholds import Thresholds
from biplomacy.aml.model.transactions import Transactions

NAME = "gather_scatter"
Seen = tuple[dict[str, str], dict[str, str]]  # payer -> its first forwarded tx in; payee -> its first tx out


def _add(seen: Seen, m: str, payer: str, payee: str, legs: tuple[str, str], th: Thresholds) -> Alert | None:
    payers, payees = seen
    payers.setdefault(payer, legs[0])
    payees.setdefault(payee, legs[1])
    k = th.gather_scatter_min_counterparties
    if len(payers) < k or len(payees) < k:
        return None
    return Alert(NAME, [m, *sorted(payers), *sorted(set(payees) - set(payers))],
                 sorted(set(payers.values()) | set(payees.values())),
                 min(1.0, 0.5 + 0.05 * (len(payers) + len(payees))),
                 {"payers": len(payers), "payees": len(payees), "window_hours": th.gather_scatter_window_hours})


def scan(tx: Transactions, th: Thresholds, _sanctioned: frozenset[str]) -> list[Alert]:
    tx = graph.at_most(tx, th.gather_scatter_max_amount)
    i, k = graph.forward_pairs(graph.build(tx), th.gather_scatter_window_hours * 3600)
    src, dst, ids = tx.src.tolist(), tx.dst.tolist(), tx.tx_id.tolist()
    return [alert for _, alert in walk(((src[p], dst[p], dst[q], ids[p], ids[q])
                                        for p, q in zip(i.tolist(), k.tolist(), strict=True)), th)]


def walk(paths: Iterable[sender_paths.Path], th: Thresholds) -> Iterator[tuple[int, Alert]]:
    """Counts paths (payer, intermediary, payee, tx in, tx out), in the order given, in each intermediary's
    state; yields (the raising path's place, its alert) once per intermediary. The cluster scan walks each
    bucket of intermediaries apart (aml/scan_chunks.py)."""
    seen: dict[str, Seen] = {}
    done: set[str] = set()
    for n, (payer, m, payee, t_in, t_out) in enumerate(paths):
        if m in done:
            continue
        alert = _add(seen.setdefault(m, ({}, {})), m, payer, payee, (t_in, t_out), th)
        if alert is not None:
            yield n, alert
            done.add(m)
            del seen[m]


def score(state: StreamState, a: Arrival) -> Sequence[Alert]:
    th, tx, m = state.th, a.tx, a.src
    if NAME in m.raised:
        return ()
    for i, _ in forward_ins(a, th.gather_scatter_window_hours, th.gather_scatter_max_amount):
        if m.reach is None:
            m.reach = {}
        alert = _add(m.reach.setdefault(NAME, ({}, {})), tx.src, i.src, tx.dst, (i.tx_id, tx.tx_id), th)
        if alert is not None and m.first_time(NAME):
            del m.reach[NAME]
            return [alert]
    return ()
