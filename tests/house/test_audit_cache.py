"""A value per audit head: rebuilt after an audited change and only then, built once for concurrent callers,
never kept when its build fails."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from biplomacy.house import audit
from biplomacy.house.audit_cache import Head, LatestSeq, PerAuditHead, read_head


def _audited_change(store: Any) -> None:
    with store.transaction() as s:
        audit.record(s, actor="alice", action="test.change", subject="thing/1", payload={})


class _Builds:
    """A build function that counts its calls and returns (head, key, call number)."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, store: Any, head: Head, key: str) -> tuple[Head, str, int]:
        self.calls += 1
        return head, key, self.calls


def test_the_value_is_reused_until_an_audited_change_moves_the_head(store: Any) -> None:
    build = _Builds()
    cache = PerAuditHead(build)
    first = cache.get(store, "a")
    assert first == (None, "a", 1) and cache.get(store, "a") is first and build.calls == 1
    other = cache.get(store, "b")
    assert other == (None, "b", 2) and cache.get(store, "a") is first  # keys are kept side by side
    _audited_change(store)
    moved = cache.get(store, "a")
    assert moved[0] == read_head(store) and moved[0] is not None and moved[2] == 3
    assert cache.get(store, "a") is moved and cache.get(store, "b")[2] == 4 and build.calls == 4


def test_a_read_that_changes_nothing_audited_rebuilds_nothing(store: Any) -> None:
    build = _Builds()
    cache = PerAuditHead(build)
    _audited_change(store)
    kept = cache.get(store, "a")
    with store.transaction() as s:  # a transaction that rolls back leaves the head where it was
        audit.record(s, actor="alice", action="test.change", subject="thing/2", payload={})
        s.rollback()
    assert cache.get(store, "a") is kept and build.calls == 1


def test_a_failing_build_is_not_kept_and_the_next_caller_builds_again(store: Any) -> None:
    outcomes: list[Exception | str] = [RuntimeError("chain unreachable"), "built"]

    def build(store: Any, head: Head, key: str) -> str:
        outcome = outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    cache = PerAuditHead(build)
    with pytest.raises(RuntimeError, match="chain unreachable"):
        cache.get(store, "a")
    assert cache.get(store, "a") == "built" and outcomes == []
    assert cache.get(store, "a") == "built"  # kept now: a third build would find `outcomes` empty


class _CountingStore:
    """The store, counting the head reads, so a build can wait until every caller has read the head."""

    def __init__(self, store: Any, callers: int) -> None:
        self.store, self.callers, self.reads = store, callers, 0
        self.all_read = threading.Condition()

    @contextmanager
    def read(self) -> Iterator[Any]:
        with self.store.read() as session:
            yield session
        with self.all_read:
            self.reads += 1
            self.all_read.notify_all()


def test_concurrent_callers_for_one_key_build_it_once(store: Any) -> None:
    callers = 8
    counting: Any = _CountingStore(store, callers)  # stands in for the Store: read() is all it needs
    builds: list[str] = []

    def build(s: Any, head: Head, key: str) -> object:
        with counting.all_read:  # every caller has missed the cache before this build ends
            assert counting.all_read.wait_for(lambda: counting.reads >= callers, timeout=60)
        builds.append(key)
        return object()

    cache = PerAuditHead(build)
    got: list[object] = []
    threads = [threading.Thread(target=lambda: got.append(cache.get(counting, "a"))) for _ in range(callers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert builds == ["a"] and len(got) == callers and all(g is got[0] for g in got)


def test_latest_seq_follows_the_log_and_a_failed_read_is_a_store_error(store: Any, tmp_path: Any) -> None:
    from biplomacy.core.errors import StoreError
    from biplomacy.store.db import Store, make_engine

    latest = LatestSeq(store)
    try:
        assert latest() == 0
        _audited_change(store)
        _audited_change(store)
        assert latest() == 2 == read_head(store)[0]  # type: ignore[index]
    finally:
        latest.close()
    url = f"sqlite:///{tmp_path / 'never-migrated.sqlite3'}"
    unmigrated = LatestSeq(Store(make_engine(url), url))
    with pytest.raises(StoreError, match="the audit log could not be read .*audit_log"):
        unmigrated()
    with pytest.raises(StoreError):  # and again, on a fresh connection: nothing is left half-open
        unmigrated()
