"""Shared fixtures: a migrated store on SQLite and on PostgreSQL, an in-process CLI runner, and the portal
(in-process client, live uvicorn server, headless Chromium page), each defined once for the whole suite."""

from __future__ import annotations

import io
import json
import os
import shutil
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from biplomacy.core.config import Settings, load_settings
from biplomacy.store import migrate
from biplomacy.store.db import Store, make_engine
from biplomacy.web.app import create_app
from tests.web.conftest import CHROMIUM_ARGS, DESKTOP

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


# The portal: pillar tests reuse these (`app_client` on both backends, `live_server` + `live_settings` on
# SQLite with a real socket, `browser_page`: Playwright, skips when chromium is missing unless
# BIPLOMACY_REQUIRE_BROWSER).

@pytest.fixture
def app_client(settings: Settings) -> Iterator[TestClient]:
    """The portal in-process on a fresh migrated database (runs on SQLite and on PostgreSQL)."""
    with TestClient(create_app(settings)) as client:
        yield client


@pytest.fixture
def live_settings(_templates: dict[str, str], tmp_path: Path) -> Settings:
    """Settings of the live server: a fresh migrated SQLite database of its own."""
    url = fresh_database_url("sqlite", _templates, tmp_path)
    return load_settings({"BIPLOMACY_DATABASE_URL": url, "BIPLOMACY_VAR_DIR": str(tmp_path / "var"),
                          "BIPLOMACY_SECRET_KEY": "test-secret-for-live-server"})


@pytest.fixture
def live_server(live_settings: Settings) -> Iterator[str]:
    """uvicorn serving the portal on a free loopback port in a background thread; yields the base URL."""
    with serve_portal(live_settings) as url:
        yield url


@contextmanager
def serve_portal(settings: Settings) -> Iterator[str]:
    """The portal of `settings` served by uvicorn on a free loopback port (for fixtures of any scope)."""
    live_settings = settings
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(live_settings), log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            pytest.fail("the live portal server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def _missing_browser(reason: str) -> None:
    if os.environ.get("BIPLOMACY_REQUIRE_BROWSER"):
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def _browser() -> Iterator[Any]:
    """One headless Chromium for the session (Debian's chromium package, driven by Playwright)."""
    executable = shutil.which("chromium")
    if executable is None:
        _missing_browser("chromium is not installed (apt-get install chromium); set BIPLOMACY_REQUIRE_BROWSER=1 to fail")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing_browser("playwright is not installed")
    manager = sync_playwright().start()
    try:
        browser = manager.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)
    except Exception as exc:  # noqa: BLE001 - any launch failure means "no usable browser here"
        manager.stop()
        _missing_browser(f"chromium at {executable} did not start: {exc}")
    try:
        yield browser
    finally:
        browser.close()
        manager.stop()


@pytest.fixture
def browser_page(_browser: Any) -> Iterator[Any]:
    """A fresh page (its own cookie jar) at desktop size; call page.set_viewport_size(PHONE) for a phone."""
    context = _browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    page.set_default_timeout(10_000)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    # Console errors include blocked scripts (Content-Security-Policy) and assets that failed to load.
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.js_errors = errors  # tests assert the page raised no JavaScript or console error
    try:
        yield page
    finally:
        context.close()
