"""Settings: environment over biplomacy.toml over defaults; a bad file is named."""

from pathlib import Path

import pytest

from biplomacy.core.config import load_settings
from biplomacy.core.errors import ConfigError


def test_environment_wins_over_the_toml_file(tmp_path: Path):
    f = tmp_path / "biplomacy.toml"
    f.write_text('database_url = "sqlite:///from-file.db"\nport = 9000\n')
    s = load_settings({"BIPLOMACY_DATABASE_URL": "sqlite:///from-env.db"}, f)
    assert s.database_url == "sqlite:///from-env.db" and s.port == 9000


def test_default_database_is_sqlite_under_var():
    s = load_settings({})
    assert s.effective_database_url == "sqlite:///var/biplomacy.sqlite3"


def test_malformed_toml_names_the_file(tmp_path: Path):
    f = tmp_path / "biplomacy.toml"
    f.write_text("port = = 1\n")
    with pytest.raises(ConfigError, match="biplomacy.toml: malformed TOML"):
        load_settings({}, f)


def test_unknown_setting_is_named(tmp_path: Path):
    f = tmp_path / "biplomacy.toml"
    f.write_text('databse_url = "x"\n')
    with pytest.raises(ConfigError, match="unknown setting 'databse_url'"):
        load_settings({}, f)


def test_bad_port_from_environment_is_named():
    with pytest.raises(ConfigError, match="BIPLOMACY_PORT"):
        load_settings({"BIPLOMACY_PORT": "eighty"})
