"""Append-only, hash-chained audit log: each entry commits to the previous one, written in the caller's transaction.

An entry's hash is SHA-256 over the canonical JSON of [seq, at, actor, action, subject, payload_hash,
prev_hash]; payload_hash is SHA-256 over the canonical JSON of the payload (sorted keys, no spaces,
Decimals as strings). The first entry's prev_hash is 64 zeros. docs/audit.md shows how to re-verify.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from biplomacy.core.errors import InputError
from biplomacy.house.tables import AuditRow

GENESIS = "0" * 64


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    return str(value)


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_default)


def sha256_hex(text_: str) -> str:
    return hashlib.sha256(text_.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class AuditEntry:
    seq: int
    at: str
    actor: str
    action: str
    subject: str
    payload: str
    payload_hash: str
    prev_hash: str
    hash: str

    def as_dict(self) -> dict[str, Any]:
        return {"seq": self.seq, "at": self.at, "actor": self.actor, "action": self.action,
                "subject": self.subject, "payload": json.loads(self.payload),
                "payload_hash": self.payload_hash, "prev_hash": self.prev_hash, "hash": self.hash}


def entry_hash(seq: int, at: str, actor: str, action: str, subject: str, payload_hash: str, prev_hash: str) -> str:
    return sha256_hex(canonical_json([seq, at, actor, action, subject, payload_hash, prev_hash]))


def _iso(at: datetime) -> str:
    if at.tzinfo is None:  # SQLite hands back naive datetimes; we always store UTC
        at = at.replace(tzinfo=UTC)
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def _entry(row: AuditRow) -> AuditEntry:
    return AuditEntry(row.seq, _iso(row.at), row.actor, row.action, row.subject, row.payload,
                      row.payload_hash, row.prev_hash, row.hash)


def _lock(session: Session) -> None:
    """Serialise writers of the log until the caller's transaction ends, before the last entry is read.

    PostgreSQL: one transaction-scoped advisory lock. SQLite: a no-op write takes the database's write
    lock now (Python's sqlite3 opens the transaction lazily, at the first write, so reading the last
    seq first would let two writers pick the same one).
    """
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(4242001)"))
    elif dialect == "sqlite":
        session.execute(text("UPDATE audit_log SET seq = seq WHERE 0"))


def record(session: Session, *, actor: str, action: str, subject: str, payload: dict[str, Any]) -> AuditEntry:
    """Append one entry in the caller's transaction (it commits or rolls back with the change it records)."""
    _lock(session)
    last = session.execute(select(AuditRow).order_by(AuditRow.seq.desc()).limit(1)).scalar_one_or_none()
    seq = 1 if last is None else last.seq + 1
    prev = GENESIS if last is None else last.hash
    at = datetime.now(UTC)
    body = canonical_json(payload)
    p_hash = sha256_hex(body)
    at_text = _iso(at)
    own = entry_hash(seq, at_text, actor, action, subject, p_hash, prev)
    row = AuditRow(seq=seq, at=at, actor=actor, action=action, subject=subject[:300], payload=body,
                   payload_hash=p_hash, prev_hash=prev, hash=own)
    if row.subject != subject:  # keep the hash honest if a long subject was cut to fit the column
        row.hash = entry_hash(seq, at_text, actor, action, row.subject, p_hash, prev)
    session.add(row)
    session.flush()
    return _entry(row)


def entries(session: Session) -> Iterator[AuditEntry]:
    for row in session.execute(select(AuditRow).order_by(AuditRow.seq)).scalars():
        yield _entry(row)


def with_action(session: Session, action: str, subject: str | None = None, limit: int = 100) -> list[AuditEntry]:
    """The newest entries of one action (and subject), newest first: what a page lists of one kind of event."""
    q = select(AuditRow).where(AuditRow.action == action)
    if subject is not None:
        q = q.where(AuditRow.subject == subject)
    return [_entry(r) for r in session.execute(q.order_by(AuditRow.seq.desc()).limit(limit)).scalars()]


def head(session: Session) -> AuditEntry | None:
    row = session.execute(select(AuditRow).order_by(AuditRow.seq.desc()).limit(1)).scalar_one_or_none()
    return None if row is None else _entry(row)


@dataclass(frozen=True, slots=True)
class VerifyResult:
    ok: bool
    count: int
    head_hash: str
    first_bad_seq: int | None = None
    reason: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"valid": self.ok, "entries": self.count, "head_hash": self.head_hash,
                "first_bad_seq": self.first_bad_seq, "reason": self.reason}


def verify(items: Iterable[AuditEntry | dict[str, Any]]) -> VerifyResult:
    """Check the chain in the given order; name the first entry that was edited, deleted or reordered."""
    chain = [item if isinstance(item, AuditEntry) else _from_export(item) for item in items]
    present = {e.seq for e in chain}
    prev, expected_seq, count = GENESIS, 1, 0
    for e in chain:
        if e.seq != expected_seq:
            if expected_seq in present or e.seq < expected_seq:
                return VerifyResult(False, count, prev, e.seq,
                                    f"entry {e.seq} is out of order (reordered or duplicated): "
                                    f"found where entry {expected_seq} belongs")
            return VerifyResult(False, count, prev, expected_seq,
                                f"entry {expected_seq} is missing (deleted): seq jumps to {e.seq}")
        if sha256_hex(e.payload) != e.payload_hash:
            return VerifyResult(False, count, prev, e.seq, f"entry {e.seq}: payload does not match its hash (edited)")
        if e.prev_hash != prev:
            return VerifyResult(False, count, prev, e.seq,
                                f"entry {e.seq}: previous-hash link is broken (an earlier entry was changed)")
        own = entry_hash(e.seq, e.at, e.actor, e.action, e.subject, e.payload_hash, e.prev_hash)
        if own != e.hash:
            return VerifyResult(False, count, prev, e.seq, f"entry {e.seq}: fields do not match its hash (edited)")
        prev, expected_seq, count = e.hash, expected_seq + 1, count + 1
    return VerifyResult(True, count, prev)


@dataclass(frozen=True, slots=True)
class PublishedCheck:
    """The chain's own check, and whether the log still holds what was published (a head, a count)."""

    chain: VerifyResult
    expect_head: str | None
    expect_count: int | None
    ok: bool
    reason: str | None

    def as_dict(self) -> dict[str, Any]:
        return {**self.chain.as_dict(), "valid": self.ok, "reason": self.reason,
                "expected": {"head": self.expect_head, "count": self.expect_count}}


def verify_published(items: Iterable[AuditEntry | dict[str, Any]], expect_head: str | None = None,
                     expect_count: int | None = None) -> PublishedCheck:
    """Verify the chain, then that it still holds the head published earlier: an intact chain that was cut
    short (entries deleted from the end, or all of them) or rewritten with every later hash recomputed passes
    the chain check alone, but not this one. With `expect_count` N, entry N must exist and (with `expect_head`)
    carry that hash; with only `expect_head`, some entry must carry it."""
    chain_items = list(items)
    chain = verify(chain_items)
    if not chain.ok:
        return PublishedCheck(chain, expect_head, expect_count, False, chain.reason)
    head = expect_head.strip().lower() if expect_head else None
    if expect_count is not None and chain.count < expect_count:
        return PublishedCheck(chain, head, expect_count, False,
                              f"the log has {chain.count} entries, fewer than the {expect_count} published: "
                              "entries were deleted from its end")
    hashes = [(e if isinstance(e, AuditEntry) else _from_export(e)).hash for e in chain_items]
    if head is not None:
        if expect_count is not None:
            found = hashes[expect_count - 1] if expect_count > 0 else GENESIS
            if found != head:
                return PublishedCheck(chain, head, expect_count, False,
                                      f"entry {expect_count} has hash {found}, not the published {head}: "
                                      "the log was rewritten")
        elif head != GENESIS and head not in hashes:
            return PublishedCheck(chain, head, expect_count, False,
                                  f"no entry has the published head {head}: the log was cut short before it "
                                  "or rewritten")
    return PublishedCheck(chain, head, expect_count, True, None)


def _from_export(d: dict[str, Any]) -> AuditEntry:
    payload = d["payload"] if isinstance(d["payload"], str) else canonical_json(d["payload"])
    return AuditEntry(int(d["seq"]), str(d["at"]), str(d["actor"]), str(d["action"]), str(d["subject"]),
                      payload, str(d["payload_hash"]), str(d["prev_hash"]), str(d["hash"]))


def export_lines(session: Session) -> Iterator[str]:
    """The log as JSON lines, payload kept as its canonical JSON text so anyone can re-hash it."""
    for e in entries(session):
        yield json.dumps({"seq": e.seq, "at": e.at, "actor": e.actor, "action": e.action, "subject": e.subject,
                          "payload": e.payload, "payload_hash": e.payload_hash, "prev_hash": e.prev_hash,
                          "hash": e.hash}, ensure_ascii=False)


def export_jsonl(session: Session, target: Path) -> int:
    """Write the log as JSON lines to `target` (whole or not at all); returns the number of entries."""
    lines = list(export_lines(session))
    if not target.parent.is_dir():
        raise InputError(f"{target}: folder {target.parent} does not exist", field="out")
    partial = target.with_name(target.name + ".partial")
    try:
        partial.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
        partial.replace(target)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise InputError(f"{target}: cannot write ({exc.strerror})", field="out") from None
    return len(lines)
