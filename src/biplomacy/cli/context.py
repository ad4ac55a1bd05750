"""What every command gets: the Settings, the acting user, and a store opened (and checked) on demand."""

from __future__ import annotations

from dataclasses import dataclass, field

import typer

from biplomacy.adapters.store.db import Store, open_store
from biplomacy.config import Settings


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

    def close(self) -> None:
        if self._store is not None:
            self._store.dispose()


def get(ctx: typer.Context) -> CliContext:
    """The CliContext of the root command, from any sub-command."""
    root = ctx.find_root()
    obj = root.obj
    assert isinstance(obj, CliContext), "the root callback sets the context"
    return obj
