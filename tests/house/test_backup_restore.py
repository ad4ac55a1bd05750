"""`biplomacy backup` / `restore` on SQLite and PostgreSQL: consistent while writes go on, verified on restore
(migrations, audit chain, counts), and a damaged or mismatched backup is refused with nothing replaced."""

from __future__ import annotations

import gzip
import io
import tarfile
import threading
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from biplomacy.core.config import load_settings
from biplomacy.core.permissions import LOCAL_ADMIN
from biplomacy.house import audit, backup
from biplomacy.house.tables import AuditRow, UserRow
from biplomacy.store.db import Store, make_engine
from tests.conftest import Cli


def _empty_database(db_url: str, tmp_path: Path) -> str:
    """A second, empty database of the same backend to restore into."""
    if db_url.startswith("sqlite"):
        return f"sqlite:///{tmp_path / 'restored.sqlite3'}"
    name = f"r_{uuid.uuid4().hex[:12]}"
    admin = create_engine(db_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(db_url).set(database=name).render_as_string(hide_password=False)


def _counts(url: str) -> tuple[int, int]:
    store = Store(make_engine(url), url)
    try:
        with store.read() as s:
            return (s.execute(select(func.count()).select_from(UserRow)).scalar_one(),
                    s.execute(select(func.count()).select_from(AuditRow)).scalar_one())
    finally:
        store.dispose()


def test_backup_then_restore_into_an_empty_database_is_verified(cli: Cli, db_url: str, tmp_path: Path) -> None:
    for name in ("amina", "sana", "omar"):
        assert cli("users", "add", name, "--role", "analyst").exit_code == 0
    made = cli("backup", "--out", str(tmp_path / "b.tar.gz"), "--json")
    assert made.exit_code == 0, made.stderr
    assert made.json["tables"]["users"] == 3 and made.json["audit_entries"] == 3
    assert (tmp_path / "b.tar.gz").stat().st_mode & 0o777 == 0o600

    target = _empty_database(db_url, tmp_path)
    restored = Cli({**cli.env, "BIPLOMACY_DATABASE_URL": target}, cli.monkeypatch)(
        "restore", str(tmp_path / "b.tar.gz"), "--json")
    assert restored.exit_code == 0, restored.stdout + restored.stderr
    assert restored.json["ok"] and [c["name"] for c in restored.json["checks"]] == [
        "migrations", "audit_chain", "row_counts"]
    assert _counts(target) == (3, 3)
    again = Cli({**cli.env, "BIPLOMACY_DATABASE_URL": target}, cli.monkeypatch)("audit", "verify", "--expect-head",
                                                                             made.json["audit_head"], "--json")
    assert again.exit_code == 0 and again.json["entries"] == 3


def test_a_backup_taken_during_writes_matches_its_own_manifest(settings, store, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The finding: a file copy during writes lost the last writes and still verified. The backup is one
    snapshot: whatever it holds, its manifest's counts and audit head are exactly the restored database's."""
    stop, started = threading.Event(), threading.Event()

    def writer() -> None:
        i = 0
        while not stop.is_set():
            if i == 5:
                started.set()
            with store.transaction() as s:
                s.add(UserRow(name=f"w{i}", role="public", institution="", password_hash="", active=True,
                              created_at=__import__("datetime").datetime.now(__import__("datetime").UTC)))
                s.flush()
                audit.record(s, actor="writer", action="test.write", subject=f"w{i}", payload={"i": i})
            i += 1

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        assert started.wait(60)
        made = backup.backup(store, settings, LOCAL_ADMIN, tmp_path / "live.tar.gz")
    finally:
        stop.set()
        thread.join()
    assert made.tables["users"] == made.audit_entries >= 5  # one user and one entry per committed write
    target = _empty_database(settings.effective_database_url, tmp_path)
    result = backup.restore(load_settings({"BIPLOMACY_DATABASE_URL": target, "BIPLOMACY_VAR_DIR": str(tmp_path / "v2")}),
                            LOCAL_ADMIN, tmp_path / "live.tar.gz")
    assert result.ok, result.checks
    assert _counts(target) == (made.tables["users"], made.audit_entries)


def test_restore_refuses_a_database_that_is_not_empty_unless_replace(cli: Cli, tmp_path: Path) -> None:
    cli("users", "add", "amina", "--role", "analyst")
    assert cli("backup", "--out", str(tmp_path / "b.tar.gz")).exit_code == 0
    cli("users", "add", "later", "--role", "analyst")
    refused = cli("restore", str(tmp_path / "b.tar.gz"))
    assert refused.exit_code == 2 and "--replace" in refused.stderr
    assert _counts(cli.env["BIPLOMACY_DATABASE_URL"]) == (2, 2)  # nothing changed
    replaced = cli("restore", str(tmp_path / "b.tar.gz"), "--replace", "--json")
    assert replaced.exit_code == 0 and replaced.json["ok"], replaced.stdout + replaced.stderr
    assert _counts(cli.env["BIPLOMACY_DATABASE_URL"]) == (1, 1)


def _rewrite_member(src: Path, dst: Path, name: str, change) -> None:  # type: ignore[no-untyped-def]
    with tarfile.open(src) as tar:
        members = [(m, tar.extractfile(m).read()) for m in tar.getmembers()]  # type: ignore[union-attr]
    with tarfile.open(dst, "w:gz") as tar:
        for m, data in members:
            if m.name == name:
                data = change(data)
                m.size = len(data)
            tar.addfile(m, io.BytesIO(data))


def test_a_damaged_or_doctored_backup_is_refused_and_replaces_nothing(cli: Cli, db_url: str, tmp_path: Path) -> None:
    import json

    cli("users", "add", "amina", "--role", "analyst")
    cli("backup", "--out", str(tmp_path / "b.tar.gz"))
    target = _empty_database(db_url, tmp_path)
    other = Cli({**cli.env, "BIPLOMACY_DATABASE_URL": target}, cli.monkeypatch)

    (tmp_path / "cut.tar.gz").write_bytes((tmp_path / "b.tar.gz").read_bytes()[:200])
    cut = other("restore", str(tmp_path / "cut.tar.gz"))
    assert cut.exit_code == 2 and "not a readable Biplomacy backup" in cut.stderr

    (tmp_path / "junk.tar.gz").write_bytes(gzip.compress(b"not a tar"))
    assert other("restore", str(tmp_path / "junk.tar.gz")).exit_code == 2

    def more_users(data: bytes) -> bytes:  # a manifest that claims rows the database does not hold
        doc = json.loads(data)
        doc["tables"]["users"] = 7
        return json.dumps(doc).encode()

    _rewrite_member(tmp_path / "b.tar.gz", tmp_path / "doctored.tar.gz", "manifest.json", more_users)
    bad = other("restore", str(tmp_path / "doctored.tar.gz"), "--json")
    assert bad.exit_code == 1 and bad.json["ok"] is False
    assert "users: 1 rows, the backup had 7" in next(c["reason"] for c in bad.json["checks"] if c["name"] == "row_counts")


def test_a_sqlite_backup_is_refused_by_a_postgresql_database_and_the_reverse(cli: Cli, db_url: str,
                                                                          tmp_path: Path) -> None:
    cli("backup", "--out", str(tmp_path / "b.tar.gz"))
    other = "postgresql+psycopg://nobody@127.0.0.1:1/none" if db_url.startswith("sqlite") \
        else f"sqlite:///{tmp_path / 'x.sqlite3'}"
    refused = Cli({**cli.env, "BIPLOMACY_DATABASE_URL": other}, cli.monkeypatch)("restore", str(tmp_path / "b.tar.gz"))
    assert refused.exit_code == 2 and "restore it into the same kind of database" in refused.stderr


def test_the_aml_stream_state_travels_with_the_backup(cli: Cli, settings, db_url: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime

    from biplomacy.aml.stream import StreamScorer, make_tx

    scorer = StreamScorer(settings.var_dir / "aml-stream")
    scorer.score(make_tx("t1", datetime(2026, 1, 1, tzinfo=UTC), "a", "b", 10.0, "BTC", "V1"))
    # the scorer is still running (its lock held): the copy must not need it
    made = cli("backup", "--out", str(tmp_path / "b.tar.gz"), "--json")
    scorer.close()
    assert made.exit_code == 0 and made.json["stream_files"] >= 2
    env = {**cli.env, "BIPLOMACY_DATABASE_URL": _empty_database(db_url, tmp_path), "BIPLOMACY_VAR_DIR": str(tmp_path / "v2")}
    (tmp_path / "v2").mkdir()
    assert Cli(env, cli.monkeypatch)("restore", str(tmp_path / "b.tar.gz")).exit_code == 0
    again = StreamScorer(tmp_path / "v2" / "aml-stream")
    try:
        assert again.size().scored == 1
    finally:
        again.close()


@pytest.mark.parametrize("who", ["analyst", "auditor"])
def test_only_an_admin_backs_up(cli: Cli, tmp_path: Path, who: str) -> None:
    cli("users", "add", "someone", "--role", who)
    refused = cli("--as", "someone", "backup", "--out", str(tmp_path / "b.tar.gz"))
    assert refused.exit_code == 2 and "may not backup.make" in refused.stderr
    assert not (tmp_path / "b.tar.gz").exists()
