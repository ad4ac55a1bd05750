"""Faults a user meets: bad URLs, unreachable servers, missing migrations, bad config, a killed process."""

import os
import signal
import subprocess
import sys
import time

import pytest
from sqlalchemy import func, select

from biplomacy.house import audit
from biplomacy.house.tables import UserRow
from biplomacy.store.db import Store, make_engine


def run_cli(args, cwd, env_extra=None):
    env = {k: v for k, v in os.environ.items() if not k.startswith("BIPLOMACY_")}
    env.update(env_extra or {})
    return subprocess.run([sys.executable, "-m", "biplomacy.cli.main", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("not a url", "malformed"),
        ("mysql://u@localhost/x", "only sqlite and postgresql"),
        ("postgresql+psycopg://nobody@127.0.0.1:1/nothing", "cannot reach database"),
        ("sqlite:////no/such/folder/x.db", "does not exist"),
    ],
)
def test_bad_database_url_is_one_line_exit_2_nothing_written(tmp_path, url, expected):
    r = run_cli(["users", "list"], tmp_path, {"BIPLOMACY_DATABASE_URL": url})
    assert r.returncode == 2, r.stderr
    assert expected in r.stderr and "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == []


def test_unmigrated_database_is_refused_and_left_alone(tmp_path):
    db = tmp_path / "empty.sqlite3"
    r = run_cli(["users", "list"], tmp_path, {"BIPLOMACY_DATABASE_URL": f"sqlite:///{db}"})
    assert r.returncode == 2 and "biplomacy db upgrade" in r.stderr and "Traceback" not in r.stderr
    store = Store(make_engine(f"sqlite:///{db}"), f"sqlite:///{db}")
    assert not store.has_table("users")


def test_malformed_config_file_is_named(tmp_path):
    (tmp_path / "biplomacy.toml").write_text("port = [\n")
    r = run_cli(["users", "list"], tmp_path)
    assert r.returncode == 2 and "biplomacy.toml" in r.stderr and "Traceback" not in r.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["biplomacy.toml"]


def test_sigkill_mid_bulk_write_keeps_every_committed_batch_and_no_partial_one(db_url, tmp_path):
    batch = 50
    env = {k: v for k, v in os.environ.items() if not k.startswith("BIPLOMACY_")}
    env["BIPLOMACY_DATABASE_URL"] = db_url
    proc = subprocess.Popen([sys.executable, "-m", "biplomacy.cli.main", "db", "stress-write", "1000000",
                             "--batch", str(batch)], cwd=tmp_path, env=env, stdout=subprocess.PIPE, text=True)
    reported = 0
    deadline = time.monotonic() + 60
    assert proc.stdout is not None
    while reported < 5 * batch and time.monotonic() < deadline:
        line = proc.stdout.readline()
        if line.startswith("committed"):
            reported = int(line.split()[1])
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert reported >= 5 * batch, "the writer did not get going"
    store = Store(make_engine(db_url), db_url)
    with store.read() as s:
        count = s.execute(select(func.count()).select_from(UserRow)).scalar_one()
        result = audit.verify(audit.entries(s))
    store.dispose()
    assert count >= reported, "a batch reported committed is missing"
    assert count % batch == 0, "a partial batch survived the kill"
    assert result.ok and result.count == count // batch


def test_no_database_yet_is_refused_and_nothing_is_created(tmp_path):
    r = run_cli(["users", "list"], tmp_path)  # the default: var/biplomacy.sqlite3 under the working folder
    assert r.returncode == 2 and "biplomacy db upgrade" in r.stderr and "Traceback" not in r.stderr
    assert list(tmp_path.iterdir()) == []
