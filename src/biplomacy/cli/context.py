"""What every command gets: the Settings, the acting user, and a store opened (and checked) on demand."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import typer

from biplomacy.core.config import Settings
from biplomacy.core.errors import InputError, MigrationError
from biplomacy.core.permissions import LOCAL_ADMIN, Actor
from biplomacy.house.users import session_state
from biplomacy.store import migrate
from biplomacy.store.db import Store, open_store


@dataclass
class CliContext:
    settings: Settings
    acting_as: str | None = None
    _store: Store | None = field(default=None, repr=False)

    def store(self, *, migrated: bool = True) -> Store:
        """The database, opened once; refuses to run on an unmigrated schema unless `migrated=False`."""
        if self._store is None:
            if migrated:
                self._refuse_missing_sqlite_file()
            self._store = open_store(self.settings)
            if migrated:
                migrate.check_migrated(self._store)
        return self._store

    def _refuse_missing_sqlite_file(self) -> None:
        """A command that needs data must not create an empty database file (or var/) as a side effect."""
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError

        url = self.settings.effective_database_url
        try:
            parsed = make_url(url)
        except ArgumentError:
            return  # open_store names the malformed URL
        path = parsed.database
        if parsed.get_backend_name() == "sqlite" and path and path != ":memory:" and not Path(path).exists():
            raise MigrationError(f"database {path} does not exist yet; run `biplomacy db upgrade` "
                                 "(make run does it)")

    def actor(self) -> Actor:
        """The local admin, or the active user named by --as (exit 2 naming the user if there is none)."""
        if not self.acting_as:
            return LOCAL_ADMIN
        state = session_state(self.store(), self.acting_as)
        found = state[0] if state else None
        if found is None:
            raise InputError(f"--as {self.acting_as}: no active user of that name (see `biplomacy users list`)",
                             field="--as")
        return found

    def close(self) -> None:
        if self._store is not None:
            self._store.dispose()


def get(ctx: typer.Context) -> CliContext:
    """The CliContext of the root command, from any sub-command."""
    root = ctx.find_root()
    obj = root.obj
    assert isinstance(obj, CliContext), "the root callback sets the context"
    return obj
