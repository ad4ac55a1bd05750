"""The transaction table AML rules read: columnar arrays, validated row by row from a file's columns.

Four layouts load as they are: Biplomacy's (tx_id, timestamp, from_account, to_account, amount, asset, and
optional vasp); IBM AMLSim's transactions.csv (tran_id, orig_acct, bene_acct, tx_type, base_amt,
tran_timestamp, is_sar, alert_id); the older AMLSim samples' (sourceNodeId, targetNodeId, value, time: a daily
step, no id: each transfer is named r<line>); and IBM AMLworld's (Timestamp, From Bank, Account, To Bank,
Account, Amount Received, Receiving Currency, Amount Paid, Payment Currency, Payment Format, Is Laundering: an
account is named bank:account, the amount is the amount paid in its currency, the naive timestamps are read as
UTC and each transfer is named r<line>). A transaction's own label (AMLSim's is_sar, AMLworld's Is Laundering)
is kept in `label`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from biplomacy.core.errors import InputError, Issue

OURS = ("tx_id", "timestamp", "from_account", "to_account", "amount", "asset")
AMLSIM = ("tran_id", "orig_acct", "bene_acct", "base_amt", "tran_timestamp")
AMLSIM_STEPS = ("sourceNodeId", "targetNodeId", "value", "time")
AMLWORLD = ("Timestamp", "From Bank", "Account", "To Bank", "Account.1", "Amount Paid", "Payment Currency",
            "Is Laundering")
MAX_ISSUES = 50


@dataclass(frozen=True)
class Transactions:
    tx_id: np.ndarray  # str
    ts: np.ndarray  # float seconds since epoch
    src: np.ndarray  # str
    dst: np.ndarray  # str
    amount: np.ndarray  # float (model input; amounts are not booked here)
    asset: np.ndarray  # str
    vasp: np.ndarray  # str ("" when unknown)
    label: np.ndarray  # int: AMLSim's is_sar, or -1

    def __len__(self) -> int:
        return len(self.tx_id)


def _ts(text: str) -> float:
    t = text.strip()
    if t.isdigit():  # AMLSim writes a step number (days) in some versions
        return float(t) * 86400.0
    d = datetime.fromisoformat(t.replace("Z", "+00:00"))
    if d.tzinfo is None:
        raise ValueError("no UTC offset")
    return d.timestamp()


def _vectorised(columns: Mapping[str, Sequence[str]], keys: dict[str, str]) -> tuple[np.ndarray, np.ndarray] | None:
    """The common case in one pass of numpy: UTC ISO 8601 timestamps ('...+00:00' or '...Z'), non-negative
    finite amounts, no empty id or account. None when anything differs: the row-by-row check then names it."""
    try:
        stamps = np.asarray(columns[keys["ts"]], dtype=str)
        amt = np.asarray(columns[keys["amt"]], dtype=str).astype(float)
    except ValueError:
        return None
    if not len(stamps) or not np.all(np.isfinite(amt) & (amt >= 0)):
        return None
    if any(not np.all(np.char.str_len(np.char.strip(np.asarray(columns[keys[k]], dtype=str))) > 0)
           for k in ("id", "src", "dst")):
        return None
    if np.all(np.char.isdigit(stamps)):  # AMLSim's daily steps
        return stamps.astype(np.int64) * 86400.0, amt
    utc = np.char.endswith(stamps, "+00:00")
    zulu = np.char.endswith(stamps, "Z")
    if not np.all(utc | zulu):
        return None
    bare = np.where(utc, np.char.replace(stamps, "+00:00", ""), np.char.rstrip(stamps, "Z"))
    if not np.all((np.char.str_len(bare) >= 19) & np.isin(np.char.str_len(bare), [19, 23, 26])):
        return None
    try:
        dt = np.asarray(bare, dtype="datetime64[us]")
    except ValueError:
        return None
    return (dt - np.datetime64(0, "us")).astype(np.int64) / 1e6, amt


def _normalise(columns: Mapping[str, Sequence[str]]) -> Mapping[str, Sequence[str]]:
    """The older AMLSim and the AMLworld layouts rewritten as AMLSim's, so that one check reads them all."""
    names = set(columns)
    if set(AMLSIM_STEPS) <= names and not set(AMLSIM) <= names:
        n = len(columns["time"])
        return {"tran_id": [f"r{i + 2}" for i in range(n)], "orig_acct": columns["sourceNodeId"],
                "bene_acct": columns["targetNodeId"], "base_amt": columns["value"], "tran_timestamp": columns["time"]}
    if set(AMLWORLD) <= names:
        n = len(columns["Timestamp"])
        return {"tran_id": [f"r{i + 2}" for i in range(n)],
                "orig_acct": [f"{b}:{a}" for b, a in zip(columns["From Bank"], columns["Account"], strict=True)],
                "bene_acct": [f"{b}:{a}" for b, a in zip(columns["To Bank"], columns["Account.1"], strict=True)],
                "base_amt": columns["Amount Paid"], "asset": columns["Payment Currency"],
                "tran_timestamp": [t.replace("/", "-").replace(" ", "T") + (":00" if len(t) == 16 else "") + "+00:00"
                                   for t in columns["Timestamp"]],
                "is_sar": columns["Is Laundering"]}
    return columns


def from_columns(columns: Mapping[str, Sequence[str]], source: str) -> Transactions:
    """Validate and convert a file's columns (all as text); every bad row is named with its field."""
    columns = _normalise(columns)
    names = set(columns)
    if set(OURS) <= names:
        keys = dict(zip(("id", "ts", "src", "dst", "amt", "asset"), OURS, strict=True))
    elif set(AMLSIM) <= names:
        keys = {"id": "tran_id", "ts": "tran_timestamp", "src": "orig_acct", "dst": "bene_acct", "amt": "base_amt"}
    else:
        missing = sorted(set(OURS) - names)
        raise InputError(f"{source}: missing columns {missing} (expected {', '.join(OURS)}[, vasp], "
                         "or AMLSim's tran_id, orig_acct, bene_acct, base_amt, tran_timestamp, or the older "
                         "AMLSim samples' sourceNodeId, targetNodeId, value, time, or AMLworld's Timestamp, From Bank, "
                         "Account, To Bank, Account, Amount Paid, Payment Currency, Is Laundering)", field="columns")
    n = len(columns[keys["id"]])
    issues: list[Issue] = []
    fast = _vectorised(columns, keys)
    ts, amt = fast if fast is not None else (np.empty(n), np.empty(n))
    for i in range(0 if fast is not None else n):
        if len(issues) >= MAX_ISSUES:
            break
        row = i + 2  # header is row 1
        try:
            ts[i] = _ts(columns[keys["ts"]][i])
        except ValueError as exc:
            issues.append(Issue("aml.timestamp", f"{source}: row {row}, {keys['ts']}",
                                f"{columns[keys['ts']][i]!r} is not an ISO 8601 timestamp with offset ({exc})"))
        try:
            a = float(columns[keys["amt"]][i])
            if math.isnan(a) or a < 0 or math.isinf(a):
                raise ValueError
            amt[i] = a
        except ValueError:
            issues.append(Issue("aml.amount", f"{source}: row {row}, {keys['amt']}",
                                f"{columns[keys['amt']][i]!r} is not a non-negative amount"))
        for k in ("id", "src", "dst"):
            if not str(columns[keys[k]][i]).strip():
                issues.append(Issue("aml.empty", f"{source}: row {row}, {keys[k]}", "is empty"))
    ids = np.asarray(columns[keys["id"]], dtype=object)
    if not issues and len(set(ids.tolist())) != n:
        u, c = np.unique(ids.astype(str), return_counts=True)
        issues.append(Issue("aml.duplicate", f"{source}: {keys['id']}", f"duplicate ids: {', '.join(u[c > 1][:5])}"))
    if issues:
        raise InputError.from_issues(issues, source)
    asset = np.asarray(columns.get("asset", ["USD"] * n), dtype=object)
    vasp = np.asarray(columns.get("vasp", [""] * n), dtype=object)
    label = np.asarray([int(x) if str(x).strip().lstrip("-").isdigit() else (1 if str(x).lower() == "true" else 0)
                        for x in columns["is_sar"]]) if "is_sar" in columns else np.full(n, -1)
    return Transactions(ids.astype(str), ts, np.asarray(columns[keys["src"]]).astype(str),
                        np.asarray(columns[keys["dst"]]).astype(str), amt, asset.astype(str), vasp.astype(str), label)


def concat(tables: Sequence[tuple[Transactions, str]]) -> Transactions:
    """Several files' transfers as one table (a supervisor joins VASPs' flows), in time order; a tx_id in two
    files is an error naming both, as the alerts name transfers by id."""
    if len(tables) == 1:
        return tables[0][0]
    seen: dict[str, str] = {}
    for t, source in tables:
        for i in t.tx_id.tolist():
            if seen.setdefault(i, source) != source:
                raise InputError(f"tx_id {i!r} is in both {seen[i]} and {source}; ids must be unique across the "
                                 "files scanned together", field="transactions")
    parts = [t for t, _ in tables]
    joined = Transactions(*(np.concatenate([getattr(p, f) for p in parts]) for f in
                            ("tx_id", "ts", "src", "dst", "amount", "asset", "vasp", "label")))
    return take(joined, np.argsort(joined.ts, kind="stable"))


def take(tx: Transactions, rows: np.ndarray) -> Transactions:
    """The transfers at positions `rows` (a time slice, a sample), in that order."""
    return Transactions(tx.tx_id[rows], tx.ts[rows], tx.src[rows], tx.dst[rows], tx.amount[rows], tx.asset[rows],
                        tx.vasp[rows], tx.label[rows])
