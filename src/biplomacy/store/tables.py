"""Every table, one module per pillar; importing this package registers them all on Base.metadata."""

from biplomacy.aml import tables as aml
from biplomacy.energy import tables as energy
from biplomacy.house import tables as core
from biplomacy.reserve import statement_tables as reserve_proofs
from biplomacy.reserve import tables as reserve
from biplomacy.supervision import tables as supervision

__all__ = ["aml", "core", "energy", "reserve", "reserve_proofs", "supervision"]
