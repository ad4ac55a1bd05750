"""SQLAlchemy 2 storage: engine, sessions, migrations and the tables of every pillar."""

from biplomacy.store.db import Base, Store, open_store

__all__ = ["Base", "Store", "open_store"]
