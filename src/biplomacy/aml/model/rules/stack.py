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

from biplomacy.aml.model import sender_paths
from biplomacy.aml.model.alerts import Alert
from biplomacy.aml.model.stream_state import Arrival, StreamState
from biplomacy.aml.model.thresholds import Thresholds
from biplomacy.aml.model.transactions import Transactions

NAME = "stack"
Seen = tuple[dict[str, str], dict[str, str]]  # intermediary -> its first tx in; end account -> its first tx in


def fresh() -> Seen:
    return {}, {}


def add(seen: Seen, a: str, m: str, b: str, legs: tuple[str, str], th: Thresholds) -> Alert | None:
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
    return sender_paths.scan(tx, th, th.stack_window_hours, th.stack_max_amount, fresh, add)


def score(state: StreamState, a: Arrival) -> Sequence[Alert]:
    th = state.th
    return sender_paths.score(state, a, NAME, th.stack_window_hours, th.stack_max_amount, fresh, add)
