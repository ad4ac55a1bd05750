"""Shared fixtures: a migrated store on SQLite and on PostgreSQL, and an in-process CLI runner."""

from __future__ import annotations

import io
import json
import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from biplomacy.adapters.store import migrate
from biplomacy.adapters.store.db import Store, make_engine
from biplomacy.config import Settings, load_settings

BACKENDS = ("sqlite", "postgres")


def _pg_url() -> str | None:
    return os.environ.get("BIPLOMACY_TEST_POSTGRES_URL")


def _skip_or_fail(reason: str) -> None:
    if os.environ.get("BIPLOMACY_REQUIRE_POSTGRES"):
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def _templates(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> dict[str, str]:
    """One migrated template database per backend and xdist worker, cloned for every test."""
    out: dict[str, str] = {}
    base = tmp_path_factory.mktemp("tmpl")
    sqlite_file = base / "template.sqlite3"
    store = Store(make_engine(f"sqlite:///{sqlite_file}"), f"sqlite:///{sqlite_file}")
    migrate.upgrade(store)
    store.dispose()
    out["sqlite"] = str(sqlite_file)
    pg = _pg_url()
    if pg:
        name = f"tmpl_{worker_id}_{uuid.uuid4().hex[:6]}"
        admin = create_engine(pg, isolation_level="AUTOCOMMIT")
        with admin.connect() as c:
            c.execute(text(f'CREATE DATABASE "{name}"'))
        url = make_url(pg).set(database=name).render_as_string(hide_password=False)
        store = Store(make_engine(url), url)
        migrate.upgrade(store)
        store.dispose()
        admin.dispose()
        out["postgres"] = name
    return out


def fresh_database_url(backend: str, templates: dict[str, str], tmp_path: Path) -> str:
    """A new, migrated, empty database of `backend` for one test."""
    if backend == "sqlite":
        target = tmp_path / "biplomacy.sqlite3"
        shutil.copyfile(templates["sqlite"], target)
        return f"sqlite:///{target}"
    pg = _pg_url()
    if not pg or "postgres" not in templates:
        _skip_or_fail("no PostgreSQL server (BIPLOMACY_TEST_POSTGRES_URL unset); make test starts one")
    assert pg is not None
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(pg, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{templates["postgres"]}"'))
    admin.dispose()
    return make_url(pg).set(database=name).render_as_string(hide_password=False)


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def db_url(backend: str, _templates: dict[str, str], tmp_path: Path) -> str:
    """URL of a fresh migrated database; tests using it run once on SQLite and once on PostgreSQL."""
    return fresh_database_url(backend, _templates, tmp_path)


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    return load_settings({"BIPLOMACY_DATABASE_URL": db_url, "BIPLOMACY_VAR_DIR": str(tmp_path / "var")})


@pytest.fixture
def store(settings: Settings) -> Iterator[Store]:
    s = Store(make_engine(settings.effective_database_url), settings.effective_database_url)
    yield s
    s.dispose()


@dataclass
class Result:
    exit_code: int
    stdout: str
    stderr: str

    @property
    def json(self) -> Any:
        return json.loads(self.stdout)


class Cli:
    """Runs `biplomacy ARGS` in-process with the given environment, capturing stdout and stderr."""

    def __init__(self, env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
        self.env = env
        self.monkeypatch = monkeypatch

    def __call__(self, *args: str) -> Result:
        from biplomacy.cli.main import run

        for k, v in self.env.items():
            self.monkeypatch.setenv(k, v)
        out, err = io.StringIO(), io.StringIO()
        code = 0
        with redirect_stdout(out), redirect_stderr(err):
            try:
                run(list(args))
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        return Result(code, out.getvalue(), err.getvalue())


@pytest.fixture
def cli(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Cli:
    """The CLI on a fresh migrated database (SQLite and PostgreSQL)."""
    return Cli({"BIPLOMACY_DATABASE_URL": db_url, "BIPLOMACY_VAR_DIR": str(tmp_path / "var")}, monkeypatch)


@pytest.fixture
def cli_nodb(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Cli:
    """The CLI for commands that need no database (pure calculations, file checks)."""
    monkeypatch.chdir(tmp_path)
    return Cli({"BIPLOMACY_VAR_DIR": str(tmp_path / "var")}, monkeypatch)
