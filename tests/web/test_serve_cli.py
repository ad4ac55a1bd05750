"""`biplomacy serve` refuses to start where it would fail or be unsafe, with a one-line message."""

from __future__ import annotations

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
