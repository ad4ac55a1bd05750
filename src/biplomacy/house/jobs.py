"""Use case: computations kept off the request path (a new Monte Carlo run), as rows every worker can read.

A job is named by what it computes: (kind, key), the key a digest of every input. Asking again for the same
inputs finds the same job, finished or under way, so a result is computed once whoever asks and on whichever
worker process; the process that claimed a job runs it and writes its progress and result here, and any process
answers a poll. A job whose runner stopped reporting (its process died) for STALE_AFTER is taken over by the
next request for it. Jobs are derived figures, not changes of state: they are not audited, and finished ones are
pruned after RETAIN.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from biplomacy.core.errors import NotFound
from biplomacy.house.tables import JobRow
from biplomacy.store.db import Store

STALE_AFTER = timedelta(seconds=60)  # a runner reports at least every few seconds while it works
RETAIN = timedelta(days=1)
ACTIVE = ("queued", "running")


@dataclass(frozen=True, slots=True)
class Job:
    id: str
    kind: str
    key: str
    status: str  # queued, running, done, failed
    done: int
    total: int
    result: dict[str, Any] | None
    error: str | None
    created_at: datetime
    updated_at: datetime

    @property
    def fraction(self) -> float:
        return 1.0 if self.status == "done" else (self.done / self.total if self.total else 0.0)

    def to_json(self) -> dict[str, Any]:
        """What a poll answers (the result itself is the owning page's or API's to render)."""
        return {"id": self.id, "kind": self.kind, "status": self.status, "done": self.done, "total": self.total,
                "progress": round(self.fraction, 4), "error": self.error,
                "created_at": self.created_at.isoformat(), "updated_at": self.updated_at.isoformat()}


def inputs_key(kind: str, inputs: dict[str, Any]) -> str:
    """The key of a computation: a digest of its kind and every input (JSON, keys sorted)."""
    raw = json.dumps({"kind": kind, "inputs": inputs}, sort_keys=True, default=str)
    return hashlib.sha256(raw.encode()).hexdigest()


def client_digest(address: str) -> str:
    """Jobs remember who asked only to bound each client's share; a digest, so no address is stored."""
    return hashlib.blake2b(address.encode(), digest_size=16).hexdigest()


def find(store: Store, kind: str, key: str) -> Job | None:
    with store.read() as s:
        row = s.execute(select(JobRow).where(JobRow.kind == kind, JobRow.key == key)).scalar_one_or_none()
        return None if row is None else _job(row)


def get(store: Store, job_id: str) -> Job:
    with store.read() as s:
        row = s.get(JobRow, job_id)
        if row is None:
            raise NotFound(f"no job {job_id!r} (finished jobs are kept for a day)", field="job_id")
        return _job(row)


def active_count(store: Store, client: str, *, now: datetime | None = None) -> int:
    """Jobs this client asked for that are still queued or running (and not abandoned)."""
    fresh = (now or datetime.now(UTC)) - STALE_AFTER
    with store.read() as s:
        return int(s.execute(select(func.count()).select_from(JobRow).where(
            JobRow.client == client, JobRow.status.in_(ACTIVE), JobRow.updated_at >= fresh)).scalar_one())


def claim(store: Store, kind: str, key: str, client: str, *, now: datetime | None = None) -> tuple[Job, bool]:
    """The job for (kind, key), and whether the caller must run it: True for a new job, or one that failed or
    was abandoned (taken over); False when it is done or another runner has it under way."""
    at = now or datetime.now(UTC)
    with store.transaction() as s:
        # FOR UPDATE: two workers taking over one failed or abandoned job wait for each other here; the second
        # then reads the first's claim (PostgreSQL re-reads a locked row) and does not run it twice.
        row = s.execute(select(JobRow).where(JobRow.kind == kind, JobRow.key == key).with_for_update()
                        ).scalar_one_or_none()
        if row is not None:
            abandoned = row.status in ACTIVE and _aware(row.updated_at) < at - STALE_AFTER
            if row.status == "done" or (row.status in ACTIVE and not abandoned):
                return _job(row), False
            row.status, row.done, row.total, row.error, row.result = "queued", 0, 0, None, None
            row.client, row.updated_at = client, at
            return _job(row), True
    try:
        with store.transaction() as s:
            s.execute(delete(JobRow).where(JobRow.status.not_in(ACTIVE), JobRow.updated_at < at - RETAIN))
            row = JobRow(id=secrets.token_hex(16), kind=kind, key=key, status="queued", done=0, total=0,
                         client=client, result=None, error=None, created_at=at, updated_at=at)
            s.add(row)
            s.flush()
            return _job(row), True
    except IntegrityError:  # another worker inserted the same job in the meantime: that one runs it
        job = find(store, kind, key)
        if job is None:
            raise
        return job, False


def report(store: Store, job_id: str, done: int, total: int) -> None:
    with store.transaction() as s:
        row = s.get(JobRow, job_id)
        if row is not None and row.status in ACTIVE:
            row.status, row.done, row.total, row.updated_at = "running", done, total, datetime.now(UTC)


def finish(store: Store, job_id: str, result: dict[str, Any]) -> None:
    with store.transaction() as s:
        row = s.get(JobRow, job_id)
        if row is not None:
            row.status, row.result, row.error, row.updated_at = "done", json.dumps(result), None, datetime.now(UTC)
            row.done = row.total = max(row.total, 1)


def fail(store: Store, job_id: str, message: str) -> None:
    with store.transaction() as s:
        row = s.get(JobRow, job_id)
        if row is not None:
            row.status, row.error, row.updated_at = "failed", message[:2000], datetime.now(UTC)


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)  # SQLite hands back naive UTC times


def _job(row: JobRow) -> Job:
    return Job(id=row.id, kind=row.kind, key=row.key, status=row.status, done=row.done, total=row.total,
               result=None if row.result is None else json.loads(row.result), error=row.error,
               created_at=_aware(row.created_at), updated_at=_aware(row.updated_at))
