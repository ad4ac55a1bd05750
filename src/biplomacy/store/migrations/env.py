"""Alembic environment: uses the engine handed in by biplomacy.store.migrate."""

from alembic import context

import biplomacy.store.tables  # noqa: F401  (registers every table on Base.metadata)
from biplomacy.store.db import Base

config = context.config
engine = config.attributes["engine"]

with engine.begin() as connection:
    context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
