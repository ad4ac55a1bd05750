"""Engine and transactions: one Store per process, built from Settings, checked to be migrated."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

from biplomacy.core.config import Settings
from biplomacy.core.errors import ConfigError, InputError, StoreError


class Base(DeclarativeBase):
    """Declarative base of every table; pillar tables live in adapters/store/tables/<pillar>.py."""


def describe(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<unparseable URL>"


def make_engine(url: str) -> Engine:
    """Create an engine for `url`, turning a malformed URL or missing driver into a ConfigError."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ConfigError(f"database URL {url!r} is malformed (expected e.g. sqlite:///var/x.db or "
                          "postgresql+psycopg://user@host/db)") from None
    if parsed.get_backend_name() not in {"sqlite", "postgresql"}:
        raise ConfigError(f"database URL {describe(url)}: only sqlite and postgresql are supported")
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    kwargs: dict[str, object] = {"future": True}
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            parent = Path(parsed.database).parent
            if not parent.exists():
                raise ConfigError(f"database URL {describe(url)}: folder {parent} does not exist")
        kwargs["connect_args"] = {"timeout": 30}
        if parsed.database and parsed.database != ":memory:" and not parsed.database.startswith("file:"):
            private_file(Path(parsed.database))
    else:
        kwargs["connect_args"] = {"connect_timeout": 5}
        kwargs["pool_pre_ping"] = True
    try:
        engine = create_engine(parsed, **kwargs)  # type: ignore[arg-type]
    except (NoSuchModuleError, ArgumentError, ImportError) as exc:
        raise ConfigError(f"database URL {describe(url)}: {exc}") from None
    if parsed.get_backend_name() == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    event.listen(engine, "before_cursor_execute", _refuse_huge_integers)
    return engine


INT64 = (-(2**63), 2**63 - 1)


def _refuse_huge_integers(_conn, _cursor, _statement, parameters, _context, executemany) -> None:  # type: ignore[no-untyped-def]
    """No integer beyond 64 bits reaches the database: SQLite raised OverflowError and PostgreSQL a type error
    for them (a 20-digit case id was an HTTP 500). What a user typed becomes a clear input error instead."""
    # `parameters` is a row (tuple or dict) or, for executemany and batched inserts, a list of rows
    for item in (parameters.values() if isinstance(parameters, dict) else parameters or ()):
        values = item.values() if isinstance(item, dict) else item if isinstance(item, (tuple, list)) else (item,)
        for value in values:
            if type(value) is int and not INT64[0] <= value <= INT64[1]:
                raise InputError(f"the number {value} is out of range (at most {INT64[1]}, 19 digits)")


FILE_MODE = 0o600  # the database holds password hashes, personal data and the audit log: owner only
DIR_MODE = 0o700


def private_file(path: Path) -> None:
    """Create the SQLite file readable by its owner only, or take group and world access off an existing one
    (SQLite gives its -wal and -shm files the database file's mode)."""
    try:
        if not path.exists():
            os.close(os.open(path, os.O_RDWR | os.O_CREAT, FILE_MODE))
        elif path.stat().st_mode & 0o077:
            os.chmod(path, FILE_MODE)
    except OSError:
        pass  # not ours to change (another owner, a read-only mount): `biplomacy doctor` reports the mode


def _sqlite_pragmas(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=FULL")
    cur.close()


@dataclass
class Store:
    """A database handle. `with store.transaction() as s:` commits at the end, or rolls back on error."""

    engine: Engine
    url: str

    def __post_init__(self) -> None:
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        session = self._sessions()
        try:
            with session.begin():
                yield session
        except OperationalError as exc:
            raise StoreError(f"database {describe(self.url)}: {exc.orig}") from None
        finally:
            session.close()

    @contextmanager
    def read(self) -> Iterator[Session]:
        session = self._sessions()
        try:
            yield session
        finally:
            session.rollback()
            session.close()

    def check_reachable(self) -> None:
        try:
            with self.engine.connect():
                pass
        except OperationalError as exc:
            reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
            raise ConfigError(f"cannot reach database {describe(self.url)}: {reason}") from None
        except SQLAlchemyError as exc:
            raise ConfigError(f"database {describe(self.url)}: {exc}") from None

    def has_table(self, name: str) -> bool:
        return inspect(self.engine).has_table(name)

    def dispose(self) -> None:
        self.engine.dispose()


def open_store(settings: Settings, *, create_dirs: bool = True) -> Store:
    """Open (not migrate) the database the settings name."""
    url = settings.effective_database_url
    if create_dirs and not settings.database_url and not settings.var_dir.exists():
        try:
            settings.var_dir.mkdir(mode=DIR_MODE, parents=True)
        except FileExistsError:  # another process made it meanwhile
            pass
    return Store(make_engine(url), url)
