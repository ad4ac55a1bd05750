"""Several portal worker processes on one PostgreSQL (`biplomacy serve --workers N`, docs/scale-out.md).

Real processes, real sockets: two `biplomacy serve` processes on two ports share one database (so which process
answers each request is known), and one `biplomacy serve --workers 2` whose supervisor must replace a worker
that is killed. Many audited writes at once through the HTTP API must leave one unbroken audit chain with exactly
one entry per write; failed logins spread over the processes must lock the name out; a logout on one process
must end the session on the other at once; the compute budget must be one budget. SQLite refuses several
workers with a clear error.
"""

from __future__ import annotations

import copy
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from biplomacy.core.permissions import LOCAL_ADMIN
from biplomacy.house import audit, users
from biplomacy.house.tables import AuditRow
from biplomacy.store.db import Store, make_engine
from tests.aml.test_travel_rule import GOOD
from tests.conftest import fresh_database_url
from tests.vasps import ALPHA, BETA, register_vasps

BIN = Path(sys.executable).parent / "biplomacy"
SECRET = "a-long-random-test-secret-for-several-workers-0123456789"
PASSWORD = "correct horse battery staple"
ENVELOPE = copy.deepcopy(GOOD)
ENVELOPE["originatingVASP"]["originatingVASP"]["legalPerson"]["nationalIdentification"]["nationalIdentifier"] = \
    ALPHA[1]
WRITERS, WRITES_EACH = 8, 15  # 120 audited writes, from 8 threads at once, half through each process


@pytest.fixture
def pg_env(_templates: dict[str, str], tmp_path: Path) -> Iterator[tuple[dict[str, str], Store]]:
    """A fresh migrated PostgreSQL database (skipped without one, as every PostgreSQL test), the environment
    that points the portal at it, and a Store on it."""
    url = fresh_database_url("postgres", _templates, tmp_path)
    env = {**os.environ, "BIPLOMACY_DATABASE_URL": url, "BIPLOMACY_SECRET_KEY": SECRET,
           "BIPLOMACY_VAR_DIR": str(tmp_path / "var")}
    store = Store(make_engine(url), url)
    yield env, store
    store.dispose()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serving(env: dict[str, str], workers: int = 1) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """`biplomacy serve` on a free loopback port until the block ends; yields its base URL and process."""
    port = _free_port()
    process = subprocess.Popen([str(BIN), "serve", "--port", str(port), "--workers", str(workers)], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                if process.poll() is None:
                    os.killpg(process.pid, signal.SIGKILL)  # its workers too: they hold stderr open
                process.wait()
                pytest.fail(f"the portal did not start: {process.stderr.read().decode() if process.stderr else ''}")
            time.sleep(0.2)
        yield base, process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def _chain(store: Store) -> audit.VerifyResult:
    with store.read() as s:
        return audit.verify(audit.entries(s))


def _sends(store: Store) -> int:
    with store.read() as s:
        return sum(1 for e in audit.entries(s) if e.action == "travelrule.send")


def _write_many(bases: list[str], token: str, writers: int, each: int) -> list[int]:
    """`writers` threads at once, each sending `each` travel-rule inquiries (one audited write each), turn
    about through the given portals; the status of every request."""
    def writer(i: int) -> list[int]:
        codes = []
        with httpx.Client(headers={"Authorization": f"Bearer {token}"}, timeout=60) as client:
            for j in range(each):
                base = bases[(i + j) % len(bases)]
                r = client.post(f"{base}/api/v1/travel-rule/transfers",
                                json={"beneficiary_lei": BETA[1], "payload": ENVELOPE})
                codes.append(r.status_code)
        return codes

    with ThreadPoolExecutor(writers) as pool:
        return [c for codes in pool.map(writer, range(writers)) for c in codes]


def _alpha_token(store: Store) -> str:
    register_vasps(store)
    users.add_user(store, LOCAL_ADMIN, "alpha", "vasp", lei=ALPHA[1])
    return users.issue_token(store, LOCAL_ADMIN, "alpha", "several workers test")[1]


def test_concurrent_audited_writes_on_two_processes_leave_one_unbroken_chain(
        pg_env: tuple[dict[str, str], Store]) -> None:
    env, store = pg_env
    token = _alpha_token(store)
    before = _chain(store)
    assert before.ok and before.count > 0
    with serving(env) as (first, _), serving(env) as (second, _):
        for base in (first, second):  # each process renders and keeps the public audit head at this head
            assert httpx.get(f"{base}/api/v1/audit/head").json()["seq"] == before.count
        codes = _write_many([first, second], token, WRITERS, WRITES_EACH)
        # Page caches are keyed by the head each process reads from the database on every request: neither
        # serves what it kept before the other's writes.
        heads = [httpx.get(f"{base}/api/v1/audit/head").json() for base in (first, second)]
    assert codes == [201] * (WRITERS * WRITES_EACH)
    after = _chain(store)
    assert heads == [{"hash": after.head_hash, "seq": after.count}] * 2
    assert after.ok, after.reason  # one writer order: no two entries with one seq or one prev_hash
    assert after.count == before.count + WRITERS * WRITES_EACH  # exactly one entry per write, none lost
    assert _sends(store) == WRITERS * WRITES_EACH
    with store.read() as s:
        prevs = [row.prev_hash for row in s.query(AuditRow).order_by(AuditRow.seq)]
    assert len(prevs) == len(set(prevs))  # no fork: no entry is the previous of two


def _log_in(client: httpx.Client, base: str, password: str) -> httpx.Response:
    return client.post(f"{base}/login", data={"name": "sana", "password": password}, follow_redirects=False)


def test_failed_logins_spread_over_two_processes_lock_the_name_and_a_logout_ends_the_session_on_both(
        pg_env: tuple[dict[str, str], Store]) -> None:
    env, store = pg_env
    users.add_user(store, LOCAL_ADMIN, "sana", "supervisor", password=PASSWORD)
    users.add_user(store, LOCAL_ADMIN, "omar", "analyst", password=PASSWORD)
    with serving(env) as (first, _), serving(env) as (second, _), httpx.Client(timeout=30) as client:
        # A session made on one process is seen on the other; a logout on the other ends it on both at once.
        assert _log_in(client, first, PASSWORD).status_code == 303
        cookie = dict(client.cookies)
        assert client.get(f"{second}/api/v1/me").json()["signed_in"] is True
        assert client.post(f"{second}/logout", follow_redirects=False).status_code == 303
        for base in (first, second):
            assert httpx.get(f"{base}/api/v1/me", cookies=cookie).json()["signed_in"] is False, base

        # Five failures, three on one process and two on the other, lock the name from this address on both.
        bases = [first, second, first, second, first]
        assert [_log_in(client, b, f"guess {i}").status_code for i, b in enumerate(bases)] == [401] * 5
        for base in (second, first):
            refused = _log_in(client, base, PASSWORD)  # even the right password, while locked
            assert refused.status_code == 429, base
            assert int(refused.headers["retry-after"]) > 0 and "Too many failed logins" in refused.text
        # Another name from the same address is not locked by sana's failures.
        assert client.post(f"{second}/login", data={"name": "omar", "password": PASSWORD},
                           follow_redirects=False).status_code == 303


def test_concurrent_guesses_on_two_processes_get_no_more_than_the_allowed_tries(
        pg_env: tuple[dict[str, str], Store]) -> None:
    """Each admitted attempt is counted before its password is checked, under a lock on the name and address:
    24 guesses at once over two processes get exactly 5 answers of 401, whatever the timing."""
    env, store = pg_env
    users.add_user(store, LOCAL_ADMIN, "sana", "supervisor", password=PASSWORD)
    with serving(env) as (first, _), serving(env) as (second, _):
        def guess(i: int) -> int:
            with httpx.Client(timeout=60) as client:
                return _log_in(client, (first, second)[i % 2], f"guess {i}").status_code

        with ThreadPoolExecutor(8) as pool:
            codes = list(pool.map(guess, range(24)))
    assert sorted(codes) == [401] * 5 + [429] * 19


def _risk(base: str, seed: int) -> httpx.Response:
    return httpx.get(f"{base}/api/v1/energy/risk", params={"paths": 10, "years": 0.1, "seed": seed}, timeout=60)


def test_the_compute_budget_is_one_budget_across_processes(pg_env: tuple[dict[str, str], Store]) -> None:
    """A client may start 4 new runs at once, then 12 a minute (web/rate_limit.py); each new run asked for spends
    a token, even one then refused because 2 of the client's runs are under way. Five asked for within a second,
    turn about on two processes: the fifth finds the one budget spent, where per-process buckets would still
    have held two tokens on its process."""
    env, _ = pg_env
    with serving(env) as (first, _), serving(env) as (second, _):
        answers = [_risk((first, second)[seed % 2], seed) for seed in range(1, 6)]
    assert [a.status_code for a in answers[:4]].count(202) >= 1, [a.text for a in answers]
    assert all(a.status_code in {200, 202, 429} for a in answers[:4]), [a.text for a in answers]
    assert answers[4].status_code == 429, answers[4].text
    assert "too many compute requests" in answers[4].json()["detail"]
    assert int(answers[4].headers["retry-after"]) >= 1


def _workers_of(pid: int) -> set[int]:
    """The worker processes uvicorn's supervisor (a child of `pid`, or `pid` itself) runs."""
    found: set[int] = set()
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            stat = (proc / "stat").read_text()
            cmdline = (proc / "cmdline").read_bytes()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == pid and b"multiprocessing" in cmdline and b"spawn_main" in cmdline:
            found.add(int(proc.name))
    return found


def test_serve_with_two_workers_replaces_a_worker_that_dies_and_keeps_the_chain(
        pg_env: tuple[dict[str, str], Store]) -> None:
    env, store = pg_env
    token = _alpha_token(store)
    before = _chain(store).count
    with serving(env, workers=2) as (base, process):
        deadline = time.monotonic() + 60
        while len(workers := _workers_of(process.pid)) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert len(workers) == 2, workers
        assert _write_many([base], token, 4, 5) == [201] * 20
        victim = min(workers)
        os.kill(victim, signal.SIGKILL)  # a worker dies between requests: its replacement comes up
        deadline = time.monotonic() + 60
        while (victim in (now := _workers_of(process.pid)) or len(now) < 2) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert victim not in now and len(now) == 2, now
        assert _write_many([base], token, 4, 5) == [201] * 20
        assert process.poll() is None
    after = _chain(store)
    assert after.ok and after.count == before + 40


def test_several_workers_on_sqlite_are_refused_before_anything_listens(cli_nodb, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    r = cli_nodb("serve", "--workers", "2")
    assert r.exit_code == 2
    assert "--workers 2: several portal workers need PostgreSQL" in r.stderr and "Traceback" not in r.stderr
    assert not (tmp_path / "var").exists()  # not even an empty database was made


def test_a_worker_that_cannot_start_says_why_and_is_not_restarted_in_a_loop(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    from uvicorn.config import STARTUP_FAILURE

    from biplomacy.web.app import app_from_environment

    empty = tmp_path / "empty.sqlite3"  # a database no one migrated
    monkeypatch.setenv("BIPLOMACY_DATABASE_URL", f"sqlite:///{empty}")
    monkeypatch.setenv("BIPLOMACY_VAR_DIR", str(tmp_path / "var"))
    with pytest.raises(SystemExit) as exited:
        app_from_environment()
    assert exited.value.code == STARTUP_FAILURE  # uvicorn's supervisor then stops instead of restarting it
    assert "the portal cannot start" in caplog.text and "biplomacy db upgrade" in caplog.text


def test_serve_stops_with_a_clear_error_when_its_workers_cannot_start(tmp_path: Path) -> None:
    """The supervisor does not restart a worker that failed at start (it would fail the same way): the portal
    stops, and serve says so (exit 2), the worker's own reason in its log."""
    script = ("import sys\n"
              "from biplomacy.cli.serve import serve_workers\n"
              "from biplomacy.core.config import load_settings\n"
              "from biplomacy.core.errors import ConfigError\n"
              "try:\n"
              f"    serve_workers('127.0.0.1', {_free_port()}, 2, load_settings())\n"
              "except ConfigError as exc:\n"
              "    print(exc, file=sys.stderr)\n"
              "    sys.exit(2)\n")
    env = {**os.environ, "BIPLOMACY_DATABASE_URL": f"sqlite:///{tmp_path / 'never-migrated.sqlite3'}",
           "BIPLOMACY_VAR_DIR": str(tmp_path / "var")}
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stderr
    assert "the portal cannot start" in done.stderr and "biplomacy db upgrade" in done.stderr
    assert "a portal worker could not start" in done.stderr and "Traceback" not in done.stderr
