"""Use case: back up and restore a whole installation (the database and the AML stream state), consistently
while the portal runs, and verify a restore before it is trusted.

SQLite: the online backup API copies the database as of one moment (a reader's snapshot in WAL mode, so
writers carry on); PostgreSQL: pg_dump (custom format) under a snapshot exported from a REPEATABLE READ
transaction, the same snapshot the manifest's counts are taken in, so the counts describe exactly what was
dumped. pg_dump and pg_restore come from Debian's postgresql-client and must be at least the server's major
version. The manifest records the migration heads, the audit log's count and head, and every table's row
count; a restore checks all three on the restored database (and the whole audit chain) before it reports
success, and for SQLite before the restored file replaces anything.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, func, inspect, select, table, text
from sqlalchemy.engine import make_url

from biplomacy import __version__
from biplomacy.core.config import Settings
from biplomacy.core.errors import ConfigError, InputError
from biplomacy.core.permissions import Actor, authorize
from biplomacy.house import audit, backup_archive
from biplomacy.house.tables import AuditRow
from biplomacy.store import migrate
from biplomacy.store.db import Store, describe, make_engine, private_file

STREAM_DIR = "aml-stream"


@dataclass(frozen=True, slots=True)
class BackupResult:
    file: str
    backend: str
    tables: dict[str, int]
    audit_entries: int
    audit_head: str
    migrations: list[str]
    stream_files: int

    def as_dict(self) -> dict[str, Any]:
        return {"file": self.file, "backend": self.backend, "audit_entries": self.audit_entries,
                "audit_head": self.audit_head, "migrations": self.migrations, "tables": self.tables,
                "stream_files": self.stream_files}


@dataclass(frozen=True, slots=True)
class RestoreResult:
    ok: bool
    database: str
    backend: str
    checks: list[dict[str, Any]]
    stream_files: int

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "database": self.database, "backend": self.backend, "checks": self.checks,
                "stream_files": self.stream_files}


# -- what a database holds ----------------------------------------------------------------------------------

def _facts(conn: Connection) -> dict[str, Any]:
    """Row counts, audit count and head, and migration heads, read on one connection (one snapshot)."""
    names = sorted(inspect(conn).get_table_names())
    counts = {n: int(conn.execute(select(func.count()).select_from(table(n))).scalar_one()) for n in names}
    heads = sorted(r[0] for r in conn.execute(text("SELECT version_num FROM alembic_version")))
    last = conn.execute(select(AuditRow.seq, AuditRow.hash).order_by(AuditRow.seq.desc()).limit(1)).first()
    return {"tables": counts, "migrations": heads,
            "audit": {"entries": 0 if last is None else int(last[0]), "head": audit.GENESIS if last is None else last[1]}}


# -- backup -------------------------------------------------------------------------------------------------

def backup(store: Store, settings: Settings, actor: Actor, target: Path) -> BackupResult:
    """Write a backup of the database and the AML stream state to `target` (whole or not at all)."""
    authorize(actor, "backup.make")
    if not target.parent.is_dir():
        raise InputError(f"{target}: folder {target.parent} does not exist", field="out")
    migrate.check_migrated(store)
    backend = store.engine.dialect.name
    with tempfile.TemporaryDirectory(prefix="biplomacy-backup-") as tmp:
        work = Path(tmp)
        if backend == "sqlite":
            members, facts = _sqlite_copy(store, work)
        else:
            members, facts = _pg_dump(store, work)
        (work / STREAM_DIR).mkdir()
        stream = backup_archive.copy_stream_state(settings.var_dir / STREAM_DIR, work / STREAM_DIR)
        manifest = {"backend": backend, "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
                    "biplomacy_version": __version__, "database": describe(store.url), **facts}
        backup_archive.write(target, manifest, {**members, **stream})
    return BackupResult(str(target), backend, facts["tables"], facts["audit"]["entries"], facts["audit"]["head"],
                        facts["migrations"], len(stream))


def _sqlite_copy(store: Store, work: Path) -> tuple[dict[str, Path], dict[str, Any]]:
    source = make_url(store.url).database
    if not source or source == ":memory:":
        raise ConfigError("an in-memory SQLite database cannot be backed up", field="database_url")
    copy = work / backup_archive.SQLITE_MEMBER
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)
    dst = sqlite3.connect(copy)
    try:
        src.backup(dst)  # one step: the copy is the database as of one moment, writers are not blocked in WAL
        dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
    finally:
        dst.close()
        src.close()
    copied = Store(make_engine(f"sqlite:///{copy}"), f"sqlite:///{copy}")
    try:
        with copied.engine.connect() as conn:
            facts = _facts(conn)
    finally:
        copied.dispose()
    return {backup_archive.SQLITE_MEMBER: copy}, facts


def _libpq_url(url: str) -> str:
    parsed = make_url(url)
    return parsed.set(drivername="postgresql").render_as_string(hide_password=False)


def _pg_tool(name: str, store: Store) -> str:
    """pg_dump / pg_restore of at least the server's major version (an older one refuses or loses data)."""
    found = shutil.which(name)
    if found is None:
        raise ConfigError(f"{name} is not installed: apt-get install postgresql-client (of the server's version)")
    out = subprocess.run([found, "--version"], capture_output=True, text=True, check=False).stdout
    match = re.search(r"(\d+)(?:\.\d+)?", out)
    with store.engine.connect() as conn:
        server = int(str(conn.execute(text("SHOW server_version_num")).scalar())) // 10000
    if match is None or int(match.group(1)) < server:
        raise ConfigError(f"{found} is version {match.group(1) if match else '?'} but the server is PostgreSQL "
                          f"{server}: install postgresql-client-{server}")
    return found


def _pg_dump(store: Store, work: Path) -> tuple[dict[str, Path], dict[str, Any]]:
    tool = _pg_tool("pg_dump", store)
    dump = work / backup_archive.PG_MEMBER
    with store.engine.connect() as conn:
        conn.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"))
        snapshot = str(conn.execute(text("SELECT pg_export_snapshot()")).scalar())
        facts = _facts(conn)  # in the same snapshot pg_dump reads
        done = subprocess.run([tool, "--format=custom", "--no-owner", "--no-privileges", f"--snapshot={snapshot}",
                               f"--file={dump}", f"--dbname={_libpq_url(store.url)}"],
                              capture_output=True, text=True, check=False)
        conn.rollback()
    if done.returncode != 0:
        raise ConfigError(f"pg_dump failed: {done.stderr.strip()[:500]}")
    return {backup_archive.PG_MEMBER: dump}, facts


# -- restore ------------------------------------------------------------------------------------------------

def restore(settings: Settings, actor: Actor, source: Path, *, replace: bool = False) -> RestoreResult:
    """Restore `source` into the configured database (empty, unless `replace`) and the AML stream state, then
    check migrations, the audit chain and every table's count against the manifest."""
    authorize(actor, "backup.restore")
    url = settings.effective_database_url
    backend = make_url(url).get_backend_name()
    with tempfile.TemporaryDirectory(prefix="biplomacy-restore-") as tmp:
        manifest, members = backup_archive.read(source, Path(tmp))
        if manifest.backend != backend:
            raise ConfigError(f"{source} is a {manifest.backend} backup; the configured database is {backend}: "
                              "restore it into the same kind of database", field="database_url")
        if backend == "sqlite":
            checks = _restore_sqlite(url, members[backup_archive.SQLITE_MEMBER], manifest.doc, replace)
        else:
            checks = _restore_pg(url, members[backup_archive.PG_MEMBER], manifest.doc, replace)
        ok = all(c["ok"] for c in checks)
        stream = {k: v for k, v in members.items() if k.startswith(backup_archive.STREAM_PREFIX)}
        if ok and stream:
            _restore_stream(settings.var_dir / STREAM_DIR, stream, replace)
    return RestoreResult(ok, describe(url), backend, checks, len(stream) if ok else 0)


def verify_restored(store: Store, manifest: dict[str, Any]) -> list[dict[str, Any]]:
    """Migrations, the audit chain (whole, and its count and head) and each table's count, as the manifest says."""
    with store.engine.connect() as conn:
        got = _facts(conn)
    checks = [{"name": "migrations", "ok": got["migrations"] == manifest["migrations"],
               "reason": f"heads {', '.join(got['migrations'])}"
               + ("" if got["migrations"] == manifest["migrations"] else
                  f"; the backup has {', '.join(manifest['migrations'])}")}]
    with store.read() as s:
        check = audit.verify_published(audit.entries(s), manifest["audit"]["head"], manifest["audit"]["entries"])
    checks.append({"name": "audit_chain", "ok": check.ok and check.chain.count == manifest["audit"]["entries"],
                   "reason": check.reason or f"{check.chain.count} entries, head {check.chain.head_hash}"})
    wrong = {n: (got["tables"].get(n), c) for n, c in manifest["tables"].items() if got["tables"].get(n) != c}
    checks.append({"name": "row_counts", "ok": not wrong,
                   "reason": "; ".join(f"{n}: {have} rows, the backup had {want}" for n, (have, want) in wrong.items())
                   or f"{len(manifest['tables'])} tables, every count as in the backup"})
    return checks


def _restore_sqlite(url: str, copy: Path, manifest: dict[str, Any], replace: bool) -> list[dict[str, Any]]:
    target = Path(make_url(url).database or "")
    if not target.parent.is_dir():
        raise ConfigError(f"database URL {describe(url)}: folder {target.parent} does not exist")
    if target.exists() and _has_tables(f"sqlite:///{target}") and not replace:
        raise InputError(f"{target} already holds a database; restore into an empty one, or pass --replace "
                         "(the current file is kept beside it)", field="replace")
    staged = target.with_name(target.name + ".restoring")
    shutil.copyfile(copy, staged)
    os.chmod(staged, 0o600)
    store = Store(make_engine(f"sqlite:///{staged}"), f"sqlite:///{staged}")
    try:
        checks = verify_restored(store, manifest)
    finally:
        store.dispose()
    if not all(c["ok"] for c in checks):
        staged.unlink(missing_ok=True)
        return checks
    if target.exists():
        kept = target.with_name(f"{target.name}.before-restore-{datetime.now(UTC):%Y%m%dT%H%M%SZ}")
        target.replace(kept)
        private_file(kept)
        for suffix in ("-wal", "-shm"):
            target.with_name(target.name + suffix).unlink(missing_ok=True)
    staged.replace(target)
    return checks


def _has_tables(url: str) -> bool:
    store = Store(make_engine(url), url)
    try:
        with store.engine.connect() as conn:
            return bool(inspect(conn).get_table_names())
    finally:
        store.dispose()


def _restore_pg(url: str, dump: Path, manifest: dict[str, Any], replace: bool) -> list[dict[str, Any]]:
    store = Store(make_engine(url), url)
    try:
        store.check_reachable()
        if _has_tables(url) and not replace:
            raise InputError(f"{describe(url)} already holds tables; restore into an empty database, or pass "
                             "--replace (its tables are dropped first)", field="replace")
        tool = _pg_tool("pg_restore", store)
        args = [tool, "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction",
                f"--dbname={_libpq_url(url)}", str(dump)]
        if replace:
            args[1:1] = ["--clean", "--if-exists"]
        done = subprocess.run(args, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise ConfigError(f"pg_restore failed (nothing was restored): {done.stderr.strip()[:500]}")
        return verify_restored(store, manifest)
    finally:
        store.dispose()


def _restore_stream(directory: Path, members: dict[str, Path], replace: bool) -> None:
    if directory.exists() and any(directory.iterdir()):
        if not replace:
            raise InputError(f"{directory} already holds an AML stream state; pass --replace (it is kept beside)",
                             field="replace")
        directory.replace(directory.with_name(f"{directory.name}.before-restore-{datetime.now(UTC):%Y%m%dT%H%M%SZ}"))
    directory.mkdir(parents=True, mode=0o700, exist_ok=True)
    for name, path in members.items():
        dest = directory / name[len(backup_archive.STREAM_PREFIX):]
        shutil.copyfile(path, dest)
        os.chmod(dest, 0o600)
