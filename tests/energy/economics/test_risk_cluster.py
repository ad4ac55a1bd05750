"""The Monte Carlo on a Dask cluster (#19): the same figures as in-process for the same seed, whatever the number
of workers (chunked seeds of a fixed size), a worker killed mid-job is retried, and the CLI's --workers /
--scheduler give the same JSON or a clear exit 2."""

from __future__ import annotations

import os
import signal

import numpy as np
import pytest

from biplomacy.energy.model.network import NetworkAssumptions
from biplomacy.energy.model.risk import (
    Fleet,
    RiskSettings,
    chunk_generator,
    chunks,
    simulate,
    simulate_chunk,
)
from biplomacy.energy.model.tariffs import DailyCosts
from biplomacy.energy.risk import simulate_on
from biplomacy.house.cluster import Engine, connect

NET = NetworkAssumptions.defaults()
FLEET = Fleet(hashrate_hs=100e6 / (17.5 * 1.05) * 1e12, power_mw=100, energy_price_usd_mwh=45, capex_usd=80e6)
# 1,000 paths in chunks of 300: four chunks, the last one short
SETTINGS = RiskSettings(paths=1_000, years=0.5, seed=11, chunk_paths=300)
COSTS = DailyCosts(kwh=np.full(365, 2.4e6), subsidy_pkr=np.full(365, 1e6), contribution_pkr=np.full(365, 5e5),
                   fixed_unpaid_pkr_per_year=0.0)


def test_the_paths_are_cut_into_fixed_chunks_whatever_runs_them() -> None:
    assert chunks(SETTINGS) == [(0, 300), (1, 300), (2, 300), (3, 100)]
    assert chunks(RiskSettings(paths=100_000)) == [(0, 100_000)]
    assert len(chunks(RiskSettings(paths=1_000_000))) == 10


def test_chunk_zero_is_the_seed_itself_and_later_chunks_are_independent_streams() -> None:
    first = chunk_generator(5, 0).standard_normal(4)
    assert np.array_equal(first, np.random.Generator(np.random.PCG64(5)).standard_normal(4))
    others = [chunk_generator(5, i).standard_normal(4) for i in (1, 2)]
    assert not np.array_equal(others[0], others[1]) and not np.array_equal(first, others[0])


def test_a_chunks_paths_do_not_depend_on_how_many_paths_follow_it() -> None:
    short = simulate_chunk(NET, FLEET, RiskSettings(paths=300, years=0.5, seed=11, chunk_paths=300), (0, 300))
    long = simulate_chunk(NET, FLEET, SETTINGS, (0, 300))
    assert np.array_equal(short.btc, long.btc) and np.array_equal(short.npv, long.npv)


def test_up_to_one_chunk_the_figures_are_those_of_one_stream_seeded_with_the_seed() -> None:
    whole = simulate(NET, FLEET, RiskSettings(paths=300, years=0.5, seed=11))
    cut = simulate(NET, FLEET, RiskSettings(paths=300, years=0.5, seed=11, chunk_paths=300))
    assert whole == cut


@pytest.fixture(scope="module")
def two_workers():  # type: ignore[no-untyped-def]
    with connect(Engine(workers=2)) as client:
        yield client


def test_two_workers_give_the_in_process_figures_exactly(two_workers) -> None:  # type: ignore[no-untyped-def]
    here = simulate(NET, FLEET, SETTINGS, costs=COSTS, capacity_pkr_kwh=3.0)
    there = simulate_on(Engine(scheduler=two_workers.scheduler.address), NET, FLEET, SETTINGS, costs=COSTS,
                        capacity_pkr_kwh=3.0)
    assert there == here  # every quantile, mean, band and cost spread, bit for bit
    assert here.costs is not None and here.paths == 1_000


def test_one_worker_gives_the_figures_of_two() -> None:
    one = simulate_on(Engine(workers=1), NET, FLEET, SETTINGS)
    assert one == simulate(NET, FLEET, SETTINGS)


def test_a_worker_killed_mid_job_is_retried_and_the_figures_do_not_change(two_workers) -> None:  # type: ignore[no-untyped-def]
    pids = list(two_workers.run(os.getpid).values())
    killed: list[int] = []

    def kill_one(done: int, total: int) -> None:
        if not killed:  # after the first chunk comes back, one worker dies while the others run
            killed.append(pids[0])
            os.kill(pids[0], signal.SIGKILL)

    settings = RiskSettings(paths=2_000, years=0.5, seed=3, chunk_paths=100)
    there = simulate_on(Engine(scheduler=two_workers.scheduler.address), NET, FLEET, settings, progress=kill_one)
    assert killed and there == simulate(NET, FLEET, settings)


def test_cli_workers_give_the_same_json_as_in_process(cli_nodb, tiny) -> None:  # type: ignore[no-untyped-def]
    args = ("energy", "risk", "--scenario", str(tiny), "--paths", "400", "--years", "0.5", "--seed", "4", "--json")
    here = cli_nodb(*args)
    there = cli_nodb(*args, "--workers", "2")
    assert here.exit_code == 0 and there.exit_code == 0, there.stderr
    assert there.json == here.json


@pytest.mark.parametrize(("flags", "words"), [
    (("--scheduler", "tcp://127.0.0.1:9"), "does not answer"),
    (("--workers", "0"), "between 1 and"),
    (("--workers", "2", "--scheduler", "tcp://127.0.0.1:9"), "not both"),
])
def test_cli_a_scheduler_that_does_not_answer_or_a_bad_choice_is_exit_2(cli_nodb, tiny, flags, words,  # type: ignore[no-untyped-def]
                                                                        monkeypatch) -> None:
    from biplomacy.house import cluster

    monkeypatch.setattr(cluster, "CONNECT_TIMEOUT_S", 2)
    r = cli_nodb("energy", "risk", "--scenario", str(tiny), "--paths", "50", "--years", "0.1", *flags, "--json")
    assert r.exit_code == 2, r.stderr
    assert words in r.stderr and "Traceback" not in r.stderr and r.stdout == ""
