"""Jobs (house/jobs.py): one job per set of inputs whoever asks, taken over when its runner died, redone when
it failed, counted per client while under way, pruned when old."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from biplomacy.core.errors import NotFound
from biplomacy.house import jobs
from biplomacy.store.db import Store

KIND = "test.sum"


def test_the_same_inputs_are_one_job_and_a_finished_one_is_kept(store: Store) -> None:
    key = jobs.inputs_key(KIND, {"a": 1, "b": [2, 3]})
    assert key == jobs.inputs_key(KIND, {"b": [2, 3], "a": 1}) != jobs.inputs_key(KIND, {"a": 2, "b": [2, 3]})
    job, mine = jobs.claim(store, KIND, key, "client-1")
    assert mine and job.status == "queued"
    again, mine_again = jobs.claim(store, KIND, key, "client-2")  # another visitor (or worker) asks: same job
    assert again.id == job.id and not mine_again
    jobs.report(store, job.id, 3, 4)
    polled = jobs.get(store, job.id)
    assert polled.status == "running" and polled.fraction == 0.75
    jobs.finish(store, job.id, {"sum": 6})
    done, mine_done = jobs.claim(store, KIND, key, "client-3")
    assert not mine_done and done.status == "done" and done.result == {"sum": 6} and done.fraction == 1.0
    assert jobs.find(store, KIND, key) == done


def test_a_failed_job_is_redone_and_an_abandoned_one_taken_over(store: Store) -> None:
    failed, _ = jobs.claim(store, KIND, "k-failed", "c")
    jobs.fail(store, failed.id, "boom")
    assert jobs.get(store, failed.id).error == "boom"
    redo, mine = jobs.claim(store, KIND, "k-failed", "c")
    assert mine and redo.id == failed.id and redo.status == "queued" and redo.error is None

    abandoned, _ = jobs.claim(store, KIND, "k-stale", "c")
    jobs.report(store, abandoned.id, 1, 10)
    soon = datetime.now(UTC) + timedelta(seconds=5)
    assert jobs.claim(store, KIND, "k-stale", "d", now=soon)[1] is False  # its runner is still reporting
    later = datetime.now(UTC) + jobs.STALE_AFTER + timedelta(seconds=5)
    taken, mine = jobs.claim(store, KIND, "k-stale", "d", now=later)
    assert mine and taken.id == abandoned.id and taken.done == 0


def test_a_clients_jobs_under_way_are_counted_and_old_ones_pruned(store: Store) -> None:
    client = jobs.client_digest("203.0.113.7")
    assert client != "203.0.113.7" and len(client) == 32  # no address is stored
    first, _ = jobs.claim(store, KIND, "k1", client)
    jobs.claim(store, KIND, "k2", client)
    assert jobs.active_count(store, client) == 2 and jobs.active_count(store, "someone-else") == 0
    jobs.finish(store, first.id, {})
    assert jobs.active_count(store, client) == 1
    later = datetime.now(UTC) + jobs.RETAIN + timedelta(hours=1)
    jobs.claim(store, KIND, "k3", client, now=later)  # a new job prunes finished ones older than RETAIN
    with pytest.raises(NotFound):
        jobs.get(store, first.id)
