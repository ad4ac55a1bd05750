"""The walk two rules share: each path A -> M -> B (B paid by M within the rule's window of M being paid by A,
both legs under the rule's amount ceiling) is counted in what the sender A has reached so far, and an alert is
raised once per sender. scatter_gather counts paths per receiver, stack distinct intermediaries and end accounts;
each rule gives its empty per-sender state and how one path is counted (`add`)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from biplomacy.aml.model import graph
from biplomacy.aml.model.alerts import Alert
from biplomacy.aml.model.stream_state import Arrival, StreamState, forward_ins
from biplomacy.aml.model.thresholds import Thresholds
from biplomacy.aml.model.transactions import Transactions

# (the sender's state, sender, intermediary, end account, (tx in, tx out), thresholds) -> the alert, once due
Add = Callable[[Any, str, str, str, tuple[str, str], Thresholds], Alert | None]


def scan(tx: Transactions, th: Thresholds, window_hours: float, ceiling: float, fresh: Callable[[], Any],
         add: Add) -> list[Alert]:
    """The batch form: every forward pair of the whole file, in time order."""
    tx = graph.at_most(tx, ceiling)
    i, k = graph.forward_pairs(graph.build(tx), window_hours * 3600)
    src, dst, ids = tx.src.tolist(), tx.dst.tolist(), tx.tx_id.tolist()
    return [alert for _, alert in walk(((src[p], dst[p], dst[q], ids[p], ids[q])
                                        for p, q in zip(i.tolist(), k.tolist(), strict=True)), th, fresh, add)]


Path = tuple[str, str, str, str, str]  # (sender, intermediary, end account, tx in, tx out)


def walk(paths: Iterable[Path], th: Thresholds, fresh: Callable[[], Any], add: Add) -> Iterator[tuple[int, Alert]]:
    """Counts paths, in the order given, in each sender's state; yields (the raising path's place, its alert)
    once per sender. The cluster scan walks each bucket of senders' paths apart (aml/scan_chunks.py)."""
    reached: dict[str, Any] = {}
    done: set[str] = set()
    for n, (a, m, b, t_in, t_out) in enumerate(paths):
        if a in done:
            continue
        if a not in reached:
            reached[a] = fresh()
        alert = add(reached[a], a, m, b, (t_in, t_out), th)
        if alert is not None:
            yield n, alert
            done.add(a)
            del reached[a]


def score(state: StreamState, a: Arrival, name: str, window_hours: float, ceiling: float, fresh: Callable[[], Any],
          add: Add) -> Sequence[Alert]:
    """The streaming form: the pairs that the arriving transfer `a` closes, counted in each sender's state."""
    tx = a.tx
    out: list[Alert] = []
    for i, _ in forward_ins(a, window_hours, ceiling):
        origin = state.account(i.src)
        if name in origin.raised:
            continue
        if origin.reach is None:
            origin.reach = {}
        if name not in origin.reach:
            origin.reach[name] = fresh()
        alert = add(origin.reach[name], i.src, tx.src, tx.dst, (i.tx_id, tx.tx_id), state.th)
        if alert is not None and origin.first_time(name):
            del origin.reach[name]
            out.append(alert)
    return out
