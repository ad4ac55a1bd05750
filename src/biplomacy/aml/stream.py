"""Streaming AML: score one transfer at a time with every rule's streaming form (model/rules/, model/stream_state.py).

One StreamScorer per state directory (the portal's under its var dir; `biplomacy supervise aml serve --state
DIR` for the lean loopback server). With a directory, the state survives a restart (stream_log.py):
every alert is fsynced to alerts.jsonl before the response that carries it, and the response says `stored:
false` with the reason when it could not be; without one (tests, benchmarks) the state lives in memory only.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import fields, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from biplomacy.aml.learned import learned_alert
from biplomacy.aml.model.alerts import Alert
from biplomacy.aml.model.features import LEARNED, TraitBook
from biplomacy.aml.model.rules import streaming
from biplomacy.aml.model.stream_quarantine import Removed, remove_transfer
from biplomacy.aml.model.stream_state import StreamState, Tx
from biplomacy.aml.results import Scored, ScorerSize, StreamWindow
from biplomacy.aml.scan import shipped_sanctions, thresholds
from biplomacy.aml.stream_log import StreamLog
from biplomacy.core.errors import InputError

if TYPE_CHECKING:
    from biplomacy.aml.profiles import Loaded

RECENT_IDS = 1_000_000  # tx ids remembered to refuse a transfer scored twice
SNAPSHOT_EVERY = 1_000_000  # transfers between snapshots (the log replayed on start is at most this long)
# A transfer dated further ahead of now is refused: one transfer dated 9999-12-31 once moved the stream's clock
# so far that every later transfer was "too late", for good. Settings.aml_future_seconds (default 600 s, an
# assumption: clocks kept by NTP differ by well under a second; 10 minutes leaves room for a badly set one).
FUTURE_SECONDS = 600.0
QUARANTINE = "quarantine.jsonl"


class StreamScorer:
    """The rules' incremental state, its persistence, and the scoring of one transfer (thread-safe)."""

    def __init__(self, state_dir: Path | None = None, *, snapshot_every: int = SNAPSHOT_EVERY,
                 profile: Loaded | None = None, future_seconds: float = FUTURE_SECONDS,
                 clock: Callable[[], float] = time.time) -> None:
        self.lock = threading.Lock()
        self.future_seconds, self.clock = future_seconds, clock
        self.state_dir = state_dir
        th = profile.profile.thresholds if profile is not None else thresholds()
        self.profile_version = profile.profile.version if profile is not None else th.version
        self.rules = streaming(th)
        self.learned = profile.scorer if profile is not None else None
        self.traits = TraitBook(profile.profile.amount_grid) if profile is not None and self.learned else None
        self.snapshot_every = snapshot_every
        self.since_snapshot = 0
        self.log = StreamLog(state_dir) if state_dir is not None else None
        self.ids: set[str] = set()
        self.id_order: deque[str] = deque()
        self.state = StreamState(th, shipped_sanctions().addresses)
        self.replayed = 0
        if self.log is not None:
            try:
                saved, replay = self.log.load()
            except BaseException:
                self.log.close()
                raise
            if saved is not None:  # today's profile and sanctions list apply from now on
                fresh, (self.state, order) = self.state, (saved["rules"], saved["ids"])
                self.state.th, self.state.sanctioned = fresh.th, fresh.sanctioned
                self.id_order = deque(order)
                self.ids = set(order)
                if self.traits is not None and isinstance(saved.get("traits"), TraitBook):
                    self.traits.of = saved["traits"].of
            for tx in replay:  # their alerts were stored when first raised
                self._apply(tx)
                self._remember(tx.tx_id)
                self.replayed += 1
                self.since_snapshot += 1

    def _apply(self, tx: Tx) -> list[Alert]:
        """The rules' alerts on `tx`, then (with a learned scorer) its two accounts' features brought up to date
        and a learned alert for each that first reaches the model's threshold; each alert names the profile."""
        alerts = self.state.apply(tx, self.rules)
        if self.traits is not None and self.learned is not None:
            pair = self.traits.update(tx.ts, tx.src, tx.dst, tx.amount, alerts)
            accounts, predict = self.state.accounts, self.learned.predict_one
            for name, traits in zip((tx.src, tx.dst) if tx.src != tx.dst else (tx.src,), pair, strict=False):
                account = accounts[name]  # apply() has made it
                if LEARNED in account.raised:  # raised once: its score is not needed again
                    continue
                row = traits.vector()
                p = predict(row)
                if p >= self.learned.threshold and account.first_time(LEARNED):
                    rules = [a.rule for a in alerts if name in a.accounts]
                    alerts.append(learned_alert(name, p, self.learned.explain(np.asarray(row)), rules,
                                                self.learned.threshold))
        return [replace(a, profile=self.profile_version) for a in alerts] if alerts else alerts

    def _remember(self, tx_id: str) -> None:
        self.ids.add(tx_id)
        self.id_order.append(tx_id)
        if len(self.id_order) > RECENT_IDS:
            self.ids.discard(self.id_order.popleft())

    def score(self, tx: Tx, *, sync: bool = True) -> Scored:
        """Score and keep `tx`. With sync=False an answer with alerts and `stored: true` must wait for
        sync_alerts() (which an event loop can run in a thread while it serves other requests)."""
        with self.lock:
            if tx.tx_id in self.ids:
                raise InputError(f"tx_id {tx.tx_id!r} was already scored (its alerts, if any, are stored)",
                                 field="tx_id")
            ahead = tx.ts - self.clock()
            if ahead > self.future_seconds:
                raise InputError(f"timestamp is {ahead:.0f} s in the future (at most {self.future_seconds:.0f} s "
                                 "ahead of this server's clock is accepted)", field="timestamp")
            try:
                alerts = self._apply(tx)
            except ValueError as exc:
                raise InputError(f"timestamp: {exc}", field="timestamp") from None
            self._remember(tx.tx_id)
            stored, problem = self.log is not None, ""
            if self.log is not None:
                try:
                    self.log.append(tx, alerts, sync=sync)
                    self.since_snapshot += 1
                    if self.since_snapshot >= self.snapshot_every:
                        self.log.snapshot(self._saved())
                        self.since_snapshot = 0
                except OSError as exc:
                    stored, problem = False, f"the state directory could not be written ({exc.strerror})"
            else:
                problem = "this scorer keeps its state in memory only (no state directory)"
            return Scored(tx.tx_id, tuple(alerts), max((a.score for a in alerts), default=0.0), stored,
                          StreamWindow(self.state.scored, len(self.state.accounts)), problem or None)

    def quarantine(self, tx_id: str, reason: str, actor: str) -> Removed:
        """Take a scored transfer back out of the state (a bad date or amount), note it in quarantine.jsonl and
        snapshot at once, so that the transfer log never replays it; its id may then be scored again."""
        with self.lock:
            removed = remove_transfer(self.state, tx_id)
            if tx_id in self.ids:
                self.ids.discard(tx_id)
                self.id_order = deque(i for i in self.id_order if i != tx_id)
            if self.log is not None and self.state_dir is not None:
                line = json.dumps({"tx_id": tx_id, "at": datetime.now(UTC).isoformat(timespec="seconds"),
                                   "actor": actor, "reason": reason, "found": removed.found}) + "\n"
                fd = os.open(self.state_dir / QUARANTINE, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
                try:
                    os.write(fd, line.encode())
                    os.fsync(fd)
                finally:
                    os.close(fd)
                self.log.snapshot(self._saved())
                self.since_snapshot = 0
            return removed

    def sync_alerts(self) -> None:
        """Put every alert written so far on disk (OSError when that fails)."""
        log = self.log
        if log is not None:
            log.sync_alerts()

    def _saved(self) -> dict[str, Any]:
        return {"rules": self.state, "ids": list(self.id_order), "traits": self.traits}

    def size(self) -> ScorerSize:
        with self.lock:
            size = self.state.size()
            return ScorerSize(**{f.name: getattr(size, f.name) for f in fields(size)}, remembered_ids=len(self.ids),
                              replayed_on_start=self.replayed)

    def close(self) -> None:
        """Snapshot the state (so the next start replays nothing) and release the directory."""
        with self.lock:
            if self.log is not None:
                if self.since_snapshot:
                    self.log.snapshot(self._saved())
                self.log.close()
                self.log = None


def make_tx(tx_id: str, at: datetime, src: str, dst: str, amount: float, asset: str, vasp: str) -> Tx:
    if at.tzinfo is None:
        raise InputError("timestamp needs a UTC offset", field="timestamp")
    return Tx(tx_id, at.timestamp(), src, dst, amount, asset, vasp)
