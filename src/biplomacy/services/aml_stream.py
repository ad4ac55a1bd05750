"""Streaming AML: score one transaction at a time with the batch rules over a bounded window of recent state.

State, per process (lost on restart; one scorer per portal process): for each account, its most recent
PER_ACCOUNT transactions (in or out), and at most MAX_ACCOUNTS accounts, least recently seen dropped first.
A new transaction is scored by gathering the transactions within HOPS hops of its two accounts (at most
MAX_NEIGHBOURHOOD of them), running every rule of the registry on that neighbourhood, and keeping the alerts
that include the new transaction. So a pattern is raised when the transaction that completes it arrives;
patterns older than the window (an account's 65th transaction back, or an account evicted) are not seen.
"""

from __future__ import annotations

import threading
from collections import OrderedDict, deque
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np

from biplomacy.errors import InputError
from biplomacy.services.aml_scan import shipped_sanctions, thresholds
from biplomacy.supervision.aml.rules import RULES, Thresholds
from biplomacy.supervision.aml.transactions import Transactions

PER_ACCOUNT = 64
MAX_ACCOUNTS = 200_000
HOPS = 3
MAX_NEIGHBOURHOOD = 1_500
RECENT_IDS = 500_000


@dataclass(frozen=True)
class Tx:
    tx_id: str
    ts: float
    src: str
    dst: str
    amount: float
    asset: str
    vasp: str


class StreamScorer:
    """The bounded in-memory window and the scoring of one transaction against it (thread-safe)."""

    def __init__(self) -> None:
        self.th = thresholds()
        self.sanctioned = shipped_sanctions().addresses
        self.accounts: OrderedDict[str, deque[Tx]] = OrderedDict()
        self.ids: OrderedDict[str, None] = OrderedDict()
        self.lock = threading.Lock()
        self.scored = 0

    def _touch(self, acct: str) -> deque[Tx]:
        q = self.accounts.get(acct)
        if q is None:
            q = self.accounts[acct] = deque(maxlen=PER_ACCOUNT)
            if len(self.accounts) > MAX_ACCOUNTS:
                self.accounts.popitem(last=False)
        else:
            self.accounts.move_to_end(acct)
        return q

    def _neighbourhood(self, new: Tx) -> list[Tx]:
        seen: dict[str, Tx] = {new.tx_id: new}
        frontier, visited = {new.src, new.dst}, set()
        for _hop in range(HOPS):
            nxt: set[str] = set()
            for acct in frontier:
                visited.add(acct)
                for t in self.accounts.get(acct, ()):
                    if len(seen) >= MAX_NEIGHBOURHOOD:
                        return list(seen.values())
                    if t.tx_id not in seen:
                        seen[t.tx_id] = t
                    nxt.update((t.src, t.dst))
            frontier = nxt - visited
        return list(seen.values())

    def score(self, tx: Tx) -> dict[str, Any]:
        with self.lock:
            if tx.tx_id in self.ids:
                raise InputError(f"tx_id {tx.tx_id!r} was already scored", field="tx_id")
            rows = self._neighbourhood(tx)
            table = Transactions(np.asarray([r.tx_id for r in rows]), np.asarray([r.ts for r in rows]),
                                 np.asarray([r.src for r in rows]), np.asarray([r.dst for r in rows]),
                                 np.asarray([r.amount for r in rows]), np.asarray([r.asset for r in rows]),
                                 np.asarray([r.vasp for r in rows]), np.full(len(rows), -1))
            alerts = [a for name, rule in RULES if _may_fire(name, tx, self.th)
                      for a in rule(table, self.th, self.sanctioned) if tx.tx_id in a.transactions]
            self._touch(tx.src).append(tx)
            if tx.dst != tx.src:
                self._touch(tx.dst).append(tx)
            self.ids[tx.tx_id] = None
            if len(self.ids) > RECENT_IDS:
                self.ids.popitem(last=False)
            self.scored += 1
            return {"tx_id": tx.tx_id, "alerts": [a.as_dict() for a in alerts],
                    "score": max((a.score for a in alerts), default=0.0),
                    "window": {"neighbourhood": len(rows), "accounts": len(self.accounts), "scored": self.scored,
                               "per_account": PER_ACCOUNT, "max_accounts": MAX_ACCOUNTS, "hops": HOPS}}


def _may_fire(rule: str, tx: Tx, th: Thresholds) -> bool:
    """Skip a rule whose alert could not include this transaction (its amount cannot be part of the pattern)."""
    if rule == "structuring":
        return th.reporting_threshold * (1 - th.structuring_band) <= tx.amount < th.reporting_threshold
    if rule == "dormant_wake":
        return tx.amount >= th.dormant_min_amount
    return True


def make_tx(tx_id: str, at: datetime, src: str, dst: str, amount: float, asset: str, vasp: str) -> Tx:
    if at.tzinfo is None:
        raise InputError("timestamp needs a UTC offset", field="timestamp")
    return Tx(tx_id, at.timestamp(), src, dst, amount, asset, vasp)
