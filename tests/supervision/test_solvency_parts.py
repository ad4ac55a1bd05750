"""A proof-of-solvency snapshot built in parts on Dask (#19): the same root and proofs as the in-process build for
the same snapshot key and liabilities, whatever the number of workers; a bad row in any part is an error naming
the file and its row, and nothing is written; a worker killed mid-job is retried; the CLI's --workers/--scheduler."""

from __future__ import annotations

import json
import os
import signal
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from biplomacy.core.errors import InputError
from biplomacy.house.cluster import IN_PROCESS, Engine, connect
from biplomacy.supervision import solvency_parts
from biplomacy.supervision.model.solvency import (
    build_snapshot,
    file_safe_id,
    read_liabilities_csv,
    render_proofs,
    verify_proof,
)
from biplomacy.supervision.solvency_parts import build_in_parts, partition_proof

KEY = bytes(range(32))
WHEN = datetime(2026, 12, 6, tzinfo=UTC)


def liabilities(path: Path, users: int = 1_500) -> Path:
    """Users with a BTC balance, every third one a USDT balance too, on a row far from their first."""
    rng = np.random.default_rng(5)
    rows = ["user_id,asset,balance,unit"]
    rows += [f"acct-{i:05d},BTC,{int(rng.integers(0, 2 * 10**9))},sat" for i in range(users)]
    rows += [f"acct-{i:05d},USDT,{int(rng.integers(0, 10**9))},micro-USDT" for i in range(0, users, 3)]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


@pytest.fixture(autouse=True)
def small_parts(monkeypatch: pytest.MonkeyPatch) -> None:
    # many parts, buckets and subtrees from a small file (both are the client's choices, sent to the workers)
    monkeypatch.setattr(solvency_parts, "PART_BYTES", 6_000)
    monkeypatch.setattr(solvency_parts, "SUBTREE_LEAVES", 128)


@pytest.fixture(scope="module")
def two_workers():  # type: ignore[no-untyped-def]
    with connect(Engine(workers=2)) as client:
        yield Engine(scheduler=client.scheduler.address), client


def in_process(path: Path):  # type: ignore[no-untyped-def]
    data = read_liabilities_csv(path.read_text(encoding="utf-8"))
    return build_snapshot(data, height=7, time=WHEN, random_bytes=lambda k: KEY[:k])


def test_parts_on_two_workers_give_the_in_process_root_and_every_proof(tmp_path: Path, two_workers) -> None:  # type: ignore[no-untyped-def]
    src = liabilities(tmp_path / "l.csv")
    snap = in_process(src)
    built = build_in_parts(src, tmp_path / "out", two_workers[0], height=7, key=KEY, time=WHEN,
                           layout="partitions")
    assert built.root == snap.tree.root.hex() and built.users == 1_500
    assert json.loads((tmp_path / "out" / "root.json").read_text()) == snap.root_document()
    assert len(list((tmp_path / "out" / "proofs").glob("subtree-*.npz"))) == 2048 // 128
    root = snap.root_document()
    for user, text in render_proofs(snap):
        mine = partition_proof(tmp_path / "out", user)
        assert mine == text
    assert verify_proof(json.loads(mine), root) is None


def test_by_default_the_workers_write_the_in_process_builds_files(tmp_path: Path, two_workers) -> None:  # type: ignore[no-untyped-def]
    src = liabilities(tmp_path / "l.csv")
    snap = in_process(src)
    build_in_parts(src, tmp_path / "out", two_workers[0], height=7, key=KEY, time=WHEN)
    written = {p.name: p.read_text(encoding="utf-8") for p in (tmp_path / "out" / "proofs").iterdir()}
    assert written == {f"{file_safe_id(user)}.json": text for user, text in render_proofs(snap)}
    assert json.loads((tmp_path / "out" / "root.json").read_text()) == snap.root_document()


def test_the_root_does_not_depend_on_the_number_of_workers(tmp_path: Path, two_workers) -> None:  # type: ignore[no-untyped-def]
    src = liabilities(tmp_path / "l.csv", 700)
    one = build_in_parts(src, tmp_path / "one", Engine(workers=1), key=KEY, time=WHEN)
    two = build_in_parts(src, tmp_path / "two", two_workers[0], key=KEY, time=WHEN)
    here = build_in_parts(src, tmp_path / "here", IN_PROCESS, key=KEY, time=WHEN)
    assert one.root == two.root == here.root == in_process(src).tree.root.hex()


def _rows(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


@pytest.mark.parametrize(("row", "text", "words"), [
    (1_200, "acct-01199,BTC,-5,sat", "row 1200.balance: '-5' is negative"),
    (1_700, "acct-00042,USDT,17,micro-USDT", "row 1700: duplicate user and asset (acct-00042, USDT)"),
    (1_800, "acct-00300,USDT,17,cents", "row 1800.unit: 'cents' differs from 'micro-USDT'"),
])
def test_a_bad_row_in_any_part_names_the_file_and_row_and_nothing_is_written(tmp_path: Path, row: int,
                                                                              text: str, words: str) -> None:
    src = liabilities(tmp_path / "l.csv")
    out = tmp_path / "out"
    build_in_parts(src, out, IN_PROCESS, key=KEY, time=WHEN)
    before = (out / "root.json").read_text()
    lines = _rows(src)
    lines[row - 1] = text
    src.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        build_in_parts(src, out, IN_PROCESS, key=KEY, time=WHEN)
    assert str(src) in str(caught.value) and words in str(caught.value)
    assert (out / "root.json").read_text() == before  # the earlier snapshot is untouched
    assert sorted(p.name for p in out.iterdir()) == ["proofs", "root.json"]  # no staging folder left


def test_a_worker_killed_mid_build_is_retried_and_the_root_is_the_same(tmp_path: Path, two_workers) -> None:  # type: ignore[no-untyped-def]
    engine, client = two_workers
    pids = list(client.run(os.getpid).values())
    killed: list[int] = []

    def kill_one(done: int, total: int) -> None:
        if not killed:
            killed.append(pids[0])
            os.kill(pids[0], signal.SIGKILL)

    src = liabilities(tmp_path / "l.csv")
    built = build_in_parts(src, tmp_path / "out", engine, key=KEY, time=WHEN, progress=kill_one)
    assert killed and built.root == in_process(src).tree.root.hex()


def test_cli_workers_build_then_a_users_proof_verifies(cli_nodb, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    src = liabilities(tmp_path / "l.csv", 400)
    r = cli_nodb("supervise", "solvency", "build", "--liabilities", str(src), "--out", str(tmp_path / "snap"),
                 "--workers", "2", "--proofs", "partitions", "--json")
    assert r.exit_code == 0, r.stderr
    assert r.json["users"] == 400 and r.json["totals"]["BTC"] > 0
    here = cli_nodb("supervise", "solvency", "build", "--liabilities", str(src), "--out", str(tmp_path / "one"),
                    "--json")
    assert here.json["totals"] == r.json["totals"] and here.json["depth"] == r.json["depth"]
    files = cli_nodb("supervise", "solvency", "build", "--liabilities", str(src), "--out", str(tmp_path / "files"),
                     "--workers", "2", "--json")
    assert files.exit_code == 0, files.stderr
    assert sorted(p.name for p in (tmp_path / "files" / "proofs").iterdir()) == sorted(
        p.name for p in (tmp_path / "one" / "proofs").iterdir())
    bad = cli_nodb("supervise", "solvency", "build", "--liabilities", str(src), "--out", str(tmp_path / "bad"),
                   "--proofs", "zip")
    assert bad.exit_code == 2 and "--proofs: 'zip' is not one of files, partitions" in bad.stderr
    p = cli_nodb("supervise", "solvency", "proof", "--snapshot", str(tmp_path / "snap"), "--user", "acct-00123",
                 "--out", str(tmp_path / "p.json"))
    assert p.exit_code == 0, p.stderr
    v = cli_nodb("supervise", "solvency", "verify", "--proof", str(tmp_path / "p.json"), "--root",
                 str(tmp_path / "snap" / "root.json"), "--json")
    assert v.json["valid"] is True
    nobody = cli_nodb("supervise", "solvency", "proof", "--snapshot", str(tmp_path / "snap"), "--user", "nobody")
    assert nobody.exit_code == 2 and "'nobody' is not in the snapshot" in nobody.stderr


def test_cli_a_bad_row_or_a_silent_scheduler_is_exit_2_and_nothing_is_written(cli_nodb, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                                              monkeypatch) -> None:
    from biplomacy.house import cluster

    src = liabilities(tmp_path / "l.csv", 400)
    lines = _rows(src)
    lines[300] = "acct-00299,BTC,12x,sat"
    src.write_text("\n".join(lines) + "\n", encoding="utf-8")
    r = cli_nodb("supervise", "solvency", "build", "--liabilities", str(src), "--out", str(tmp_path / "snap"),
                 "--workers", "2", "--json")
    assert r.exit_code == 2 and "row 301.balance: '12x' is not a non-negative integer" in r.stderr
    assert str(src) in r.stderr and "Traceback" not in r.stderr
    assert list((tmp_path / "snap").iterdir()) == []
    monkeypatch.setattr(cluster, "CONNECT_TIMEOUT_S", 2)
    r = cli_nodb("supervise", "solvency", "build", "--liabilities", str(src), "--out", str(tmp_path / "snap"),
                 "--scheduler", "tcp://127.0.0.1:9", "--json")
    assert r.exit_code == 2 and "does not answer" in r.stderr and "Traceback" not in r.stderr
    assert list((tmp_path / "snap").iterdir()) == []
