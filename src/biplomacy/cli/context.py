"""What every command gets: the Settings, the acting user, and a store opened (and checked) on demand."""

from __future__ import annotations

from dataclasses import dataclass, field

import typer

from biplomacy.adapters.store.db import Store, open_store
from biplomacy.config import Settings
from biplomacy.errors import InputError
from biplomacy.permissions import LOCAL_ADMIN, Actor


@dataclass
class CliContext:
    settings: Settings
    acting_as: str | None = None
    _store: Store | None = field(default=None, repr=False)

    def store(self, *, migrated: bool = True) -> Store:
        """The database, opened once; refuses to run on an unmigrated schema unless `migrated=False`."""
        if self._store is None:
            self._store = open_store(self.settings)
            if migrated:
                self._store.check_migrated()
        return self._store

    def actor(self) -> Actor:
        """The local admin, or the active user named by --as (exit 2 naming the user if there is none)."""
        if not self.acting_as:
            return LOCAL_ADMIN
        from sqlalchemy import select

        from biplomacy.adapters.store.tables.core import UserRow

        with self.store().read() as s:
            row = s.execute(select(UserRow).where(UserRow.name == self.acting_as)).scalar_one_or_none()
            found = None if row is None or not row.active else Actor(row.name, row.role)
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
