"""Every table, one module per pillar; importing this package registers them all on Base.metadata."""

from biplomacy.adapters.store.tables import aml, core, energy, reserve, reserve_proofs, supervision

__all__ = ["aml", "core", "energy", "reserve", "reserve_proofs", "supervision"]
