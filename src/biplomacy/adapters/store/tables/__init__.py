"""Every table, one module per pillar; importing this package registers them all on Base.metadata."""

from biplomacy.adapters.store.tables import aml, core, energy, reserve, supervision

__all__ = ["aml", "core", "energy", "reserve", "supervision"]
