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

from biplomacy.aml.model import sender_paths
from biplomacy.aml.model.alerts import Alert
from biplomacy.aml.model.stream_state import Arrival, StreamState
from biplomacy.aml.model.thresholds import Thresholds
from biplomacy.aml.model.transactions import Transactions

NAME = "scatter_gather"
Paths = dict[str, dict[str, tuple[str, str]]]  # receiver -> intermediary -> (tx in, tx out)


def add(paths: Paths, a: str, m: str, b: str, legs: tuple[str, str], th: Thresholds) -> Alert | None:
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
    return sender_paths.scan(tx, th, th.scatter_gather_window_hours, th.scatter_gather_max_amount, dict, add)


def score(state: StreamState, a: Arrival) -> Sequence[Alert]:
    th = state.th
    return sender_paths.score(state, a, NAME, th.scatter_gather_window_hours, th.scatter_gather_max_amount, dict, add)
