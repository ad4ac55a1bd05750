"""`biplomacy serve` refuses to start where it would fail or be unsafe, with a one-line message."""

from __future__ import annotations

import pytest

from biplomacy.cli.serve import check_secret
from biplomacy.core.config import Settings
from biplomacy.core.errors import ConfigError
from tests.conftest import Cli


def test_serve_refuses_when_there_is_no_database_yet(cli_nodb: Cli) -> None:
    result = cli_nodb("serve", "--port", "8765")
    assert result.exit_code == 2
    assert "does not exist yet" in result.stderr and "biplomacy db upgrade" in result.stderr


def test_serve_refuses_an_unmigrated_database(cli_nodb: Cli, tmp_path) -> None:
    import sqlite3

    (tmp_path / "var").mkdir()
    sqlite3.connect(tmp_path / "var" / "biplomacy.sqlite3").close()  # an empty database file, no tables
    result = cli_nodb("serve", "--port", "8765")
    assert result.exit_code == 2
    assert "not migrated" in result.stderr and "biplomacy db upgrade" in result.stderr
    assert "Traceback" not in result.stderr


def test_serve_refuses_a_public_address_with_the_default_secret(cli: Cli) -> None:
    result = cli("serve", "--host", "0.0.0.0", "--port", "8765")
    assert result.exit_code == 2
    assert "BIPLOMACY_SECRET_KEY" in result.stderr


def test_serve_rejects_a_port_out_of_range(cli_nodb: Cli) -> None:
    result = cli_nodb("serve", "--port", "70000")
    assert result.exit_code == 2
    assert "Traceback" not in result.stderr


STRONG = "kQ3v9_xT1mZ8rB2wL6yN0pH4sJ7cF5dG-aE"


@pytest.mark.parametrize("key", ["x", " ", "change-me-in-production", "password" * 6])
def test_serve_refuses_a_weak_key_on_a_public_address(cli: Cli, monkeypatch: pytest.MonkeyPatch, key: str) -> None:
    cli.env["BIPLOMACY_SECRET_KEY"] = key
    result = cli("serve", "--host", "0.0.0.0", "--port", "8765")
    assert result.exit_code == 2, result.stderr
    assert "secret_key" in result.stderr and "BIPLOMACY_SECRET_KEY" in result.stderr
    assert "Traceback" not in result.stderr


def test_serve_refuses_the_default_key_on_loopback_behind_a_trusted_proxy(cli: Cli) -> None:
    # the finding: behind a reverse proxy the portal binds 127.0.0.1, yet the whole network reaches it
    cli.env["BIPLOMACY_TRUSTED_PROXIES"] = "127.0.0.1"
    result = cli("serve", "--host", "127.0.0.1", "--port", "8765")
    assert result.exit_code == 2 and "secret_key" in result.stderr and "trusted proxies" in result.stderr


def test_check_secret_lets_a_strong_key_serve_anywhere_and_a_weak_one_only_on_bare_loopback() -> None:
    check_secret(Settings(secret_key=STRONG, trusted_proxies=("10.0.0.5/32",)), "0.0.0.0")
    check_secret(Settings(), "127.0.0.1")
    check_secret(Settings(), "::1")
    with pytest.raises(ConfigError, match="secret_key"):
        check_secret(Settings(secret_key="x"), "0.0.0.0")
    with pytest.raises(ConfigError, match="behind trusted proxies"):
        check_secret(Settings(trusted_proxies=("127.0.0.1/32",)), "127.0.0.1")
