"""Benchmark: what the per-request session re-check costs (portal session hardening).

A signed-in request now re-reads its user (users.session_state: one indexed read of the users table); an
anonymous request does no such read. This measures, on a fresh migrated database:
1. users.session_state alone, N calls (the added work per signed-in request);
2. GET /api/v1/me through the whole app in-process (TestClient), anonymous versus signed in by cookie,
   interleaved request by request so that load from other processes falls on both alike.
Results are appended to bench/RESULTS-portal-sessions.md with the load average and the command.

Run: .venv/bin/python bench/bench_session_check.py [--requests 2000] [--postgres postgresql+psycopg://...]
(--postgres: a server URL; the bench creates a database of its own there and drops it at the end.)
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from biplomacy.core.config import load_settings
from biplomacy.core.permissions import LOCAL_ADMIN
from biplomacy.house import users
from biplomacy.store import migrate
from biplomacy.store.db import Store, make_engine
from biplomacy.web.app import create_app

RESULTS = Path(__file__).with_name("RESULTS-portal-sessions.md")
PASSWORD = "a long enough bench password"


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


@contextmanager
def database(folder: str, postgres: str | None) -> Iterator[str]:
    """A fresh database URL: a SQLite file in `folder`, or a new database on the `postgres` server, dropped after."""
    if not postgres:
        yield f"sqlite:///{folder}/bench.sqlite3"
        return
    name = f"bench_sessions_{uuid.uuid4().hex[:10]}"
    admin = create_engine(postgres, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(postgres).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=2000)
    ap.add_argument("--postgres", default=None, help="a PostgreSQL server URL (default: SQLite in a temp folder)")
    args = ap.parse_args()
    load = open("/proc/loadavg").read().split()[:3]
    with tempfile.TemporaryDirectory() as folder, database(folder, args.postgres) as url:
        settings = load_settings({"BIPLOMACY_DATABASE_URL": url, "BIPLOMACY_VAR_DIR": folder,
                                  "BIPLOMACY_SECRET_KEY": "bench-secret-" + "x" * 32})
        store = Store(make_engine(url), url)
        migrate.upgrade(store)
        name = f"bench-{os.getpid()}"
        users.add_user(store, LOCAL_ADMIN, name, "supervisor", password=PASSWORD)
        for i in range(200):  # a users table that is not trivially small
            users.add_user(store, LOCAL_ADMIN, f"{name}-{i}", "analyst")

        n = args.requests
        direct = []
        for _ in range(n):
            t = time.perf_counter()
            assert users.session_state(store, name) is not None
            direct.append(time.perf_counter() - t)

        anon, signed = [], []
        with TestClient(create_app(settings)) as c, TestClient(create_app(settings)) as s:
            assert s.post("/login", data={"name": name, "password": PASSWORD}, follow_redirects=False).status_code == 303
            assert s.get("/api/v1/me").json()["signed_in"] and not c.get("/api/v1/me").json()["signed_in"]
            for _ in range(n):
                for client, into in ((c, anon), (s, signed)):
                    t = time.perf_counter()
                    client.get("/api/v1/me")
                    into.append(time.perf_counter() - t)
        store.dispose()

    backend = url.split(":")[0].split("+")[0]
    lines = [
        f"### Session re-check, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.machine()}, {os.cpu_count()} CPUs "
        f"(shared), Python {platform.python_version()}, {backend}",
        f"Command: `.venv/bin/python bench/bench_session_check.py --requests {n}"
        + (" --postgres <server URL>" if args.postgres else "") + f"`; load average {' '.join(load)} at start",
        "",
        f"- users.session_state alone ({n} calls): p50 {pct(direct, 0.5):.3f} ms, p99 {pct(direct, 0.99):.3f} ms, "
        f"mean {statistics.fmean(direct) * 1000:.3f} ms",
        f"- GET /api/v1/me in-process, anonymous: p50 {pct(anon, 0.5):.3f} ms, p99 {pct(anon, 0.99):.3f} ms",
        f"- GET /api/v1/me in-process, signed in (cookie, re-checked): p50 {pct(signed, 0.5):.3f} ms, "
        f"p99 {pct(signed, 0.99):.3f} ms",
        f"- difference of medians (signed in - anonymous): {pct(signed, 0.5) - pct(anon, 0.5):.3f} ms",
        "",
    ]
    text = "\n".join(lines)
    print(text)
    if not RESULTS.exists():
        RESULTS.write_text("# Portal sessions: cost of re-checking the user on each signed-in request\n\n")
    with RESULTS.open("a") as f:
        f.write(text + "\n")


if __name__ == "__main__":
    main()
