"""Migrations go up and down cleanly on both backends, and an unmigrated database is refused."""

import pytest
from sqlalchemy import inspect

from biplomacy.core.errors import MigrationError
from biplomacy.store import migrate


def test_every_migration_downgrades_to_empty_and_back(store):
    assert migrate.current_heads(store) == migrate.script_heads()
    migrate.downgrade(store, "base")
    assert not (set(inspect(store.engine).get_table_names()) - {"alembic_version"})
    migrate.upgrade(store)
    assert migrate.current_heads(store) == migrate.script_heads()


def test_unmigrated_database_is_refused_with_the_command_to_run(store):
    migrate.downgrade(store, "base")
    with pytest.raises(MigrationError, match="biplomacy db upgrade"):
        migrate.check_migrated(store)
