"""Values computed once per state of the audit log: kept while its head (seq, hash) stays, rebuilt once it moves.

Every change that a cached value could show is audited in the transaction that makes it, so while the log's
head is unchanged the value is too; a request then costs one indexed read (the head) instead of the build.
LatestSeq is the same marker for hot paths (the AML stream server's tokens): the newest seq alone, read on
one dedicated connection without an ORM session (about 5 us on SQLite instead of about 0.4 ms). LatestHead
reads (seq, hash, time) the same way, on one kept connection: the portal's page cache keys on it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from datetime import datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import Connection
from sqlalchemy.exc import SQLAlchemyError

from biplomacy.core.errors import StoreError
from biplomacy.house import audit
from biplomacy.house.tables import AuditRow
from biplomacy.store.db import Store

Head = tuple[int, str] | None
K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


def read_head(store: Store) -> Head:
    """(seq, hash) of the audit log's newest entry (None while it is empty): it moves with every audited change."""
    with store.read() as session:
        entry = audit.head(session)
    return None if entry is None else (entry.seq, entry.hash)


class PerAuditHead(Generic[K, V]):
    """`build(store, head, key)` per key, reused while the audit head is `head`; thread-safe.

    The head is read before `build` reads anything, so what is kept is at least as new as its key. Callers
    asking for the same key at the same head wait for one build; a build that raises keeps nothing.
    """

    def __init__(self, build: Callable[[Store, Head, K], V]) -> None:
        self._build = build
        self._head: Head = None
        self._values: dict[K, V] = {}
        self._building: dict[K, threading.Lock] = {}  # one lock per key being built at self._head
        self._lock = threading.Lock()

    def get(self, store: Store, key: K) -> V:
        head = read_head(store)
        with self._lock:
            self._move_to(head)
            if key in self._values:
                return self._values[key]
            building = self._building.setdefault(key, threading.Lock())
        with building:
            with self._lock:
                if self._head == head and key in self._values:  # built while this caller waited
                    return self._values[key]
            value = self._build(store, head, key)
            with self._lock:
                if self._head == head:  # else a caller has since seen another head: keep nothing stale
                    self._values[key] = value
        return value

    def _move_to(self, head: Head) -> None:
        """Drop what was kept for another head (callers hold self._lock)."""
        if head != self._head:
            self._head, self._values, self._building = head, {}, {}


class LatestSeq:
    """The audit log's newest seq (0 while empty), each call one read on a dedicated autocommit connection.

    Not thread-safe: one caller thread (an event loop). A failed read closes the connection (the next call
    opens another) and is a StoreError.
    """

    QUERY = f"SELECT max(seq) FROM {AuditRow.__tablename__}"

    def __init__(self, store: Store) -> None:
        self.store = store
        self._connection: Connection | None = None
        self._cursor: Any = None

    def __call__(self) -> int:
        dbapi_error = self.store.engine.dialect.loaded_dbapi.Error
        try:
            if self._cursor is None:
                self._connection = self.store.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
                self._cursor = self._connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
            self._cursor.execute(self.QUERY)
            row = self._cursor.fetchall()[0]  # read to the end: SQLite's read transaction ends with it
        except (SQLAlchemyError, dbapi_error) as exc:
            self.close()
            raise StoreError(f"the audit log could not be read ({exc})") from None
        return int(row[0] or 0)

    def close(self) -> None:
        connection, self._connection, self._cursor = self._connection, None, None
        if connection is not None:
            try:
                connection.invalidate()  # a failed connection is not handed back to the pool
            finally:
                connection.close()


class LatestHead:
    """(seq, hash, at) of the audit log's newest entry (None while empty), one read per call, thread-safe.

    One kept autocommit connection behind a lock (a read is tens of microseconds, so callers barely wait), so
    the read sees every commit made before it, by this process or another. A failed read drops the connection
    (the next call opens another) and is a StoreError.
    """

    QUERY = f"SELECT seq, hash, at FROM {AuditRow.__tablename__} ORDER BY seq DESC LIMIT 1"

    def __init__(self, store: Store) -> None:
        self.store = store
        self._connection: Connection | None = None
        self._cursor: Any = None
        self._lock = threading.Lock()

    def __call__(self) -> tuple[int, str, datetime] | None:
        dbapi_error = self.store.engine.dialect.loaded_dbapi.Error
        with self._lock:
            try:
                if self._cursor is None:
                    self._connection = self.store.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
                    self._cursor = self._connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
                self._cursor.execute(self.QUERY)
                rows = self._cursor.fetchall()  # read to the end: SQLite's read transaction ends with it
            except (SQLAlchemyError, dbapi_error) as exc:
                self._close(invalidate=True)
                raise StoreError(f"the audit log could not be read ({exc})") from None
        if not rows:
            return None
        seq, hash_, at = rows[0]
        return int(seq), str(hash_), _as_datetime(at)

    def close(self) -> None:
        with self._lock:
            self._close(invalidate=False)

    def _close(self, invalidate: bool) -> None:
        connection, self._connection, self._cursor = self._connection, None, None
        if connection is not None:
            try:
                if invalidate:
                    connection.invalidate()  # a failed connection is not handed back to the pool
            finally:
                connection.close()


def _as_datetime(value: object) -> datetime:
    # SQLite hands the raw DB-API row back as text; PostgreSQL as a datetime.
    if isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))
