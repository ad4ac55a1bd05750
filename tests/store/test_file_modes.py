"""The SQLite file holds password hashes, personal data and the audit log: it is its owner's alone (0600), and
so are its -wal and -shm files; the var folder is 0700. (The finding: 0644, readable by every local user.)"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from biplomacy.core.config import load_settings
from biplomacy.store import migrate
from biplomacy.store.db import open_store


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_database_and_its_folder_are_private(tmp_path: Path) -> None:
    old = os.umask(0o022)  # the usual umask, under which the file was 0644
    try:
        settings = load_settings({"BIPLOMACY_VAR_DIR": str(tmp_path / "var")})
        store = open_store(settings)
        migrate.upgrade(store)
        store.dispose()
    finally:
        os.umask(old)
    db = tmp_path / "var" / "biplomacy.sqlite3"
    assert _mode(db) == 0o600 and _mode(tmp_path / "var") == 0o700
    for side in (db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")):
        assert not side.exists() or _mode(side) == 0o600


def test_an_existing_world_readable_database_is_made_private_when_opened(tmp_path: Path) -> None:
    settings = load_settings({"BIPLOMACY_VAR_DIR": str(tmp_path / "var")})
    open_store(settings).dispose()
    db = tmp_path / "var" / "biplomacy.sqlite3"
    os.chmod(db, 0o644)
    open_store(settings).dispose()
    assert _mode(db) == 0o600
