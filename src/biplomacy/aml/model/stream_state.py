"""What the streaming AML rules keep between transfers: per-account windows, so one transfer costs work
proportional to its two accounts' recent activity.

Each rule of rules/ reads and updates the part of an account it needs (its module says which); this module
holds the records (pickled as the scorer's snapshot: change them and raise stream_log.FORMAT), the arrival
of one transfer (the clock, its two accounts) and what every transfer leaves behind once the rules have
seen it: the transfers in that may still be forwarded (pass_through and peel_chain link to them), and the
windows of accounts untouched for longer than the longest window are dropped.

Transfers must arrive in time order (the rules see them as a batch scan of the same set would); one later
than the stream's clock by at most LATE_SECONDS is taken as if it had arrived at its time.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from biplomacy.aml.model.alerts import Alert
from biplomacy.aml.model.thresholds import Thresholds

LATE_SECONDS = 6 * 3600.0  # a transfer up to 6 h older than the latest is still scored (clocks, concurrent senders)
NONE_RAISED: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Tx:
    tx_id: str
    ts: float
    src: str
    dst: str
    amount: float
    asset: str
    vasp: str


class Pending:
    """A transfer into an account, kept for window_hours while it may still be forwarded."""

    __slots__ = ("tx", "pt_open", "peel_open", "chains")

    def __init__(self, tx: Tx, chains: list[tuple[Tx, ...]]):
        self.tx = tx
        self.pt_open = True  # not yet forwarded as a pass-through
        self.peel_open = True  # not yet forwarded as a peel hop
        self.chains = chains  # the peel chains that end with this transfer


class Account:
    """What the rules keep about one account; windows are created when first needed."""

    __slots__ = ("last_ts", "last_tx", "near", "outs", "out_n", "ins", "in_n", "pending", "cyc_in", "raised",
                 "hops", "origin", "nbrs", "fw_in", "b_out", "reach")

    def __init__(self) -> None:
        self.last_ts: float | None = None  # dormant_wake: its last activity
        self.last_tx = ""
        self.near: deque[Tx] | None = None  # structuring: near-threshold transfers sent
        self.outs: deque[Tx] | None = None  # fan_out: transfers out, and a count per counterparty
        self.out_n: dict[str, int] | None = None
        self.ins: deque[Tx] | None = None  # fan_in: transfers in, and a count per counterparty
        self.in_n: dict[str, int] | None = None
        self.pending: deque[Pending] | None = None  # pass_through, peel_chain: transfers in not yet forwarded
        self.cyc_in: deque[Tx] | None = None  # cycles: transfers in of the last cycle_window_hours
        self.raised: frozenset[str] = NONE_RAISED  # once-per-account rules already raised (shared while empty)
        self.hops: int | None = None  # sanctioned_exposure: distance to a sanctioned address, when within reach
        self.origin = ""
        self.nbrs: dict[str, str] | None = None  # counterparty -> first transfer with it
        self.fw_in: deque[tuple[Tx, int]] | None = None  # forward-pair rules: transfers in (and random's hops)
        self.b_out: deque[Tx] | None = None  # bipartite: transfers out within its window
        self.reach: dict[str, Any] | None = None  # per typology rule, what it has accumulated for this account

    def first_time(self, rule: str) -> bool:
        """True the first time `rule` is raised for this account (and remembers it)."""
        if rule in self.raised:
            return False
        self.raised = self.raised | {rule}
        return True

    def clear_windows(self) -> None:
        self.near = self.outs = self.ins = self.cyc_in = None
        self.out_n = self.in_n = None
        self.pending = None
        self.fw_in = None
        self.b_out = None

    def reached(self, rule: str) -> Any:
        """What `rule` accumulated for this account (created empty by the rule's `new`)."""
        return self.reach.get(rule) if self.reach else None


class Arrival:
    """One transfer being scored, with the state of its two accounts and the peel chains it continues."""

    __slots__ = ("tx", "src", "dst", "chains", "hops")

    def __init__(self, tx: Tx, src: Account, dst: Account):
        self.tx, self.src, self.dst = tx, src, dst
        self.chains: list[tuple[Tx, ...]] = []  # peel_chain fills it; the transfer's pending entry carries it
        self.hops = 1  # random fills it: the forwards in a row this transfer ends


def forward_ins(a: Arrival, window_hours: float, ceiling: float) -> list[tuple[Tx, int]]:
    """The transfers into the sender of `a` that `a` forwards within `window_hours` (ts_i < ts < ts_i + w), both of
    at most `ceiling`, neither a self-transfer, in arrival order: graph.forward_pairs' pairs ending with `a`."""
    tx, q = a.tx, a.src.fw_in
    if not q or tx.amount > ceiling or tx.src == tx.dst:
        return []
    w = window_hours * 3600
    return [(i, hops) for i, hops in q if i.ts < tx.ts <= i.ts + w and i.amount <= ceiling]


@dataclass(frozen=True)
class StateSize:
    """How much the state holds (GET /health of the streaming server)."""

    accounts: int
    active_accounts: int
    window_entries: int
    pending_forwards: int
    neighbour_entries: int
    scored: int


class StreamState:
    """Every rule's incremental state (not thread-safe: callers lock); apply() scores one transfer."""

    def __init__(self, th: Thresholds, sanctioned: frozenset[str]):
        self.th = th  # and its windows in seconds, read per transfer (set again when a saved state is loaded)
        self.sanctioned = sanctioned
        self.accounts: dict[str, Account] = {}
        self.active: OrderedDict[str, float] = OrderedDict()  # accounts with windows, least recently touched first
        self.clock = float("-inf")
        self.scored = 0
        self.rings: set[frozenset[str]] = set()  # unordered_cycle: the rings raised (their accounts)

    @property
    def th(self) -> Thresholds:
        return self._th

    @th.setter
    def th(self, th: Thresholds) -> None:
        self._th = th
        self._pending_keep = th.window_hours * 3600 + LATE_SECONDS
        self._forward_max, self._forward_keep = th.forward_max_amount(), th.forward_window_hours() * 3600 + LATE_SECONDS
        self._bipartite_keep = th.bipartite_window_hours * 3600 + LATE_SECONDS
        self._untouched = th.longest_window_hours() * 3600 + LATE_SECONDS

    def apply(self, tx: Tx, rules: Sequence[StreamRule]) -> list[Alert]:
        """Score `tx` with `rules` (streaming forms, in order), each of which also keeps what it needs of it;
        then the transfer joins its receiver's pending forwards, both accounts count as touched now, and
        windows gone stale are dropped. ValueError (nothing changes) when `tx` is too late to be scored."""
        if tx.ts < self.clock - LATE_SECONDS:
            raise ValueError(f"timestamp is {self.clock - tx.ts:.0f} s before the stream's latest transfer "
                             f"(at most {LATE_SECONDS:.0f} s late is accepted; scan older data in batch)")
        self.clock = max(self.clock, tx.ts)
        arrival = Arrival(tx, self.account(tx.src), self.account(tx.dst))
        alerts: list[Alert] = []
        for rule in rules:
            found = rule(self, arrival)
            if found:
                alerts.extend(found)
        dst = arrival.dst
        if tx.amount > 0:
            if dst.pending is None:
                dst.pending = deque()
            dst.pending.append(Pending(tx, arrival.chains or [(tx,)]))
            while tx.ts - dst.pending[0].tx.ts > self._pending_keep:
                dst.pending.popleft()
        if tx.src != tx.dst:
            self._keep_forward(arrival)
        for name in (tx.src, tx.dst):
            self.active[name] = tx.ts
            self.active.move_to_end(name)
        self._expire()
        self.scored += 1
        return alerts

    def _keep_forward(self, a: Arrival) -> None:
        """The transfer joins its receiver's transfers in (forward-pair rules) and its sender's transfers out
        (bipartite) while within their windows and amount ceilings."""
        tx = a.tx
        if tx.amount <= self._forward_max:
            q = a.dst.fw_in
            if q is None:
                q = a.dst.fw_in = deque()
            q.append((tx, a.hops))
            while tx.ts - q[0][0].ts > self._forward_keep:
                q.popleft()
        if tx.amount <= self._th.bipartite_max_amount:
            b = a.src.b_out
            if b is None:
                b = a.src.b_out = deque()
            b.append(tx)
            while tx.ts - b[0].ts > self._bipartite_keep:
                b.popleft()

    def account(self, name: str) -> Account:
        a = self.accounts.get(name)
        if a is None:
            a = self.accounts[name] = Account()
        return a

    def _expire(self) -> None:
        """Drop the windows of accounts untouched for longer than the longest window (their entries are stale)."""
        horizon = self.clock - self._untouched
        while self.active:
            name, seen = next(iter(self.active.items()))
            if seen >= horizon:
                break
            del self.active[name]
            self.accounts[name].clear_windows()

    def size(self) -> StateSize:
        windows = nbrs = pending = 0
        for a in self.accounts.values():
            windows += sum(len(q) for q in (a.near, a.outs, a.ins, a.cyc_in, a.fw_in, a.b_out) if q)
            pending += len(a.pending) if a.pending else 0
            nbrs += len(a.nbrs) if a.nbrs else 0
        return StateSize(len(self.accounts), len(self.active), windows, pending, nbrs, self.scored)


StreamRule = Callable[[StreamState, Arrival], Sequence[Alert]]  # a rule's streaming form: the alerts one transfer raises
