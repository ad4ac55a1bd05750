"""bipartite: two receivers paid by the same several senders, each sender paying both within a window (AMLSim's
and AMLworld's "bipartite": a group of origin accounts all paying the same group of beneficiaries, a dense
block no retail relationship produces).

Reads bipartite_min_shared (senders shared by the two receivers), bipartite_window_hours (a sender's two
payments within it) and bipartite_max_amount. Shared senders accumulate over the whole history. Raised once per
receiver pair whose receivers were not both raised before. Streaming: each account's transfers out of the
window (stream_state.b_out) and, per receiver pair (kept by the receiver whose name sorts first), its senders.
Sources: IBM AMLSim (paramFiles/*/alertPatterns.csv, type bipartite); Altman et al., NeurIPS 2023 (AMLworld).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

from biplomacy.aml.model import graph
from biplomacy.aml.model.alerts import Alert
from biplomacy.aml.model.stream_state import Arrival, StreamState
from biplomacy.aml.model.thresholds import Thresholds
from biplomacy.aml.model.transactions import Transactions

NAME = "bipartite"
Shared = dict[str, dict[str, tuple[str, str]]]  # other receiver -> sender -> (its two transfers)


def _add(shared: Shared, r1: str, r2: str, sender: str, legs: tuple[str, str], th: Thresholds) -> Alert | None:
    lo, hi = sorted((r1, r2))
    senders = shared.setdefault(hi, {})
    if sender in senders:
        return None
    senders[sender] = legs
    if len(senders) < th.bipartite_min_shared:
        return None
    return Alert(NAME, [lo, hi, *sorted(senders)], sorted({t for pair in senders.values() for t in pair}),
                 min(1.0, 0.5 + 0.1 * len(senders)),
                 {"receivers": [lo, hi], "shared_senders": len(senders), "window_hours": th.bipartite_window_hours})


def scan(tx: Transactions, th: Thresholds, _sanctioned: frozenset[str]) -> list[Alert]:
    tx = graph.at_most(tx, th.bipartite_max_amount)
    p, q = graph.sender_pairs(graph.build(tx), th.bipartite_window_hours * 3600)
    src, dst, ids = tx.src.tolist(), tx.dst.tolist(), tx.tx_id.tolist()
    pairs = ((dst[x], dst[y], src[y], ids[x], ids[y]) for x, y in zip(p.tolist(), q.tolist(), strict=True))
    return sweep(candidates(pairs, th))


Pair = tuple[str, str, str, str, str]  # (receiver of the first transfer, of the second, the sender, their ids)


def candidates(pairs: Iterable[Pair], th: Thresholds) -> Iterator[tuple[int, Alert]]:
    """Counts senders per receiver pair, in the order given; yields (place, alert) where a pair first reaches the
    minimum. Whether it is raised depends on the alerts before it (`sweep`); a pair's counts do not until both its
    receivers are raised, after which it can raise nothing, so the receiver pairs can be counted apart (the
    cluster scan counts each bucket of first receivers in its own task, aml/scan_chunks.py)."""
    shared: dict[str, Shared] = {}
    done: set[tuple[str, str]] = set()
    for n, (r1, r2, sender, t1, t2) in enumerate(pairs):
        if r1 == r2:
            continue
        key = (r1, r2) if r1 < r2 else (r2, r1)
        if key in done:
            continue
        alert = _add(shared.setdefault(key[0], {}), r1, r2, sender, (t1, t2), th)
        if alert is not None:
            done.add(key)
            del shared[key[0]][key[1]]
            yield n, alert


def sweep(found: Iterable[tuple[object, Alert]]) -> list[Alert]:
    """The candidates, in order, raised unless both receivers were raised by an earlier alert."""
    raised: set[str] = set()
    alerts: list[Alert] = []
    for _, alert in found:
        r1, r2 = alert.accounts[0], alert.accounts[1]
        if r1 in raised and r2 in raised:
            continue
        alerts.append(alert)
        raised |= {r1, r2}
    return alerts


def score(state: StreamState, a: Arrival) -> Sequence[Alert]:
    th, tx = state.th, a.tx
    sent = a.src.b_out
    if not sent or tx.amount > th.bipartite_max_amount or tx.src == tx.dst:
        return ()
    w = th.bipartite_window_hours * 3600
    out: list[Alert] = []
    for o in list(sent):
        if not o.ts < tx.ts <= o.ts + w or o.dst == tx.dst:
            continue
        first, other = state.account(min(o.dst, tx.dst)), state.account(max(o.dst, tx.dst))
        if NAME in first.raised and NAME in other.raised:
            continue
        if first.reach is None:
            first.reach = {}
        alert = _add(first.reach.setdefault(NAME, {}), o.dst, tx.dst, tx.src, (o.tx_id, tx.tx_id), th)
        if alert is not None:
            first.first_time(NAME)
            other.first_time(NAME)
            out.append(alert)
    return out
