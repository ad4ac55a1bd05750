"""unordered_cycle: accounts that pay each other round in a ring of 3 to unordered_cycle_max_length accounts, every
leg within unordered_cycle_window_hours of the others but in any time order (IBM AMLSim's cycle typology as its
older public samples hold it: each leg is a burst on a step of its own, so money does not visibly travel round
in time order and the `cycles` rule, which follows it forward, cannot see the ring).

Reads unordered_cycle_max_length, unordered_cycle_window_hours and unordered_cycle_max_amount (legs of at most that
amount). Raised once per ring (its set of accounts), when the leg that closes it arrives: the ring's other legs
each have a transfer within the window before it. Off in the shipped thresholds (v3 `disabled`): on data with
exact times it adds nothing but noise to `cycles`; a calibration switches it on where labelled cases show rings.
Both forms replay the transfers in time order over the same record (per account, its latest transfer to each
payee), so batch and stream raise the same rings. Streaming keeps that record per account and the rings raised.
Source: IBM AMLSim (github.com/IBM/AMLSim, sample/20K_cycle200.tgz and paramFiles/*/alertPatterns.csv, type cycle).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from biplomacy.aml.model import graph
from biplomacy.aml.model.alerts import Alert
from biplomacy.aml.model.stream_state import Arrival, StreamState
from biplomacy.aml.model.thresholds import Thresholds
from biplomacy.aml.model.transactions import Transactions

NAME = "unordered_cycle"
MAX_STEPS = 20_000  # search steps per transfer, the same bound in both forms
Payees = dict[str, tuple[float, str]]  # payee -> (time, tx id) of the latest transfer to it


def _close(payees_of: Callable[[str], Payees | None], src: str, dst: str, ts: float, tx_id: str,
           th: Thresholds, raised: set[frozenset[str]]) -> list[Alert]:
    """The rings src -> dst -> ... -> src that the transfer closes (depth-first from dst, in the record's order)."""
    floor, most = ts - th.unordered_cycle_window_hours * 3600, th.unordered_cycle_max_length
    found: list[Alert] = []
    steps = 0
    path: list[tuple[str, str, str]] = [(src, dst, tx_id)]
    on_path = {src, dst}

    def walk(at: str) -> None:
        nonlocal steps
        for nxt, (when, tid) in list((payees_of(at) or {}).items()):
            steps += 1
            if steps > MAX_STEPS:
                return
            if when < floor:
                continue
            if nxt == src:
                ring = frozenset(on_path)
                if len(path) + 1 >= 3 and ring not in raised:
                    raised.add(ring)
                    legs = [*path, (at, nxt, tid)]
                    found.append(Alert(NAME, [a for a, _, _ in legs], [t for _, _, t in legs], 0.7,
                                       {"path": [f"{a}->{b}" for a, b, _ in legs], "order": "any",
                                        "window_hours": th.unordered_cycle_window_hours}))
                continue
            if nxt in on_path or len(path) + 1 >= most:
                continue
            path.append((at, nxt, tid))
            on_path.add(nxt)
            walk(nxt)
            path.pop()
            on_path.discard(nxt)

    walk(dst)
    return found


def scan(tx: Transactions, th: Thresholds, _sanctioned: frozenset[str]) -> list[Alert]:
    tx = graph.at_most(tx, th.unordered_cycle_max_amount)
    order = np.argsort(tx.ts, kind="stable")
    record: dict[str, Payees] = {}
    raised: set[frozenset[str]] = set()
    alerts: list[Alert] = []
    src, dst, ts, ids = tx.src.tolist(), tx.dst.tolist(), tx.ts.tolist(), tx.tx_id.tolist()
    for i in order.tolist():
        s, d = src[i], dst[i]
        if s == d:
            continue
        record.setdefault(s, {})[d] = (ts[i], ids[i])
        alerts += _close(record.get, s, d, ts[i], ids[i], th, raised)
    return alerts


def score(state: StreamState, a: Arrival) -> Sequence[Alert]:
    th, tx = state.th, a.tx
    if tx.src == tx.dst or tx.amount > th.unordered_cycle_max_amount:
        return ()
    if a.src.reach is None:
        a.src.reach = {}
    a.src.reach.setdefault(NAME, {})[tx.dst] = (tx.ts, tx.tx_id)
    rings = state.rings

    def payees_of(name: str) -> Payees | None:
        acct = state.accounts.get(name)
        return acct.reach.get(NAME) if acct is not None and acct.reach else None

    return _close(payees_of, tx.src, tx.dst, tx.ts, tx.tx_id, th, rings)
