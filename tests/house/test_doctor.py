"""`biplomacy doctor --json`: each production check with ok and the reason; nothing changed by looking."""

from __future__ import annotations

import os
from pathlib import Path

from biplomacy.core.config import Settings, load_settings
from biplomacy.house.doctor import check_cookie, check_secret, check_tls, diagnose
from biplomacy.store.db import Store, make_engine
from tests.conftest import Cli

STRONG = "kQ3v9_xT1mZ8rB2wL6yN0pH4sJ7cF5dG-aE"


def _checks(result) -> dict[str, dict[str, object]]:  # type: ignore[no-untyped-def]
    return {c["name"]: c for c in result.json["checks"]}


def test_doctor_names_each_problem_of_a_fresh_install(cli: Cli) -> None:
    result = cli("doctor", "--json")
    assert result.exit_code == 0, result.stderr
    checks = _checks(result)
    assert set(checks) >= {"secret_key", "cookie_secure", "tls_in_front", "file_modes", "durability", "migrations",
                           "audit_chain"}
    assert checks["secret_key"]["ok"] is False and "default" in str(checks["secret_key"]["reason"])
    assert checks["cookie_secure"]["ok"] is False and checks["tls_in_front"]["ok"] is False
    assert checks["durability"]["ok"] is True and checks["migrations"]["ok"] is True
    assert checks["audit_chain"]["ok"] is True
    assert result.json["ok"] is False
    assert cli("doctor", "--strict").exit_code == 1


def test_doctor_passes_a_production_setup(cli: Cli) -> None:
    cli.env.update(BIPLOMACY_SECRET_KEY=STRONG, BIPLOMACY_PUBLIC_URL="https://portal.example.org")
    result = cli("doctor", "--json")
    checks = _checks(result)
    assert all(c["ok"] for c in checks.values()), checks
    assert cli("doctor", "--strict").exit_code == 0


def test_doctor_finds_a_world_readable_database_file(tmp_path: Path) -> None:
    db = tmp_path / "var" / "biplomacy.sqlite3"
    db.parent.mkdir(mode=0o700)
    settings = load_settings({"BIPLOMACY_DATABASE_URL": f"sqlite:///{db}", "BIPLOMACY_VAR_DIR": str(tmp_path / "var")})
    store = Store(make_engine(f"sqlite:///{db}"), f"sqlite:///{db}")
    try:
        with store.engine.connect():
            pass
        os.chmod(db, 0o644)  # as the finding saw it
        check = next(c for c in diagnose(settings, store).checks if c.name == "file_modes")
        assert check.ok is False and "0644" in check.reason and "read" in check.reason
    finally:
        store.dispose()


def test_doctor_does_not_create_a_missing_database(cli_nodb: Cli, tmp_path: Path) -> None:
    result = cli_nodb("doctor", "--json")
    assert result.exit_code == 0
    assert _checks(result)["database"]["ok"] is False
    assert not (tmp_path / "var" / "biplomacy.sqlite3").exists()


def test_the_key_tls_and_cookie_checks_read_the_settings() -> None:
    assert check_secret(Settings(secret_key=STRONG)).ok and not check_secret(Settings(secret_key="x")).ok
    https = Settings(public_url="https://portal.example.org")
    assert check_tls(https).ok and check_cookie(https).ok
    assert not check_tls(Settings(public_url="http://portal.example.org")).ok
