"""Taking one bad transfer back out of the streaming rules' state (an operator's quarantine).

The state is incremental: a transfer, once scored, sits in its accounts' windows, in pending forwards and peel
chains, and moves the stream's clock. A transfer dated 9999-12-31 moved the clock so far that every later
transfer was "too late", for good. Removing it takes it out of every window, pending entry and chain, forgets
what it set on its two accounts (last activity, neighbours first met through it) and sets the clock back to
the newest transfer still held. Windows that its arrival expired are not brought back (they were dropped);
alerts it raised stay stored, as evidence.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from biplomacy.aml.model.stream_state import Account, StreamState, Tx


@dataclass(frozen=True, slots=True)
class Removed:
    tx_id: str
    found: bool  # the transfer was still held somewhere in the state
    clock_before: float
    clock_after: float


def _without(q: deque[Tx] | None, tx_id: str) -> tuple[deque[Tx] | None, list[Tx]]:
    if not q:
        return q, []
    gone = [t for t in q if t.tx_id == tx_id]
    return (deque(t for t in q if t.tx_id != tx_id) if gone else q), gone


def _drop_counts(counts: dict[str, int] | None, names: list[str]) -> None:
    if counts is None:
        return
    for name in names:
        if counts.get(name, 0) > 1:
            counts[name] -= 1
        else:
            counts.pop(name, None)


def _clean(a: Account, tx_id: str) -> tuple[bool, float]:
    """Remove `tx_id` from one account; (found, newest timestamp still held by the account)."""
    found = False
    a.near, gone = _without(a.near, tx_id)
    found |= bool(gone)
    a.cyc_in, gone = _without(a.cyc_in, tx_id)
    found |= bool(gone)
    a.outs, gone = _without(a.outs, tx_id)
    _drop_counts(a.out_n, [t.dst for t in gone])
    found |= bool(gone)
    a.ins, gone = _without(a.ins, tx_id)
    _drop_counts(a.in_n, [t.src for t in gone])
    found |= bool(gone)
    if a.pending:
        kept = deque(p for p in a.pending if p.tx.tx_id != tx_id)
        found |= len(kept) != len(a.pending)
        for p in kept:
            chains = [c for c in p.chains if all(t.tx_id != tx_id for t in c)]
            if len(chains) != len(p.chains):
                found = True
                p.chains = chains or [(p.tx,)]
        a.pending = kept
    if a.last_tx == tx_id:
        a.last_ts, a.last_tx, found = None, "", True
    if a.nbrs:
        for other in [o for o, t in a.nbrs.items() if t == tx_id]:
            del a.nbrs[other]
            found = True
    newest = max((t.ts for q in (a.near, a.cyc_in, a.outs, a.ins) if q for t in q), default=float("-inf"))
    if a.pending:
        newest = max(newest, max(p.tx.ts for p in a.pending))
    if a.last_ts is not None:
        newest = max(newest, a.last_ts)
    return found, newest


def remove_transfer(state: StreamState, tx_id: str) -> Removed:
    """Take `tx_id` out of `state` (every account), and set the clock to the newest transfer still held."""
    before = state.clock
    found, newest = False, float("-inf")
    for name, account in state.accounts.items():
        hit, latest = _clean(account, tx_id)
        found |= hit
        newest = max(newest, latest)
        if name in state.active and latest > float("-inf"):
            state.active[name] = min(state.active[name], latest)
    state.clock = newest
    return Removed(tx_id, found, before, state.clock)
