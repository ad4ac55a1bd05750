"""Alembic, driven from code: upgrade, downgrade and head checks for every pillar's branch."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from biplomacy.core.errors import MigrationError
from biplomacy.store.db import Store, describe

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(store: Store) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", store.url.replace("%", "%%"))
    cfg.attributes["engine"] = store.engine
    return cfg


def script_heads() -> set[str]:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return set(ScriptDirectory.from_config(cfg).get_heads())


def current_heads(store: Store) -> set[str]:
    with store.engine.connect() as conn:
        return set(MigrationContext.configure(conn).get_current_heads())


def upgrade(store: Store, target: str = "heads") -> None:
    store.check_reachable()
    command.upgrade(alembic_config(store), target)


def downgrade(store: Store, target: str = "base") -> None:
    command.downgrade(alembic_config(store), target)


def check_migrated(store: Store) -> None:
    """Raise MigrationError unless every Alembic head is applied."""
    store.check_reachable()
    have, want = current_heads(store), script_heads()
    if have != want:
        missing = ", ".join(sorted(want - have)) or "none"
        raise MigrationError(
            f"database {describe(store.url)} is not migrated (missing: {missing}); "
            "run `biplomacy db upgrade` (make run does it)"
        )
