"""Two installations on one machine, "El Salvador" and "Pakistan": two databases of the backend under test,
each with its own CLI and (when asked) its own portal."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from biplomacy.core.config import Settings, load_settings
from biplomacy.store.db import Store, make_engine
from tests.conftest import Cli, fresh_database_url


@dataclass
class Installation:
    name: str
    settings: Settings
    cli: Cli
    folder: Path

    def store(self) -> Store:
        url = self.settings.effective_database_url
        return Store(make_engine(url), url)


@pytest.fixture
def two_installations(backend: str, _templates: dict[str, str], tmp_path: Path,
                      monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Installation, Installation]]:
    made = []
    for name in ("el-salvador", "pakistan"):
        folder = tmp_path / name
        folder.mkdir()
        url = fresh_database_url(backend, _templates, folder)
        env = {"BIPLOMACY_DATABASE_URL": url, "BIPLOMACY_VAR_DIR": str(folder / "var")}
        made.append(Installation(name, load_settings(env), Cli(env, monkeypatch), folder))
    yield made[0], made[1]
