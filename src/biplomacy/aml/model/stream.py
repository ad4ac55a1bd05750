"""The batch AML rules as incremental state: score one transfer in work proportional to its accounts' recent activity.

Each rule of rules.py keeps what it needs per account, and a transfer updates only the state of its two
accounts (and, for sanctioned exposure, their direct counterparties):

- structuring, fan_out, fan_in: rolling windows of window_hours per account (near-threshold amounts sent;
  counterparties paid; counterparties paying) with distinct-counterparty counts; raised once per account,
  when the window first holds the pattern, as the batch rule does;
- pass_through and peel_chain: each account's transfers in of the last window_hours that have not yet been
  forwarded; a transfer out links to those it forwards (the first forward of each, in time order, as the
  batch first_forward); peel chains are carried along the links and raised when they reach peel_min_hops;
- cycles: each account's transfers in of the last cycle_window_hours; a transfer closing a time-respecting
  path of 3..cycle_max_length transfers back to its first sender is found by a backward search;
- sanctioned_exposure: the hop distance to a sanctioned address per account (<= exposure_hops), lowered as
  transfers arrive, with each account's counterparties (at most NEIGHBOURS) to pass a new distance on;
- dormant_wake: each account's last activity.

Transfers must arrive in time order (the rules see them as a batch scan of the same set would); one later
than the stream's clock by at most LATE_SECONDS is taken as if it had arrived at its time.
Deliberate differences from a batch scan of the same transfers (docs/aml.md): a peel chain is raised when it
reaches peel_min_hops hops, with those hops (the batch alert, looking at the finished set, lists the whole
chain); a pass-through is raised with the first forward that completes it (the batch alert names the
earliest transfer in that is ever forwarded: they differ only when a later transfer out forwards an earlier
transfer in); an account whose sanctioned-exposure distance later shrinks is raised again with the shorter
distance; self-transfers (from_account == to_account) are left out of cycle search.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from dataclasses import dataclass

from biplomacy.aml.model.rules import Alert, Thresholds

NEIGHBOURS = 256  # counterparties kept per account for passing on a sanctioned-exposure distance
MAX_CHAINS = 8  # peel chains carried per pending transfer (several heads can run through one transfer)
MAX_CYCLE_STEPS = 20_000  # backward-search steps per transfer (an account with thousands of recent payers)
NONE_RAISED: frozenset[str] = frozenset()
LATE_SECONDS = 6 * 3600.0  # a transfer up to 6 h older than the latest is still scored (clocks, concurrent senders)


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
        self.pt_open = True
        self.peel_open = True
        self.chains = chains


class Account:
    """What the rules keep about one account; windows are created when first needed."""

    __slots__ = ("last_ts", "last_tx", "near", "outs", "out_n", "ins", "in_n", "pending", "cyc_in", "raised",
                 "hops", "origin", "nbrs")

    def __init__(self) -> None:
        self.last_ts: float | None = None
        self.last_tx = ""
        self.near: deque[Tx] | None = None
        self.outs: deque[Tx] | None = None
        self.out_n: dict[str, int] | None = None
        self.ins: deque[Tx] | None = None
        self.in_n: dict[str, int] | None = None
        self.pending: deque[Pending] | None = None
        self.cyc_in: deque[Tx] | None = None
        self.raised: frozenset[str] = NONE_RAISED  # once-per-account rules already raised (shared while empty)
        self.hops: int | None = None  # distance to a sanctioned address, when within exposure_hops
        self.origin = ""
        self.nbrs: dict[str, str] | None = None  # counterparty -> first transfer with it

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


class StreamState:
    """Every rule's incremental state, and the scoring of one transfer (not thread-safe: callers lock)."""

    def __init__(self, th: Thresholds, sanctioned: frozenset[str]):
        self.th = th
        self.sanctioned = sanctioned
        self.accounts: dict[str, Account] = {}
        self.active: OrderedDict[str, float] = OrderedDict()  # accounts with windows, least recently touched first
        self.clock = float("-inf")
        self.scored = 0

    # -- the entry point ------------------------------------------------------------------------------------
    def apply(self, tx: Tx) -> list[Alert]:
        """Score `tx` against the state, then add it to the state. Returns the alerts it raises."""
        if tx.ts < self.clock - LATE_SECONDS:
            raise ValueError(f"timestamp is {self.clock - tx.ts:.0f} s before the stream's latest transfer "
                             f"(at most {LATE_SECONDS:.0f} s late is accepted; scan older data in batch)")
        th = self.th
        self.clock = max(self.clock, tx.ts)
        src, dst = self._acct(tx.src), self._acct(tx.dst)
        alerts: list[Alert] = []
        self._dormant(tx, src, alerts)
        self._structuring(tx, src, alerts)
        self._fan(tx, src, alerts, outgoing=True)
        self._fan(tx, dst, alerts, outgoing=False)
        chains = self._forwards(tx, src, alerts)
        if tx.src != tx.dst:
            self._cycles(tx, alerts)
        self._exposure(tx, src, dst, alerts)
        # the transfer joins its receiver's windows
        if tx.amount > 0:
            if dst.pending is None:
                dst.pending = deque()
            dst.pending.append(Pending(tx, chains))
            while tx.ts - dst.pending[0].tx.ts > th.window_hours * 3600 + LATE_SECONDS:
                dst.pending.popleft()
        if dst.cyc_in is None:
            dst.cyc_in = deque()
        dst.cyc_in.append(tx)
        while tx.ts - dst.cyc_in[0].ts > th.cycle_window_hours * 3600 + LATE_SECONDS:
            dst.cyc_in.popleft()
        for a, name in ((src, tx.src), (dst, tx.dst)):
            if a.last_ts is None or tx.ts >= a.last_ts:  # a late transfer does not move the last activity back
                a.last_ts, a.last_tx = tx.ts, tx.tx_id
            self.active[name] = tx.ts
            self.active.move_to_end(name)
        self._expire()
        self.scored += 1
        return alerts

    def _acct(self, name: str) -> Account:
        a = self.accounts.get(name)
        if a is None:
            a = self.accounts[name] = Account()
        return a

    def _expire(self) -> None:
        """Drop the windows of accounts untouched for longer than the longest window (their entries are stale)."""
        horizon = self.clock - max(self.th.window_hours, self.th.cycle_window_hours) * 3600 - LATE_SECONDS
        while self.active:
            name, seen = next(iter(self.active.items()))
            if seen >= horizon:
                break
            del self.active[name]
            self.accounts[name].clear_windows()

    # -- the rules ------------------------------------------------------------------------------------------
    def _dormant(self, tx: Tx, src: Account, alerts: list[Alert]) -> None:
        th = self.th
        if src.last_ts is None or tx.amount < th.dormant_min_amount:
            return
        gap = tx.ts - src.last_ts
        if gap >= th.dormant_days * 86400:
            days = gap / 86400
            alerts.append(Alert("dormant_wake", [tx.src, tx.dst], [tx.tx_id], min(1.0, 0.5 + 0.25 * days / th.dormant_days),
                                {"silent_days": round(days, 1), "amount": tx.amount,
                                 "previous_activity_tx": src.last_tx}))

    def _structuring(self, tx: Tx, src: Account, alerts: list[Alert]) -> None:
        th = self.th
        if not th.reporting_threshold * (1 - th.structuring_band) <= tx.amount < th.reporting_threshold:
            return
        if src.near is None:
            src.near = deque()
        q, w = src.near, th.window_hours * 3600
        q.append(tx)
        while tx.ts - q[0].ts > w:
            q.popleft()
        if len(q) >= th.structuring_min_count and src.first_time("structuring"):
            alerts.append(Alert("structuring", [tx.src], [t.tx_id for t in q], min(1.0, 0.5 + 0.1 * len(q)),
                                {"amounts": [t.amount for t in q], "threshold": th.reporting_threshold}))

    def _fan(self, tx: Tx, own: Account, alerts: list[Alert], outgoing: bool) -> None:
        th = self.th
        name = "fan_out" if outgoing else "fan_in"
        if outgoing:
            if own.outs is None or own.out_n is None:
                own.outs, own.out_n = deque(), {}
            q, counts = own.outs, own.out_n
        else:
            if own.ins is None or own.in_n is None:
                own.ins, own.in_n = deque(), {}
            q, counts = own.ins, own.in_n
        other = tx.dst if outgoing else tx.src
        q.append(tx)
        counts[other] = counts.get(other, 0) + 1
        w = th.window_hours * 3600
        while tx.ts - q[0].ts > w:
            old = q.popleft()
            o = old.dst if outgoing else old.src
            counts[o] -= 1
            if not counts[o]:
                del counts[o]
        if len(counts) >= th.fan_min_counterparties and own.first_time(name):
            acct = tx.src if outgoing else tx.dst
            alerts.append(Alert(name, [acct, *sorted(counts)], [t.tx_id for t in q],
                                min(1.0, len(counts) / (2 * th.fan_min_counterparties) + 0.4),
                                {"counterparties": len(counts), "window_hours": th.window_hours}))

    def _forwards(self, tx: Tx, src: Account, alerts: list[Alert]) -> list[tuple[Tx, ...]]:
        """Link `tx` (out of src) to the pending transfers into src it is the first forward of: pass-through
        (pass_through_min_ratio..1.0 of the amount) and peel (peel_min_ratio..peel_max_ratio). Returns the peel
        chains `tx` continues (or a new chain starting at it)."""
        th = self.th
        w = th.window_hours * 3600
        q = src.pending
        chains: list[tuple[Tx, ...]] = []
        if q:
            while q and tx.ts - q[0].tx.ts > w:
                q.popleft()
            first_in: Pending | None = None
            for p in q:
                if p.tx.ts >= tx.ts:
                    continue
                ratio = tx.amount / p.tx.amount
                if p.pt_open and th.pass_through_min_ratio <= ratio <= 1.0 and p.tx.amount >= th.pass_through_min_amount:
                    p.pt_open = False
                    if first_in is None:
                        first_in = p
                if p.peel_open and th.peel_min_ratio <= ratio <= th.peel_max_ratio:
                    p.peel_open = False
                    for c in p.chains:
                        if len(chains) < MAX_CHAINS:
                            chains.append(c if len(c) >= th.peel_min_hops else (*c, tx))
            if first_in is not None and src.first_time("pass_through"):
                i, ratio = first_in.tx, tx.amount / first_in.tx.amount
                alerts.append(Alert("pass_through", [i.src, i.dst, tx.dst], [i.tx_id, tx.tx_id],
                                    0.6 + 0.3 * ratio - 0.2 * (ratio == 1.0),
                                    {"hours": round((tx.ts - i.ts) / 3600, 2), "ratio": round(ratio, 4),
                                     "vasps": sorted({i.vasp, tx.vasp} - {""})}))
        for c in chains:
            if len(c) == th.peel_min_hops and c[-1] is tx:
                alerts.append(_peel_alert(c))
        return chains or [(tx,)]

    def _cycles(self, tx: Tx, alerts: list[Alert]) -> None:
        """Paths p0..pn = tx of 3..cycle_max_length transfers, each leaving the previous one's receiver later,
        all within cycle_window_hours of p0, with dst(tx) == src(p0) and no sender twice."""
        th = self.th
        w, target = th.cycle_window_hours * 3600, tx.dst
        steps = 0
        found: list[list[Tx]] = []

        def back(path: list[Tx], senders: set[str]) -> None:
            nonlocal steps
            head = path[-1]
            q = self.accounts[head.src].cyc_in if head.src in self.accounts else None
            if not q:
                return
            for p in reversed(q):
                steps += 1
                if steps > MAX_CYCLE_STEPS or tx.ts - p.ts > w:
                    return
                if p.ts >= head.ts or p.src == p.dst:
                    continue
                if p.src == target:
                    if len(path) + 1 >= 3:
                        found.append([p, *reversed(path)])
                    continue
                if p.src in senders or len(path) + 1 >= th.cycle_max_length:
                    continue
                senders.add(p.src)
                path.append(p)
                back(path, senders)
                path.pop()
                senders.discard(p.src)

        back([tx], {tx.src})
        for path in sorted(found, key=lambda p: [t.tx_id for t in p]):
            vasps = sorted({t.vasp for t in path} - {""})
            cross = len(vasps) > 1
            alerts.append(Alert("cross_vasp_cycle" if cross else "cycle", [path[0].src, *[t.dst for t in path[:-1]]],
                                [t.tx_id for t in path], 0.9 if cross else 0.7,
                                {"path": [f"{t.src}->{t.dst}" for t in path], "vasps": vasps}))

    def _exposure(self, tx: Tx, src: Account, dst: Account, alerts: list[Alert]) -> None:
        if not self.sanctioned:
            return
        for a, other in ((src, tx.dst), (dst, tx.src)):  # remember each other as counterparties
            if a.nbrs is None:
                a.nbrs = {}
            if other not in a.nbrs:
                if len(a.nbrs) >= NEIGHBOURS:
                    del a.nbrs[next(iter(a.nbrs))]
                a.nbrs[other] = tx.tx_id
        self._relax(tx.src, tx.dst, tx.tx_id, alerts)
        self._relax(tx.dst, tx.src, tx.tx_id, alerts)

    def _distance(self, name: str) -> tuple[int | None, str]:
        if name in self.sanctioned:
            return 0, name
        a = self.accounts.get(name)
        return (a.hops, a.origin) if a is not None else (None, "")

    def _relax(self, frm: str, to: str, via: str, alerts: list[Alert]) -> None:
        """If `frm` is exposed, `to` is within one more hop (through transfer `via`); pass a shorter distance on."""
        d, origin = self._distance(frm)
        if d is None or d + 1 > self.th.exposure_hops or to in self.sanctioned:
            return
        acct = self._acct(to)
        if acct.hops is not None and acct.hops <= d + 1:
            return
        acct.hops, acct.origin = d + 1, origin
        alerts.append(Alert("sanctioned_exposure", [to, origin], [via], 1.0 / (d + 1),
                            {"sanctioned": origin, "hops": d + 1}))
        if d + 1 < self.th.exposure_hops and acct.nbrs:
            for other, first_tx in list(acct.nbrs.items()):
                self._relax(to, other, first_tx, alerts)

    # -- what is kept -----------------------------------------------------------------------------------------
    def size(self) -> dict[str, int]:
        windows = nbrs = pending = 0
        for a in self.accounts.values():
            windows += sum(len(q) for q in (a.near, a.outs, a.ins, a.cyc_in) if q)
            pending += len(a.pending) if a.pending else 0
            nbrs += len(a.nbrs) if a.nbrs else 0
        return {"accounts": len(self.accounts), "active_accounts": len(self.active), "window_entries": windows,
                "pending_forwards": pending, "neighbour_entries": nbrs, "scored": self.scored}


def _peel_alert(chain: tuple[Tx, ...]) -> Alert:
    amounts = [t.amount for t in chain]
    return Alert("peel_chain", [chain[0].src, *[t.dst for t in chain]], [t.tx_id for t in chain],
                 min(1.0, 0.5 + 0.1 * len(chain)),
                 {"path": [f"{t.src}->{t.dst}" for t in chain], "amounts": amounts,
                  "peeled": [round(a - b, 8) for a, b in zip(amounts[:-1], amounts[1:], strict=True)],
                  "vasps": sorted({t.vasp for t in chain} - {""})})
