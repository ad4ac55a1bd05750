"""house.cluster: choosing the engine, and run_chunks on a real local Dask cluster (results in order, the same
as in-process; a chunk's own error raised as it was; a worker that dies is retried, one that always dies fails
the job with a ClusterError; a scheduler that does not answer is a ConfigError)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from biplomacy.core.errors import ClusterError, ConfigError, InputError
from biplomacy.house import cluster
from biplomacy.house.cluster import IN_PROCESS, Engine, choose, connect, run_chunks


def test_without_flags_or_setting_the_job_runs_in_process() -> None:
    assert choose(None, None) == IN_PROCESS
    assert choose(None, None).describe() == "in-process"


def test_the_configured_scheduler_is_used_unless_a_flag_says_otherwise() -> None:
    assert choose(None, None, "tcp://10.0.0.5:8786") == Engine(scheduler="tcp://10.0.0.5:8786")
    assert choose(None, "tcp://10.0.0.6:8786", "tcp://10.0.0.5:8786").scheduler == "tcp://10.0.0.6:8786"
    assert choose("2", None, "tcp://10.0.0.5:8786") == Engine(workers=2)


@pytest.mark.parametrize(("workers", "scheduler", "field", "words"), [
    ("two", None, "workers", "not a whole number"),
    ("0", None, "workers", "between 1 and"),
    ("100000", None, "workers", "between 1 and"),
    ("2", "tcp://10.0.0.5:8786", "workers", "not both"),
    (None, "tcp://10.0.0.5:8786; rm -rf /", "scheduler", "not a Dask scheduler address"),
])
def test_a_bad_choice_is_refused_naming_its_flag(workers: str | None, scheduler: str | None, field: str,
                                                 words: str) -> None:
    with pytest.raises(InputError, match=words) as caught:
        choose(workers, scheduler)
    assert caught.value.field == field


def _square(x: int) -> int:
    return x * x


def _refuse_seven(x: int) -> int:
    if x == 7:
        raise InputError(f"row {x}: amount is not a number", field="transactions")
    return x


def _die_once(marker: str) -> str:
    """Kills its worker process the first time it runs (the marker file says it already did)."""
    path = Path(marker)
    if not path.exists():
        path.write_text("died")
        os._exit(1)
    return "survived"


def _die_always(_: int) -> int:
    os._exit(1)


def test_in_process_runs_every_chunk_in_order_with_progress() -> None:
    seen: list[tuple[int, int]] = []
    assert run_chunks(None, _square, [3, 1, 2], job="test", progress=lambda d, t: seen.append((d, t))) == [9, 1, 4]
    assert seen == [(1, 3), (2, 3), (3, 3)]


@pytest.fixture(scope="module")
def client():  # type: ignore[no-untyped-def]
    with connect(Engine(workers=2)) as c:
        yield c


def test_a_local_cluster_gives_the_in_process_results_in_order(client) -> None:  # type: ignore[no-untyped-def]
    chunks = list(range(40))
    seen: list[int] = []
    assert run_chunks(client, _square, chunks, job="test", progress=lambda d, t: seen.append(d)) == [
        _square(c) for c in chunks]
    assert seen[-1] == 40 and len(client.scheduler_info()["workers"]) == 2


def test_a_chunks_own_error_reaches_the_caller_as_it_was(client) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InputError, match="row 7: amount is not a number") as caught:
        run_chunks(client, _refuse_seven, list(range(12)), job="test")
    assert caught.value.field == "transactions"


def test_a_worker_that_dies_once_is_retried_elsewhere(client, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert run_chunks(client, _die_once, [str(tmp_path / "marker")], job="test") == ["survived"]


def test_a_chunk_that_kills_every_worker_fails_the_job_clearly(client) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ClusterError, match=r"lost a worker 3 times running chunk 0 of 1 \(test\); nothing was") as e:
        run_chunks(client, _die_always, [0], job="test")
    assert re.search(r"a worker may use \d+\.\d GiB; a chunk needing more is killed every time", str(e.value))


def test_a_scheduler_that_does_not_answer_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cluster, "CONNECT_TIMEOUT_S", 2)
    with pytest.raises(ConfigError, match="tcp://127.0.0.1:9 does not answer within 2 s") as caught:  # noqa: SIM117
        with connect(Engine(scheduler="tcp://127.0.0.1:9")):
            pass
    assert caught.value.field == "scheduler"


@pytest.mark.parametrize(("address", "why"), [("nonsense", "missing port number"), ("tcp://host", "missing port"),
                                             ("foo://x:1", "unknown address scheme 'foo'"), ("tcp://:", "invalid")])
def test_an_address_dask_cannot_parse_is_refused_before_connecting(address: str, why: str) -> None:
    with pytest.raises(ConfigError, match=f"is not a Dask scheduler address \\({why}") as caught:  # noqa: SIM117
        with connect(Engine(scheduler=address)):
            pass
    assert caught.value.field == "scheduler" and "tcp://10.0.0.5:8786" in str(caught.value)


def test_a_running_scheduler_is_used_and_its_workers_checked(client) -> None:  # type: ignore[no-untyped-def]
    address = client.scheduler.address
    with connect(Engine(scheduler=address)) as remote:
        assert remote is not None
        assert run_chunks(remote, _square, [5, 6], job="test") == [25, 36]
