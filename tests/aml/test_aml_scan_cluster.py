"""supervise aml scan on a Dask cluster (aml/scan_cluster.py): the same alerts, in the same order, with the same
summary as the in-process scan of the same files, on our generator's data (every typology, sanctions exposure,
scatter-gather and bipartite planted), on a Parquet partition folder, on AMLSim's fixture and with a calibrated
profile; and each bad input (a bad row in a partition, a scheduler that does not answer, a worker that dies)."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from biplomacy.aml.calibrate import calibrate_files
from biplomacy.aml.model import partition
from biplomacy.aml.model.generator import generate
from biplomacy.aml.model.generator_parts import part
from biplomacy.aml.profiles import load
from biplomacy.aml.scan import scan_paths, shipped_sanctions
from biplomacy.house.cluster import Engine, connect

FIXTURE = Path(__file__).parent / "data" / "amlsim-20K_fanin200-cut"
COLUMNS = ("tx_id", "timestamp", "from_account", "to_account", "amount", "asset", "vasp")


@pytest.fixture(scope="module")
def scheduler():  # type: ignore[no-untyped-def]
    """A local cluster of 2 workers for the module, reached as --scheduler ADDRESS (a cluster start per scan
    would cost more than the scans)."""
    with connect(Engine(workers=2)) as client:
        yield client.scheduler.address


def _planted_rows(sdn: str) -> list[list[str]]:
    """What the generator does not plant: exposure to a listed address (one and two hops), a scatter-gather
    (one sender reaching one receiver through three intermediaries) and a bipartite block (three senders each
    paying the same two receivers)."""
    t = "2025-03-0{}T{:02d}:00:00+00:00"
    rows = [["x-sdn-1", t.format(2, 1), sdn, "EXP1", "5000.00", "USDT", "VASP-A"],
            ["x-sdn-2", t.format(2, 5), "EXP1", "EXP2", "4000.00", "USDT", "VASP-B"]]
    for j, m in enumerate(("SGM1", "SGM2", "SGM3")):
        rows += [[f"x-sg-a{j}", t.format(3, 1 + j), "SGA", m, "3000.00", "USDT", "VASP-A"],
                 [f"x-sg-b{j}", t.format(3, 10 + j), m, "SGB", "2900.00", "USDT", "VASP-B"]]
    for j, s in enumerate(("BPS1", "BPS2", "BPS3")):
        rows += [[f"x-bp-{j}a", t.format(4, 1 + j), s, "BPR1", "700.00", "USDT", "VASP-C"],
                 [f"x-bp-{j}b", t.format(4, 5 + j), s, "BPR2", "650.00", "USDT", "VASP-C"]]
    return rows


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Our generator's set (every typology) plus the planted rows above, as two VASPs' CSV files."""
    out = tmp_path_factory.mktemp("generated")
    c = generate(24_000, 3, 5).columns
    rows = [list(r) for r in zip(*[c[k] for k in COLUMNS], strict=True)]
    rows += _planted_rows(sorted(shipped_sanctions().addresses)[0])
    paths = []
    for name, part_rows in (("vasp-1.csv", rows[::2]), ("vasp-2.csv", rows[1::2])):
        with (out / name).open("w", newline="") as f:
            w = csv.writer(f)
            w.writerow(COLUMNS)
            w.writerows(part_rows)
        paths.append(out / name)
    return paths


def _same(paths: list[Path], address: str, profile: Path | None = None) -> dict[str, int]:
    used = load(profile) if profile is not None else None
    here = scan_paths(paths, used)
    there = scan_paths(paths, used, Engine(scheduler=address))
    assert [a.to_json() for a in there.alerts] == [a.to_json() for a in here.alerts]
    assert there.summary == here.summary
    return here.summary.by_rule


def test_the_cluster_raises_the_in_process_alerts_on_the_generators_data(generated, scheduler, tmp_path: Path) -> None:
    by_rule = _same(generated, scheduler)
    every = {"structuring", "fan_out", "fan_in", "pass_through", "cycle", "cross_vasp_cycle", "sanctioned_exposure",
             "peel_chain", "dormant_wake", "scatter_gather", "gather_scatter", "bipartite", "stack", "random"}
    assert every <= set(by_rule), every - set(by_rule)
    whole = tmp_path / "whole.csv"  # one file keeps its own order (several are put in time order)
    whole.write_text(generated[0].read_text() + generated[1].read_text().split("\n", 1)[1])
    one_file = _same([whole], scheduler)
    assert {"scatter_gather", "gather_scatter", "stack"} <= set(one_file), one_file


def test_a_folder_of_parquet_partitions_scans_as_its_parts_together(tmp_path: Path, scheduler) -> None:
    folder = tmp_path / "parts"
    folder.mkdir()
    for p in range(3):
        made = part(p, 8_000, 6_000, 3, 7)
        pq.write_table(pa.table({k: pa.array(v.tolist(), pa.string()) for k, v in made.columns.items()}),
                       folder / f"part-{p:05d}.parquet")
    (folder / "_SUCCESS").write_text("")  # what Spark writes beside the parts: left out
    by_rule = _same([folder], scheduler)
    assert by_rule["cycle"] == by_rule["cross_vasp_cycle"] == by_rule["peel_chain"] == 3 * 3


def test_amlsims_fixture_and_a_calibrated_profile_give_the_same_alerts(tmp_path: Path, scheduler) -> None:
    tx = FIXTURE / "transactions.csv"
    assert _same([tx], scheduler)  # one file: its own order, not re-sorted by time
    out = tmp_path / "fanin.json"
    calibrate_files([tx], FIXTURE / "nodes.csv", out)
    _same([tx], scheduler, out)


def test_a_learned_scorer_profile_gives_the_in_process_alerts_and_explanations(tmp_path: Path, generated,
                                                                               scheduler) -> None:
    """The learned scorer's features read the whole table (neighbours' flags, low amounts anywhere); on the
    cluster each bucket scores its own accounts and the alerts, scores and top features are the same."""
    tx = FIXTURE / "transactions.csv"
    out = tmp_path / "gbt.json"
    calibrate_files([tx], FIXTURE / "nodes.csv", out, model="gbt")
    by_rule = _same([tx], scheduler, out)
    assert by_rule.get("learned", 0) > 0  # the model raises accounts here: the comparison covers its alerts
    two_files = _same(generated, scheduler, out)  # two files: the in-process scan sorts them by time
    assert two_files.get("learned", 0) > 0, two_files


def test_buckets_are_the_same_in_every_process_and_for_any_array() -> None:
    names = np.asarray(["U1", "VASP-customer-0042", "p3.CY1-2", "Ü-ß"])
    alone = [int(partition.bucket_of(np.asarray([n]), 97)[0]) for n in names]
    assert partition.bucket_of(names, 97).tolist() == alone
    assert partition.bucket_of(np.asarray(["U1"]), 2**31).tolist() == [1647229564]  # fixed: no per-process salt


def _bad_partition(tmp_path: Path) -> Path:
    folder = tmp_path / "bad"
    folder.mkdir()
    for p in range(2):
        cols = {k: v.tolist() for k, v in part(p, 3_000, 2_000, 3, 3).columns.items()}
        if p == 1:
            cols["amount"][4] = "12,50"  # a decimal comma: not an amount
        pq.write_table(pa.table({k: pa.array(v, pa.string()) for k, v in cols.items()}),
                       folder / f"part-{p:05d}.parquet")
    return folder


def test_a_partition_with_a_bad_row_is_named_and_nothing_is_written(cli, tmp_path: Path, scheduler) -> None:
    folder = _bad_partition(tmp_path)
    r = cli("supervise", "aml", "scan", "--transactions", str(folder), "--scheduler", scheduler, "--store", "--json")
    assert r.exit_code == 2
    assert "part-00001.parquet: row 6, amount" in r.stderr and "'12,50' is not a non-negative amount" in r.stderr
    assert r.stdout == ""
    assert json.loads(cli("supervise", "aml", "cases", "--json").stdout) == []  # no scan stored
    assert not list(folder.glob(".biplomacy-aml-scan-*"))  # the scratch folder is gone


def test_the_cli_with_workers_prints_what_the_in_process_scan_prints(cli_nodb, generated) -> None:
    args = ["supervise", "aml", "scan", *[x for p in generated for x in ("--transactions", str(p))], "--json"]
    here, there = cli_nodb(*args), cli_nodb(*args, "--workers", "2")
    assert here.exit_code == there.exit_code == 0, there.err
    assert json.loads(there.stdout) == json.loads(here.stdout)


def test_a_scheduler_that_does_not_answer_is_a_clear_error(cli_nodb, generated) -> None:
    r = cli_nodb("supervise", "aml", "scan", "--transactions", str(generated[0]), "--scheduler", "tcp://127.0.0.1:9")
    assert r.exit_code == 2
    assert "Dask scheduler tcp://127.0.0.1:9 does not answer" in r.stderr and "--scheduler" in r.stderr
    assert r.stdout == ""


def test_a_worker_killed_mid_scan_is_replaced_and_the_alerts_are_whole(generated, tmp_path: Path) -> None:
    """The scan runs as its own process (`supervise aml scan --scheduler`), as a user runs it: one Dask client per
    process (two clients in one process's threads trip distributed's event loops, dask/distributed#4317)."""
    here = scan_paths(generated, None)
    copies = []
    for p in generated:  # the scratch folder goes beside the inputs: copy them where this test can watch it
        copies.append(tmp_path / p.name)
        copies[-1].write_bytes(p.read_bytes())
    biplomacy = str(Path(sys.executable).with_name("biplomacy"))
    with connect(Engine(workers=2)) as client:
        pids = list(client.run(os.getpid).values())
        scan = subprocess.Popen([biplomacy, "supervise", "aml", "scan", *[x for c in copies for x in ("--transactions", str(c))],
                                 "--scheduler", client.scheduler.address, "--json"],
                                env={**os.environ, "BIPLOMACY_VAR_DIR": str(tmp_path / "var")},
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 120
        while not list(tmp_path.glob(".biplomacy-aml-scan-*/b*")) and time.monotonic() < deadline:
            time.sleep(0.05)
        os.kill(pids[0], signal.SIGKILL)  # mid-job: the split has begun writing buckets
        out, err = scan.communicate(timeout=600)
    assert scan.returncode == 0, err
    assert json.loads(out)["alerts"] == [a.to_json() for a in here.alerts]
