"""Fixtures for portal tests: an in-process client, a live uvicorn server, and a headless Chromium page.

Pillar engineers reuse them: `app_client` (both backends), `live_server` + `live_settings` (SQLite, a real
socket) and `browser_page` (Playwright; skips when chromium is missing unless BIPLOMACY_REQUIRE_BROWSER).
"""

from __future__ import annotations

import os
import shutil
import socket
import struct
import threading
import time
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi.testclient import TestClient

from biplomacy.config import Settings, load_settings
from biplomacy.web.app import create_app
from tests.conftest import fresh_database_url

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run"]
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 375, "height": 812}


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


def png_stats(data: bytes) -> tuple[int, int, float]:
    """(width, height, share of non-zero bytes in the filtered pixel stream) of a PNG, with zlib only.

    A uniform image filters to (almost) all zeros, so the share is near 0 for a blank screenshot and
    clearly above it for a page with text, borders and colour.
    """
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, width, height, idat = 8, 0, 0, b""
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height = struct.unpack(">II", body[:8])
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    raw = zlib.decompress(idat)
    return width, height, (len(raw) - raw.count(0)) / len(raw)
