"""Keeping the streaming AML state across restarts: a snapshot, an append log of transfers, an alerts file.

A state directory holds:
- `snapshot.pkl`: the whole rule state as of generation g (pickled; read back with an allow-list of classes,
  so a tampered file cannot run code), written to a temporary file, fsynced and renamed;
- `transfers-<g>.log`: every transfer scored since that snapshot, one JSON line each, written (one write
  call, O_APPEND) before the transfer's response is sent, so a crashed or killed process loses none; on
  start the snapshot is loaded and the log replayed through the same rules (their alerts were stored when
  first raised). fsync of this log is left to the OS except on close and when an alert is written;
- `alerts.jsonl`: every alert raised, with its transfer, written and fsynced before the response (never
  truncated);
- `LOCK`: an exclusive lock (flock), so two processes never interleave one state.
"""

from __future__ import annotations

import fcntl
import io
import json
import math
import os
import pickle
from collections.abc import Iterator
from json.encoder import encode_basestring_ascii
from pathlib import Path
from typing import Any

from biplomacy.aml.model.alerts import Alert
from biplomacy.aml.model.stream_state import Tx
from biplomacy.aml.results import AlertLine
from biplomacy.core.errors import ConfigError

SNAPSHOT = "snapshot.pkl"
ALERTS = "alerts.jsonl"
FORMAT = 2  # raise when the classes of model/stream_state.py or model/features.py change: an older snapshot is then refused
STATE, THRESHOLDS = "biplomacy.aml.model.stream_state", "biplomacy.aml.model.thresholds"
_ALLOWED = {
    (STATE, "StreamState"), (STATE, "Account"), (STATE, "Pending"), (STATE, "Tx"), (THRESHOLDS, "Thresholds"),
    ("biplomacy.aml.model.features", "TraitBook"), ("biplomacy.aml.model.features", "Traits"),
    ("collections", "deque"), ("collections", "OrderedDict"),
    ("builtins", "set"), ("builtins", "frozenset"), ("copyreg", "__newobj__"), ("copyreg", "_reconstructor"),
    ("builtins", "object"), ("builtins", "getattr"),
}
# the same classes, unchanged, where snapshots written before one rule became one file found them
_MOVED = {("biplomacy.aml.model.stream", name): STATE for name in ("StreamState", "Account", "Pending", "Tx")} | {
    ("biplomacy.aml.model.rules", "Thresholds"): THRESHOLDS}


class _Unpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        module = _MOVED.get((module, name), module)
        if (module, name) not in _ALLOWED:
            raise pickle.UnpicklingError(f"{module}.{name} is not part of the streaming state")
        return super().find_class(module, name)


class StreamLog:
    """The state directory of one streaming scorer (held exclusively while open)."""

    def __init__(self, directory: Path):
        self.dir = directory
        try:
            directory.mkdir(parents=True, exist_ok=True)
            self._lock = os.open(directory / "LOCK", os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise ConfigError(f"{directory}: cannot use as the AML streaming state directory ({exc})",
                              field="state") from None
        try:
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(self._lock)
            raise ConfigError(f"{directory}: the AML streaming state is held by another process "
                              "(a running `biplomacy supervise aml serve` or portal)", field="state") from None
        self.gen = 0
        self._log = -1
        self._alerts = os.open(directory / ALERTS, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)

    # -- reading back -------------------------------------------------------------------------------------
    def load(self) -> tuple[Any, Iterator[Tx]]:
        """(the snapshot's object or None, the logged transfers after it). Opens the log for appending."""
        state = None
        snap = self.dir / SNAPSHOT
        if snap.exists():
            with snap.open("rb") as f:
                try:
                    doc = _Unpickler(f).load()
                except (pickle.UnpicklingError, EOFError, AttributeError, ValueError) as exc:
                    raise ConfigError(f"{snap}: not a readable AML streaming snapshot ({exc}); move it away to "
                                      "start empty", field="state") from None
            if not isinstance(doc, dict) or doc.get("format") != FORMAT:
                raise ConfigError(f"{snap}: snapshot format {doc.get('format') if isinstance(doc, dict) else '?'}"
                                  f" is not {FORMAT}", field="state")
            self.gen, state = int(doc["gen"]), doc["state"]
        for old in self.dir.glob("transfers-*.log"):
            if _gen_of(old) < self.gen:  # already inside the snapshot
                old.unlink()
            elif _gen_of(old) > self.gen:  # its snapshot was moved away: kept aside, never replayed on a wrong base
                old.rename(old.with_name(old.name + ".orphaned"))
        path = self._log_path(self.gen)
        replay = list(_read_log(path)) if path.exists() else []
        self._log = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        return state, iter(replay)

    # -- writing --------------------------------------------------------------------------------------------
    def append(self, tx: Tx, alerts: list[Alert], *, sync: bool = True) -> None:
        """Store the alerts (fsynced, unless the caller calls sync_alerts before answering) and then the
        transfer; raises OSError when either cannot be written."""
        if alerts:
            lines = "".join(json.dumps(AlertLine(tx.tx_id, a).to_json(), separators=(",", ":")) + "\n"
                            for a in alerts)
            _write_all(self._alerts, lines.encode())
            if sync:
                os.fsync(self._alerts)
        _write_all(self._log, (log_line(tx) + "\n").encode())

    def sync_alerts(self) -> None:
        """fsync the alerts file (every alert written so far is then on disk); safe from another thread."""
        os.fsync(self._alerts)

    def snapshot(self, state: Any) -> None:
        """Write the state as generation gen + 1, then start an empty log for it and drop the old one."""
        nxt = self.gen + 1
        tmp = self.dir / (SNAPSHOT + ".tmp")
        buf = io.BytesIO()
        pickle.dump({"format": FORMAT, "gen": nxt, "state": state}, buf, protocol=pickle.HIGHEST_PROTOCOL)
        with tmp.open("wb") as f:
            f.write(buf.getbuffer())
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.dir / SNAPSHOT)
        _fsync_dir(self.dir)
        old, self.gen = self._log_path(self.gen), nxt
        os.close(self._log)
        self._log = os.open(self._log_path(nxt), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        old.unlink(missing_ok=True)

    def close(self) -> None:
        """Flush the log and the alerts to disk and release the directory."""
        for fd in (self._log, self._alerts):
            if fd >= 0:
                os.fsync(fd)
                os.close(fd)
        self._log = self._alerts = -1
        os.close(self._lock)

    def _log_path(self, gen: int) -> Path:
        return self.dir / f"transfers-{gen}.log"


def read_alert_lines(directory: Path) -> list[AlertLine]:
    """Every alert stored in a state directory, oldest first; a last line still being written (no newline yet)
    is left for the next read."""
    path = directory / ALERTS
    if not path.exists():
        return []
    text = path.read_bytes().decode("utf-8")
    docs = [json.loads(line) for line in text[:text.rfind("\n") + 1].splitlines() if line.strip()]
    return [AlertLine(d["tx_id"], Alert.from_json(d["alert"])) for d in docs]



def log_line(tx: Tx) -> str:
    """The transfer's line of the log: json.dumps([id, ts, src, dst, amount, asset, vasp], separators=(",", ":")),
    written out with json's own string encoder and float repr (the same text, a fifth of the CPU, on every
    streamed transfer; tests/aml/test_aml_stream.py compares them)."""
    ts, amount = tx.ts, tx.amount
    if type(ts) is not float or type(amount) is not float or not (math.isfinite(ts) and math.isfinite(amount)):
        return json.dumps([tx.tx_id, ts, tx.src, tx.dst, amount, tx.asset, tx.vasp], separators=(",", ":"))
    e = encode_basestring_ascii
    return f"[{e(tx.tx_id)},{ts!r},{e(tx.src)},{e(tx.dst)},{amount!r},{e(tx.asset)},{e(tx.vasp)}]"


def _read_log(path: Path) -> Iterator[Tx]:
    with path.open(encoding="utf-8") as f:
        for line in f:
            try:
                i, ts, src, dst, amount, asset, vasp = json.loads(line)
            except ValueError:  # a line cut short by a crash mid-write: the transfer was never answered
                continue
            yield Tx(i, float(ts), src, dst, float(amount), asset, vasp)


def _gen_of(path: Path) -> int:
    try:
        return int(path.stem.split("-", 1)[1])
    except ValueError:
        return -1


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
